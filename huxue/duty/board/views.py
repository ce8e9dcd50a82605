"""The live board pages: the board with its filters, the tiles fragment the page polls, and the
wall layout for a command centre's screen.

The tiles refresh without a reload: htmx fetches the fragment every ``HUXUE_BOARD_POLL_SECONDS``
(15 by default) with the same filters.

The wall shows a row per district on top and the tiles worst first; its script (board.js) sizes
the tiles so that every red post fits the first screen, keeps the red and amber posts on every
page and turns the pages of the rest every ``HUXUE_WALL_PAGE_SECONDS`` (12 by default).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huxue.duty.alerts.selectors import gap_alerts_allowed
from huxue.duty.board.selectors import (
    board,
    board_allowed,
    board_districts,
    board_filter_choices,
    board_summary,
    board_worst_first,
)

DEFAULT_POLL_SECONDS = 15
DEFAULT_WALL_PAGE_SECONDS = 12


class BoardFilterForm(forms.Form):
    district = forms.ChoiceField(label=_("District"), required=False)
    station = forms.TypedChoiceField(
        label=_("Police station"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        data: Any,
        *,
        districts: list[tuple[str, str]],
        stations: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        everywhere = [("", _("All districts"))]
        self.fields["district"].choices = everywhere + districts  # type: ignore[attr-defined]
        self.fields["station"].choices = [("", _("All police stations"))] + [  # type: ignore[attr-defined]
            (str(pk), name) for pk, name in stations
        ]


class _Filters:
    """The filters as given in the query string, checked only for shape: a district or station
    outside the user's scope simply shows no posts."""

    def __init__(self, request: HttpRequest) -> None:
        district = request.GET.get("district", "").strip()
        self.district = district if len(district) == 6 and district.isdigit() else ""
        station = request.GET.get("station", "").strip()
        self.station = int(station) if station.isdigit() and 0 < int(station) < 2**63 else None
        self.wall = request.GET.get("wall") == "1"

    def query(self, *, wall: bool | None = None) -> str:
        """The filters as a query string, in the wall layout or not (as now by default)."""
        params: dict[str, Any] = {}
        if self.district:
            params["district"] = self.district
        if self.station:
            params["station"] = self.station
        if self.wall if wall is None else wall:
            params["wall"] = 1
        return urlencode(params)


def _poll_seconds() -> int:
    return max(1, int(getattr(settings, "HUXUE_BOARD_POLL_SECONDS", DEFAULT_POLL_SECONDS)))


def _signed_in_for_polling(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but a poll from a page whose session has ended sends the whole page
    to the login form (htmx's HX-Redirect) instead of swapping the form into the tiles."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            board_url = reverse("duty:board")
            response["HX-Redirect"] = f"{reverse('login')}?{urlencode({'next': board_url})}"
            return response
        return login_required(view)(request, *args, **kwargs)

    return wrapper


def _wall_page_seconds() -> int:
    return max(1, int(getattr(settings, "HUXUE_WALL_PAGE_SECONDS", DEFAULT_WALL_PAGE_SECONDS)))


def _live_context(request: HttpRequest, filters: _Filters) -> dict[str, Any]:
    rows = board(request.user, district=filters.district or None, station=filters.station)
    return {
        "rows": board_worst_first(rows) if filters.wall else rows,
        "districts": board_districts(rows) if filters.wall else [],
        "summary": board_summary(rows),
        "updated": timezone.localtime(),
        "wall": filters.wall,
        "poll_seconds": _poll_seconds(),
        "query": filters.query(),
        "alerts_allowed": gap_alerts_allowed(request.user),
    }


@login_required
def board_page(request: HttpRequest) -> HttpResponse:
    if not board_allowed(request.user):
        raise Http404
    filters = _Filters(request)
    districts, stations = board_filter_choices(request.user)
    form = BoardFilterForm(
        {"district": filters.district, "station": filters.station or ""},
        districts=districts,
        stations=stations,
    )
    form.is_valid()
    context = _live_context(request, filters)
    context.update(
        {
            "form": form,
            "show_districts": len(districts) > 1,
            "show_stations": len(stations) > 1,
            "filtered": bool(filters.district or filters.station),
            "wall_query": filters.query(wall=True),
            "page_query": filters.query(wall=False),
            "wall_page_seconds": _wall_page_seconds(),
        }
    )
    template = "duty/board_wall.html" if filters.wall else "duty/board.html"
    return render(request, template, context)


@_signed_in_for_polling
def board_tiles(request: HttpRequest) -> HttpResponse:
    if not board_allowed(request.user):
        raise Http404
    return render(request, "duty/_board_live.html", _live_context(request, _Filters(request)))
