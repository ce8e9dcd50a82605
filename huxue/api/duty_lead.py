"""API routes for duty: lead (added to /api/v1/ by huxue.api.v1).

shifts/{id}/rollcall/   POST {person, present}: a lead marks a member present (a roll-call
                        check-in) or gone (a roll-call check-out); 404 without roll call there
gap-alerts/             GET (filters: open, school): the gap alerts of the shifts you watch
callouts/               GET: your own call-outs (a member) or those in your scope (leads);
                        POST {shift, person, group?}: ask a member to stand in now (leads)
callouts/{id}/accept/   POST: as the called member; puts you on the shift's roster
callouts/{id}/decline/  POST: as the called member

Writes go through ``huxue.duty.checkin.services`` and ``huxue.duty.alerts.services``; who may do
what is decided in ``huxue.duty.alerts.selectors`` (``shift_for_lead``) on top of
``huxue.orgs.access``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from huxue.api.authentication import TokenAuthentication
from huxue.api.base import ScopedPrimaryKeyField, ScopedViewSet, id_filter
from huxue.api.duty import CheckInOutSerializer, payload
from huxue.duty.alerts.selectors import (
    callout_of_member,
    callout_url,
    callouts_visible_to,
    gap_alerts_visible_to,
    shift_for_lead,
    shifts_to_call_for,
    window_text,
)
from huxue.duty.alerts.services import callout_answer, callout_create
from huxue.duty.checkin.services import CheckInRefused, rollcall_mark
from huxue.duty.models import CallOut, GapAlert
from huxue.people.forces import ForceGroup
from huxue.people.models import Person
from huxue.people.selectors import people_visible_to
from huxue.roster.models import Shift


def _error(exc: ValidationError) -> Response:
    return Response(
        {"non_field_errors": exc.messages, "reason": getattr(exc, "code", "") or ""},
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


# ---------------------------------------------------------------------------------------------
# Roll call


class RollCallSerializer(serializers.Serializer):
    person = ScopedPrimaryKeyField(
        queryset=Person.objects.all(),
        scoped=people_visible_to,
        help_text="The member (a person id).",
    )
    present = serializers.BooleanField(
        help_text="True: check the member in now (roll call); false: check them out."
    )


class RollCallView(APIView):
    # Token first, so that an anonymous caller is told to authenticate (401), as in ScopedViewSet.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["duty"],
        summary="Roll call: mark a member present (check in) or gone (check out) at a shift",
        description=(
            "For members without a phone. Present: a check-in at the shift's post with method "
            "`rollcall`, recorded by you and audited; the city's window rules still hold (422 "
            "with a `reason`). Gone: closes the member's open check-in for this shift (409 "
            "`not_open` if there is none). 404 for a shift where you may not take roll call."
        ),
        request=RollCallSerializer,
        responses={200: CheckInOutSerializer, 201: CheckInOutSerializer, 409: None, 422: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        shift = shift_for_lead(request.user, pk=pk, need="rollcall")
        data = RollCallSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        person: Person = data.validated_data["person"]
        present = data.validated_data["present"]
        try:
            checkin = rollcall_mark(actor=request.user, shift=shift, person=person, present=present)
        except CheckInRefused as exc:
            body: dict[str, Any] = {"non_field_errors": [exc.messages[0]], "reason": exc.reason}
            body.update(exc.extra)
            return Response(body, status=exc.status)
        return Response(payload(checkin), status=201 if present else 200)


# ---------------------------------------------------------------------------------------------
# Gap alerts


class GapAlertFilter(serializers.Serializer):
    open = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only unresolved (or resolved)."
    )
    school = id_filter("Only this school's posts.")


class GapAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shift = serializers.IntegerField(source="shift_id")
    post = serializers.IntegerField(source="shift.post_id")
    post_name = serializers.CharField(source="shift.post")
    school = serializers.IntegerField(source="shift.post.school_id")
    window = serializers.SerializerMethodField()
    raised_at = serializers.DateTimeField()
    short = serializers.DictField(
        child=serializers.IntegerField(), help_text="Missing per force group when raised."
    )
    resolved_at = serializers.DateTimeField(
        allow_null=True, help_text="When the post became fully staffed."
    )

    def get_window(self, alert: GapAlert) -> str:
        return window_text(alert.shift)


class GapAlertViewSet(ScopedViewSet):
    """Gap alerts of the shifts in your scope, newest first."""

    serializer_class = GapAlertSerializer

    @extend_schema(
        tags=["duty"],
        parameters=[GapAlertFilter],
        responses=GapAlertSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        f = self.parse_query(GapAlertFilter)
        qs = gap_alerts_visible_to(request.user)
        if f.get("open") is not None:
            qs = qs.filter(resolved_at__isnull=f["open"])
        if f.get("school"):
            qs = qs.filter(shift__post__school_id=f["school"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(GapAlertSerializer(page, many=True).data)


# ---------------------------------------------------------------------------------------------
# Call-outs


class CallOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shift = serializers.IntegerField(source="shift_id")
    post_name = serializers.CharField(source="shift.post")
    window = serializers.SerializerMethodField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    group = serializers.ChoiceField(choices=ForceGroup.choices)
    status = serializers.CharField(
        help_text="pending, accepted, declined, cancelled (withdrawn) or expired."
    )
    called_by = serializers.IntegerField(source="called_by_id")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    assignment = serializers.IntegerField(
        source="assignment_id", allow_null=True, help_text="The roster entry made on accepting."
    )
    answer_url = serializers.SerializerMethodField(help_text="The member's answer page.")

    def get_window(self, callout: CallOut) -> str:
        return window_text(callout.shift)

    def get_answer_url(self, callout: CallOut) -> str:
        return callout_url(callout)


class CallOutCreateSerializer(serializers.Serializer):
    shift = ScopedPrimaryKeyField(
        queryset=Shift.objects.all(),
        scoped=shifts_to_call_for,
        help_text="A shift where you may call out substitutes.",
    )
    person = ScopedPrimaryKeyField(
        queryset=Person.objects.all(),
        scoped=people_visible_to,
        help_text="The member to ask (from the shift's pool).",
    )
    group = serializers.ChoiceField(
        choices=ForceGroup.choices,
        required=False,
        help_text="The member's force group, if you want it checked; it cannot be chosen.",
    )


class CallOutViewSet(ScopedViewSet):
    """Call-outs: leads ask members of the pool to stand in at a short post; members answer."""

    serializer_class = CallOutSerializer

    def _answer(self, request: Request, pk: str, *, accept: bool) -> Response:
        callout = callout_of_member(request.user, pk=int(pk))
        try:
            callout = callout_answer(actor=request.user, callout=callout, accept=accept)
        except ValidationError as exc:
            return _error(exc)
        return Response(CallOutSerializer(callout).data)

    @extend_schema(tags=["duty"], responses=CallOutSerializer(many=True))
    def list(self, request: Request) -> Response:
        qs = callouts_visible_to(request.user).order_by("-created_at", "-pk")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CallOutSerializer(page, many=True).data)

    @extend_schema(
        tags=["duty"],
        summary="Ask a member of the pool to stand in at a shift now",
        description=(
            "The member must be eligible for the group (vetted, trained, not on another shift "
            "then, under the weekly cap); members with an account are told with a link to "
            "answer, others must be called by phone. 422 with a `reason` when not possible."
        ),
        request=CallOutCreateSerializer,
        responses={201: CallOutSerializer, 403: None, 422: None},
    )
    def create(self, request: Request) -> Response:
        self.require_create(CallOut)
        values = self.parse(CallOutCreateSerializer, request.data)
        try:
            callout = callout_create(
                actor=request.user,
                shift=values["shift"],
                person=values["person"],
                group=values.get("group", ""),
            )
        except ValidationError as exc:
            return _error(exc)
        return Response(CallOutSerializer(callout).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["duty"],
        summary="Accept a call-out (as the called member): you are rostered on the shift",
        request=None,
        responses={200: CallOutSerializer, 404: None, 422: None},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._answer(request, pk, accept=True)

    @extend_schema(
        tags=["duty"],
        summary="Decline a call-out (as the called member)",
        request=None,
        responses={200: CallOutSerializer, 404: None, 422: None},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._answer(request, pk, accept=False)


router = SimpleRouter()
router.register("gap-alerts", GapAlertViewSet, basename="gapalert")
router.register("callouts", CallOutViewSet, basename="callout")

urlpatterns: list[URLPattern | URLResolver] = [
    path("shifts/<int:pk>/rollcall/", RollCallView.as_view(), name="shift-rollcall"),
    *router.urls,
]
