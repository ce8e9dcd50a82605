"""API routes for duty: stats (added to /api/v1/ by huxue.api.v1).

person-times/  GET (filters: from, to, by, period, district, station): person-times (人次) and duty
               hours in your scope, by place and period, per force type and force group; the
               same figures as the person-times page. 404 for a caller who may not read
               check-ins; a duty member gets their own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huxue.api.authentication import TokenAuthentication
from huxue.api.base import id_filter
from huxue.core.validators import period_error
from huxue.duty.models import CheckIn
from huxue.duty.stats import selectors as stats
from huxue.orgs import access
from huxue.people.forces import ForceGroup, ForceType


class PersonTimesFilter(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=list(stats.BY), default="school", help_text="The place each row is."
    )
    period = serializers.ChoiceField(
        choices=list(stats.PERIODS),
        default="all",
        help_text="Split each place's figures by day, ISO week, month or year.",
    )
    district = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="A region's GB/T 2260 code: only schools in that region and below.",
    )
    station = id_filter("A police station's unit id: only the schools it is 属地 for.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword, so these two are added by name.
        fields["from"] = serializers.DateField(
            required=False, help_text="The first day (local). Default: the 1st of this month."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="The last day (local). Default: the end of this month."
        )
        return fields

    def validate_district(self, value: str) -> Any:
        region = stats.districts_for(self.context["request"].user).filter(code=value).first()
        if region is None:
            raise serializers.ValidationError(_("No such district."))
        return region

    def validate_station(self, value: int) -> Any:
        unit = stats.stations_for(self.context["request"].user).filter(pk=value).first()
        if unit is None:
            raise serializers.ValidationError(_("No such police station."))
        return unit

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        first, last = stats.this_month()
        data.setdefault("from", first)
        data.setdefault("to", last)
        error = period_error(data["from"], data["to"])
        if error:
            raise serializers.ValidationError({"to": [error]})
        if stats.too_many_periods(data["from"], data["to"], data["period"]):
            raise serializers.ValidationError(
                {"period": [_("Too many periods: choose a shorter range or a longer period.")]}
            )
        return data


class ChoiceOutSerializer(serializers.Serializer):
    value = serializers.CharField()
    name = serializers.CharField(help_text="In your language.")


class FiguresSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The first day this row counts.")
    end = serializers.DateField(help_text="The last day this row counts.")
    force_types = serializers.DictField(
        child=serializers.IntegerField(), help_text="Person-times per force type."
    )
    force_groups = serializers.DictField(
        child=serializers.IntegerField(), help_text="Person-times per force group."
    )
    total = serializers.IntegerField(help_text="Person-times: check-ins that were not voided.")
    hours = serializers.DecimalField(
        max_digits=12,
        decimal_places=1,
        coerce_to_string=False,
        help_text="Duty hours, check-in to check-out, over the check-ins closed.",
    )
    members = serializers.IntegerField(help_text="Different members among them.")
    records = serializers.CharField(help_text="The page listing the check-ins counted here.")


class PersonTimesRowSerializer(FiguresSerializer):
    place = serializers.IntegerField(help_text="The id of the post, school, station or region.")
    place_name = serializers.CharField()
    place_detail = serializers.CharField(
        help_text="For a post its school, for a district its code."
    )
    period = serializers.CharField(
        help_text='The period: "2021-03-08", "2021-W10", "2021-03" or "2021"; "" for "all".'
    )


class PersonTimesSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    by = serializers.ChoiceField(choices=list(stats.BY))
    period = serializers.ChoiceField(choices=list(stats.PERIODS))
    force_types = ChoiceOutSerializer(many=True)
    force_groups = ChoiceOutSerializer(many=True)
    rows = PersonTimesRowSerializer(many=True)
    totals = FiguresSerializer()


def _figures(row: stats.Row, records: str) -> dict[str, Any]:
    return {
        "start": row.start,
        "end": row.end,
        "force_types": row.by_type,
        "force_groups": row.by_group,
        "total": row.total,
        "hours": row.hours,
        "members": row.members,
        "records": records,
    }


class PersonTimesView(APIView):
    """Person-times by place and period: the same figures as the person-times page."""

    # Token first, so that an anonymous caller is told to authenticate (401).
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["duty"],
        summary="Person-times (人次) and duty hours by place and period",
        description=(
            "Check-ins that were not voided, in your scope, with their day in [from, to], "
            "grouped by post, school, police station, district or city and optionally by "
            "day, ISO week, month or year; per force type and force group, with duty hours "
            "(check-in to check-out, over the check-ins closed) and the number of different "
            "members. Each row names the page listing its check-ins. A bad filter is a 400; "
            "a caller who may not read check-ins gets 404."
        ),
        parameters=[PersonTimesFilter],
        responses=PersonTimesSerializer,
    )
    def get(self, request: Request) -> Response:
        if not access.allowed(request.user, "read", CheckIn):
            raise Http404
        query = PersonTimesFilter(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        f: dict[str, Any] = dict(query.validated_data)
        table = stats.person_times(
            request.user,
            start=f["from"],
            end=f["to"],
            by=f["by"],
            period=f["period"],
            district=f.get("district"),
            station=f.get("station"),
        )
        narrowed = {}
        if f.get("district"):
            narrowed["district"] = f["district"].code
        if f.get("station"):
            narrowed["station"] = str(f["station"].pk)

        def records(row: stats.Row) -> str:
            params = {"from": row.start.isoformat(), "to": row.end.isoformat(), **narrowed}
            if row.place is not None:
                params.update(by=table.by, place=str(row.place.id))
            return request.build_absolute_uri(f"{reverse('duty:checkins')}?{urlencode(params)}")

        body = {
            "start": table.start,
            "end": table.end,
            "by": table.by,
            "period": table.period,
            "force_types": [{"value": v, "name": str(label)} for v, label in ForceType.choices],
            "force_groups": [{"value": v, "name": str(label)} for v, label in ForceGroup.choices],
            "rows": [
                {
                    **_figures(row, records(row)),
                    "place": row.place.id if row.place else 0,
                    "place_name": row.place.name if row.place else "",
                    "place_detail": row.place.detail if row.place else "",
                    "period": table.period_label(row),
                }
                for row in table.rows
            ],
            "totals": _figures(table.totals, records(table.totals)),
        }
        return Response(PersonTimesSerializer(body).data)


urlpatterns: list[URLPattern] = [
    path("person-times/", PersonTimesView.as_view(), name="person-times")
]
