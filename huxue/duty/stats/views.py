"""Person-times pages: the table by place and period with its chart, the check-ins behind each
figure, and both as Excel workbooks.

The figures come from ``huxue.duty.stats.selectors`` alone; these views parse filters and shape output.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET

from huxue.core import audit, xlsx
from huxue.core.validators import period_error
from huxue.duty.models import CheckIn
from huxue.duty.stats import selectors as stats
from huxue.orgs import access
from huxue.people.forces import GROUP_OF, ForceGroup, ForceType

PER_PAGE = 50
# The page shows this many rows at most (each with a dozen links); Excel and the API have all.
MAX_SHOWN = 500
# The chart shows the places with the most person-times, this many unless asked for all of them:
# a hundred bars side by side cannot be read.
TOP = 20

BY_CHOICES = [
    ("post", gettext_lazy("Post")),
    ("school", gettext_lazy("School")),
    ("station", gettext_lazy("Police station")),
    ("district", gettext_lazy("District")),
    ("city", gettext_lazy("City")),
]
PERIOD_CHOICES = [
    ("all", gettext_lazy("Whole range")),
    ("day", gettext_lazy("By day")),
    ("week", gettext_lazy("By week")),
    ("month", gettext_lazy("By month")),
    ("year", gettext_lazy("By year")),
]
CHART_CHOICES = [("top", "top"), ("all", "all")]


def _show_all(by: str, count: int) -> str:
    """The link that draws every place of the chart: "显示全部 100 所学校"."""
    if by == "post":
        text = ngettext("Show all %(count)d post", "Show all %(count)d posts", count)
    elif by == "station":
        text = ngettext(
            "Show all %(count)d police station", "Show all %(count)d police stations", count
        )
    elif by == "district":
        text = ngettext("Show all %(count)d district", "Show all %(count)d districts", count)
    elif by == "city":
        text = ngettext("Show all %(count)d city", "Show all %(count)d cities", count)
    else:
        text = ngettext("Show all %(count)d school", "Show all %(count)d schools", count)
    return text % {"count": count}


def _stats_url(
    *,
    start: date,
    end: date,
    by: str,
    period: str,
    narrowed: dict[str, str],
    chart: str = "",
    anchor: str = "",
) -> str:
    """The person-times page with these (validated) choices: only what differs from the
    defaults is spelled out, besides the days."""
    params = {"from": start.isoformat(), "to": end.isoformat()}
    if by:
        params["by"] = by
    if period and period != "all":
        params["period"] = period
    params.update(narrowed)
    if chart == "all":
        params["chart"] = "all"
    return f"{reverse('duty:stats')}?{urlencode(params)}{anchor}"


def _with_defaults(query: QueryDict, **defaults: str) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in query.items() if v != ""}
    for key, value in defaults.items():
        data.setdefault(key, value)
    return data


class RangeForm(forms.Form):
    """The filters every person-times page shares: the days, the district and the station."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = forms.DateField(
            label=pgettext_lazy("first day", "From"),
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["to"] = forms.DateField(
            label=pgettext_lazy("last day", "To"), widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["district"] = forms.ModelChoiceField(
            queryset=stats.districts_for(user),
            to_field_name="code",
            required=False,
            label=_("District"),
            empty_label=_("All districts"),
        )
        self.fields["station"] = forms.ModelChoiceField(
            queryset=stats.stations_for(user),
            required=False,
            label=_("Police station"),
            empty_label=_("All police stations"),
        )
        self.order_fields(["from", "to", "by", "period", "district", "station"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        error = period_error(data.get("from"), data.get("to"))
        if error:
            raise forms.ValidationError(error)
        return data

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of the stats functions."""
        data = self.cleaned_data
        return {
            "start": data["from"],
            "end": data["to"],
            "district": data.get("district"),
            "station": data.get("station"),
        }

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for links to the records."""
        data = self.cleaned_data
        params = {}
        if data.get("district"):
            params["district"] = data["district"].code
        if data.get("station"):
            params["station"] = str(data["station"].pk)
        return params


class StatsForm(RangeForm):
    by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=BY_CHOICES)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES)
    # Whether the chart draws every place or the top ones; kept when the filters change.
    chart = forms.ChoiceField(choices=CHART_CHOICES, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end, period = data.get("from"), data.get("to"), data.get("period")
        if start and end and period and stats.too_many_periods(start, end, period):
            raise forms.ValidationError(
                _("Too many periods: choose a shorter range or a longer period.")
            )
        return data


class RecordsForm(RangeForm):
    by = forms.ChoiceField(choices=BY_CHOICES, required=False)
    place = forms.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    force_type = forms.ChoiceField(choices=ForceType.choices, required=False)
    group = forms.ChoiceField(choices=ForceGroup.choices, required=False)
    # How the person-times page that links here was set, for the way back: its period, its
    # range where the figure's days are one period of it, and its chart.
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)
    range_from = forms.DateField(required=False)
    range_to = forms.DateField(required=False)
    chart = forms.ChoiceField(choices=CHART_CHOICES, required=False)

    def stats_url(self) -> str:
        """The person-times page this list was opened from: its grouping, period and filters."""
        data = self.cleaned_data
        return _stats_url(
            start=data.get("range_from") or data["from"],
            end=data.get("range_to") or data["to"],
            by=data.get("by") or "",
            period=data.get("period") or "",
            narrowed=self.query(),
            chart=data.get("chart") or "",
        )

    def records(self, user: Any, *, action: str = "read") -> QuerySet[CheckIn]:
        data = self.cleaned_data
        return stats.person_times_records(
            user,
            **self.filters(),
            by=data.get("by") or "",
            place=data.get("place") if data.get("by") else None,
            force_type=data.get("force_type") or "",
            group=data.get("group") or "",
            action=action,
        )


def _require_read(request: HttpRequest) -> None:
    if not access.allowed(request.user, "read", CheckIn):
        raise Http404


def _stats_form(request: HttpRequest) -> StatsForm:
    first, last = stats.this_month()
    data = _with_defaults(
        request.GET,
        **{"from": first.isoformat(), "to": last.isoformat()},
        by="school",
        period="all",
    )
    return StatsForm(data, user=request.user)


def _columns(table: stats.Table) -> list[dict[str, Any]]:
    """The figure columns under the force groups: each group its force types then its subtotal,
    or, for a group of one force type, one column (the two figures are the same)."""
    columns = []
    for group, label in table.groups:
        types = [(t, t_label) for t, t_label in table.types if GROUP_OF.get(t) == group]
        if len(types) < 2:
            types = []
        columns.append(
            {"value": group, "label": label, "types": types, "span": len(types) + 1 if types else 1}
        )
    return columns


def _cells(
    table: stats.Table, form: StatsForm, columns: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every figure of the table with the address of the check-ins behind it; the totals last.

    Each address also says how this page was set (grouping, period, range, chart), so that the
    list of check-ins can lead back here."""
    shown: list[dict[str, Any]] = []
    records = reverse("duty:checkins")
    data = form.cleaned_data
    for row in [*table.rows[:MAX_SHOWN], table.totals]:
        base = {"from": row.start.isoformat(), "to": row.end.isoformat(), **form.query()}
        base["by"] = table.by
        if row.place is not None:
            base["place"] = str(row.place.id)
        if table.period != "all":
            base["period"] = table.period
        if (row.start, row.end) != (table.start, table.end):
            base.update(range_from=table.start.isoformat(), range_to=table.end.isoformat())
        if data.get("chart") == "all":
            base["chart"] = "all"

        def link(base: dict[str, str] = base, **extra: str) -> str:
            return f"{records}?{urlencode({**base, **extra})}"

        figures = []
        for column in columns:
            group = column["value"]
            under = [
                {"n": row.by_type[t], "url": link(force_type=t), "type": t}
                for t, _label in column["types"]
            ]
            under.append(
                {
                    "n": row.by_group[group],
                    "url": link(group=group),
                    "group": group,
                    "sub": bool(column["types"]),
                }
            )
            under[0]["start"] = True
            figures += under
        shown.append(
            {
                "place": row.place,
                "period": table.period_label(row),
                "figures": figures,
                "total": (row.total, link()),
                "hours": row.hours,
                "members": row.members,
            }
        )
    return shown


def _ranked_places(table: stats.Table) -> list[int]:
    """The places of the table, the most person-times first (ties in the table's order)."""
    totals: dict[int, int] = {}
    for row in table.rows:
        if row.place is not None:
            totals[row.place.id] = totals.get(row.place.id, 0) + row.total
    order = {place: i for i, place in enumerate(totals)}
    return sorted(totals, key=lambda place: (-totals[place], order[place]))


def _chart(table: stats.Table, ranked: list[int], *, top: int | None) -> dict[str, Any]:
    """The chart's bars: the `top` places with the most person-times (all of them if None),
    the most first, each place's periods in order."""
    rank = {place: i for i, place in enumerate(ranked if top is None else ranked[:top])}
    rows = sorted(
        (row for row in table.rows if row.place is not None and row.place.id in rank),
        key=lambda row: (rank[row.place.id], row.period or table.start),  # type: ignore[union-attr]
    )[:MAX_SHOWN]
    labels = []
    for row in rows:
        label = row.place.name if row.place else ""
        if table.period != "all":
            label = f"{label} {table.period_label(row)}"
        labels.append(label)
    return {
        "categories": labels,
        "series": [
            {"name": str(label), "data": [row.by_group[group] for row in rows]}
            for group, label in table.groups
        ],
    }


@login_required
@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    form = _stats_form(request)
    context: dict[str, Any] = {
        "form": form,
        "can_export": access.allowed(request.user, "export", CheckIn),
    }
    if not form.is_valid():
        return render(request, "duty/stats.html", context, status=400)
    data = form.cleaned_data
    table = stats.person_times(request.user, **form.filters(), by=data["by"], period=data["period"])
    columns = _columns(table)
    ranked = _ranked_places(table)
    chart_all = data.get("chart") == "all" or len(ranked) <= TOP

    def here(chart: str) -> str:
        return _stats_url(
            start=table.start,
            end=table.end,
            by=table.by,
            period=table.period,
            narrowed=form.query(),
            chart=chart,
            anchor="#stats-chart-card",
        )

    context.update(
        table=table,
        columns=columns,
        cells=_cells(table, form, columns),
        chart=_chart(table, ranked, top=None if chart_all else TOP),
        chart_all=chart_all,
        top=TOP,
        show_all=(_show_all(table.by, len(ranked)), here("all")) if not chart_all else None,
        show_top=here("top") if len(ranked) > TOP and chart_all else "",
        by_label=dict(BY_CHOICES)[table.by],
        cut=len(table.rows) > MAX_SHOWN,
        shown=min(len(table.rows), MAX_SHOWN),
        export_url=f"{reverse('duty:stats_export')}?{request.GET.urlencode()}",
    )
    return render(request, "duty/stats.html", context)


# ---- Excel ----------------------------------------------------------------------------------


def stats_rows(table: stats.Table) -> tuple[list[str], list[list[Any]]]:
    """The table as a header and rows, the totals last (for Excel)."""
    header = [str(dict(BY_CHOICES)[table.by])]
    if table.by == "post":
        header.append(_("School"))
    if table.by == "district":
        header.append(_("Code"))
    if table.period != "all":
        header.append(_("Period"))
    header += [str(label) for _value, label in table.types]
    # A group may share its name with one of its types (教职员工): the group's column says total.
    header += [_("%(group)s, total") % {"group": label} for _value, label in table.groups]
    header += [_("Person-times"), _("Duty hours"), _("Members")]

    def figures(row: stats.Row) -> list[Any]:
        return [
            *(row.by_type[t] for t, _label in table.types),
            *(row.by_group[g] for g, _label in table.groups),
            row.total,
            row.hours,
            row.members,
        ]

    rows: list[list[Any]] = []
    blanks = len(header) - len(figures(table.totals)) - 1
    for row in table.rows:
        if row.place is None:
            continue
        line: list[Any] = [row.place.name]
        if table.by in ("post", "district"):
            line.append(row.place.detail)
        if table.period != "all":
            line.append(table.period_label(row))
        rows.append(line + figures(row))
    rows.append([_("Total"), *([""] * blanks), *figures(table.totals)])
    return header, rows


@login_required
@require_GET
def stats_export(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    form = _stats_form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = form.cleaned_data
    table = stats.person_times(request.user, **form.filters(), by=data["by"], period=data["period"])
    header, rows = stats_rows(table)
    name = f"huxue-person-times-{table.start:%Y%m%d}-{table.end:%Y%m%d}.xlsx"
    return xlsx.download(xlsx.one_sheet(_("Person-times"), header, rows), name)


# ---- the records behind a figure ------------------------------------------------------------


def _records_form(request: HttpRequest) -> RecordsForm:
    first, last = stats.this_month()
    data = _with_defaults(request.GET, **{"from": first.isoformat(), "to": last.isoformat()})
    data.pop("page", None)
    return RecordsForm(data, user=request.user)


def _hours(checkin: CheckIn) -> Decimal | None:
    if checkin.checked_out_at is None:
        return None
    return stats.hours_of((checkin.checked_out_at - checkin.at).total_seconds())


def _type_label(checkin: CheckIn) -> str:
    value = checkin.force_type
    return str(ForceType(value).label) if value in ForceType.values else value


def _flags(checkin: CheckIn) -> list[str]:
    return [
        str(label)
        for on, label in (
            (checkin.is_late, CheckIn._meta.get_field("is_late").verbose_name),
            (checkin.is_outside, CheckIn._meta.get_field("is_outside").verbose_name),
            (checkin.is_walkin, CheckIn._meta.get_field("is_walkin").verbose_name),
            (checkin.is_delayed, CheckIn._meta.get_field("is_delayed").verbose_name),
            (checkin.is_short, CheckIn._meta.get_field("is_short").verbose_name),
        )
        if on
    ]


def _place_name(by: str, checkin: CheckIn | None) -> str:
    """The name of the place a list is of, read off one of its (scoped) records."""
    if checkin is None:
        return ""
    school = checkin.post.school
    if by == "post":
        return str(checkin.post)
    if by == "school":
        return school.unit.name
    if by == "station":
        return school.station.name
    if by == "district":
        return school.unit.region.name
    if by == "city":
        return stats.city_of(school.unit.region).name
    return ""


def _describe(form: RecordsForm, first: CheckIn | None) -> list[str]:
    """What the list is, in words: the figure's place, force and filters."""
    data = form.cleaned_data
    parts = []
    if data.get("by") and data.get("place") is not None:
        parts.append(_place_name(data["by"], first))
    if data.get("force_type"):
        parts.append(str(ForceType(data["force_type"]).label))
    if data.get("group"):
        parts.append(str(ForceGroup(data["group"]).label))
    if data.get("district"):
        parts.append(data["district"].name)
    if data.get("station"):
        parts.append(data["station"].name)
    return parts


@login_required
@require_GET
def checkins_page(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    form = _records_form(request)
    if not form.is_valid():
        return render(request, "duty/checkins.html", {"form": form}, status=400)
    records = form.records(request.user)
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"checkin": c, "force_type": _type_label(c), "hours": _hours(c), "flags": _flags(c)}
        for c in page.object_list
    ]
    can_export = access.allowed(request.user, "export", CheckIn)
    return render(
        request,
        "duty/checkins.html",
        {
            "form": form,
            "listed": True,
            "page": page,
            "rows": rows,
            "start": form.cleaned_data["from"],
            "end": form.cleaned_data["to"],
            "described": [p for p in _describe(form, next(iter(page.object_list), None)) if p],
            "can_export": can_export,
            "export_url": f"{reverse('duty:checkins_export')}?{request.GET.urlencode()}",
            "stats_url": form.stats_url(),
        },
    )


def checkin_rows(records: QuerySet[CheckIn]) -> tuple[list[str], Any]:
    header = [
        _("Member"),
        _("Force type"),
        _("School"),
        _("Post"),
        _("Day"),
        _("On duty from"),
        _("Checked out"),
        _("Duty hours"),
        _("Flags"),
        _("Method"),
    ]
    local = timezone.localtime

    def rows() -> Any:
        for c in records.iterator(chunk_size=2000):
            hours = _hours(c)
            yield [
                c.person.name,
                _type_label(c),
                c.post.school.unit.name,
                c.post.name,
                c.day,
                local(c.at).replace(tzinfo=None),
                local(c.checked_out_at).replace(tzinfo=None) if c.checked_out_at else None,
                hours,
                ", ".join(_flags(c)),
                c.get_method_display(),
            ]

    return header, rows()


@login_required
@require_GET
def checkins_export(request: HttpRequest) -> HttpResponse:
    """The check-ins behind a figure, with names: needs the export permission; audited."""
    if not access.allowed(request.user, "export", CheckIn):
        raise Http404
    form = _records_form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    records = form.records(request.user, action="export")
    count = records.count()
    header, rows = checkin_rows(records)
    data = xlsx.one_sheet(_("Check-ins"), header, rows)
    cleaned = form.cleaned_data
    audit.record(
        action="duty.checkins.export",
        actor=request.user,
        object_type="duty.checkin",
        object_repr=_("Check-ins %(start)s to %(end)s")
        % {"start": cleaned["from"], "end": cleaned["to"]},
        detail={
            "rows": count,
            "from": cleaned["from"],
            "to": cleaned["to"],
            "by": cleaned.get("by") or "",
            "place": cleaned.get("place"),
            "force_type": cleaned.get("force_type") or "",
            "group": cleaned.get("group") or "",
            "district": cleaned["district"].pk if cleaned.get("district") else None,
            "station": cleaned["station"].pk if cleaned.get("station") else None,
        },
    )
    name = f"huxue-checkins-{cleaned['from']:%Y%m%d}-{cleaned['to']:%Y%m%d}.xlsx"
    return xlsx.download(data, name)
