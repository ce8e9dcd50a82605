"""API routes for duty: board (added to /api/v1/ by huxue.api.v1).

board/   GET (filters: district, station): every live post in your scope and how it is staffed
         now; 404 for a caller who may not read check-ins at posts (a duty member).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huxue.api.authentication import TokenAuthentication
from huxue.api.base import id_filter
from huxue.duty.board.selectors import STATUSES, BoardRow, board, board_allowed, board_summary
from huxue.people.forces import ForceGroup


class BoardFilter(serializers.Serializer):
    district = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="A region's GB/T 2260 code: the posts of schools in that region and below.",
    )
    station = id_filter("A police station's unit id: the posts of the schools it is 属地 for.")


class BoardGroupSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=ForceGroup.choices)
    need = serializers.IntegerField(help_text="People of this group the shift needs.")
    have = serializers.IntegerField(help_text="People of this group checked in and not out.")


class BoardPostSerializer(serializers.Serializer):
    post = serializers.IntegerField(source="post_id")
    post_name = serializers.CharField()
    school = serializers.IntegerField(source="school_id")
    school_name = serializers.CharField()
    station = serializers.IntegerField(source="station_id")
    station_name = serializers.CharField()
    district = serializers.CharField(source="district_code")
    district_name = serializers.CharField()
    status = serializers.ChoiceField(
        choices=list(STATUSES),
        help_text="green: staffed as required; amber: partly; red: nobody on duty; grey: no "
        "duty now.",
    )
    status_label = serializers.CharField(help_text="The status in words, in your language.")
    shift = serializers.IntegerField(source="shift_id", allow_null=True)
    window = serializers.CharField(help_text='The current window, "07:00–08:00"; "" if none.')
    next_window = serializers.CharField(help_text="With no duty now: the next window today.")
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    groups = BoardGroupSerializer(many=True)
    need = serializers.IntegerField()
    have = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="People still needed across the groups.")
    gap_alert = serializers.BooleanField(help_text="A gap alert was raised for this window.")


class BoardSummarySerializer(serializers.Serializer):
    green = serializers.IntegerField()
    amber = serializers.IntegerField()
    red = serializers.IntegerField()
    grey = serializers.IntegerField()
    short = serializers.IntegerField(help_text="Posts on duty now that are not fully staffed.")
    missing = serializers.IntegerField(help_text="People still needed at those posts.")


class BoardSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    summary = BoardSummarySerializer()
    posts = BoardPostSerializer(many=True)


class BoardView(APIView):
    """The live board: the same answer as the board page."""

    # Token first, so that an anonymous caller is told to authenticate (401).
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["duty"],
        summary="The live board: every post in your scope, staffed now or not",
        description=(
            "For each live post in your scope: its current shift (from the city's check-in "
            "opening before the window to the window's end), what each force group needs and "
            "has (members checked in and not yet out), the status and whether a gap alert was "
            "raised. 404 for a caller who may not read check-ins at posts."
        ),
        parameters=[BoardFilter],
        responses=BoardSerializer,
    )
    def get(self, request: Request) -> Response:
        if not board_allowed(request.user):
            raise Http404
        now = timezone.now()
        query = BoardFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        f: dict[str, Any] = dict(query.validated_data)
        rows: list[BoardRow] = board(
            request.user, now=now, district=f.get("district"), station=f.get("station")
        )
        body = {"at": timezone.localtime(now), "summary": board_summary(rows), "posts": rows}
        return Response(BoardSerializer(body).data)


urlpatterns: list[URLPattern] = [path("board/", BoardView.as_view(), name="board")]
