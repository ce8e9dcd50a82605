"""Check-in and check-out over the API, for the member's phone page and for apps (token auth).

Every write carries an ``Idempotency-Key`` header made by the client (a UUID, at most 64
characters). The answer is stored with the check-in in one transaction: a retry gets the original
answer (with ``Idempotent-Replayed: true``), the same key with another body gets 422, and two
identical requests racing leave one check-in. Refusals (outside the area, window over…) are not
stored: the client may try again once the reason is gone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import (
    SessionAuthentication,
    TokenAuthentication,
    get_authorization_header,
)
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import FiniteFloatField, FlatSerializer, ScopedViewSet, id_filter
from huxue.duty.gate import GateView, checkin_by_key, member_at_gate, member_for_token
from huxue.duty.idempotency import KEY_MAX, Answer, KeyReused, once, request_hash
from huxue.duty.models import CheckIn
from huxue.duty.selectors import checkin_for, checkins_visible_to
from huxue.duty.services import (
    CheckInRefused,
    Position,
    check_in_by_token,
    check_in_moment,
    check_in_plan,
    check_in_record,
    check_out,
    replay,
)
from huxue.people.models import Person
from huxue.roster.selectors import person_of

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A key made by the client for this attempt (e.g. a UUID); reuse it on retries.",
)


def payload(checkin: CheckIn, *, as_created: bool = False) -> dict[str, Any]:
    """The answer for one check-in: what the phone shows and keeps. ``as_created``: as it was
    when written (a retry gets the first answer even if the member has checked out since)."""
    flags = [
        name
        for name, on in (
            ("late", checkin.is_late),
            ("outside", checkin.is_outside),
            ("walkin", checkin.is_walkin),
            ("delayed", checkin.is_delayed),
        )
        if on
    ]
    zone = timezone.get_default_timezone()  # the city's (no request activates another)

    def local(moment: dt.datetime) -> dt.datetime:
        return timezone.localtime(moment, zone)

    return {
        "id": checkin.pk,
        "post": checkin.post_id,
        "post_name": str(checkin.post),
        "shift": checkin.shift_id,
        "window": f"{checkin.shift.start:%H:%M}–{checkin.shift.end:%H:%M}",
        "method": checkin.method,
        "at": local(checkin.at).isoformat(),
        "server_at": local(checkin.server_at).isoformat(),
        "device_at": local(checkin.device_at).isoformat() if checkin.device_at else None,
        "distance_m": checkin.distance_m,
        "flags": flags,
        "checked_out_at": local(checkin.checked_out_at).isoformat()
        if checkin.checked_out_at and not as_created
        else None,
    }


class CheckInOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post = serializers.IntegerField()
    post_name = serializers.CharField()
    shift = serializers.IntegerField()
    window = serializers.CharField()
    method = serializers.ChoiceField(choices=CheckIn.Method.choices)
    at = serializers.DateTimeField(help_text="When duty began (the phone's time if sent later).")
    server_at = serializers.DateTimeField(help_text="When the server received it: the record.")
    device_at = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.FloatField(allow_null=True)
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=["late", "outside", "walkin", "delayed"])
    )
    checked_out_at = serializers.DateTimeField(allow_null=True)


class PositionFields(FlatSerializer):
    device_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The phone's clock when the member tapped."
    )
    latitude = FiniteFloatField(
        min_value=-90, max_value=90, required=False, help_text="Degrees (WGS-84), to 6 places."
    )
    longitude = FiniteFloatField(
        min_value=-180, max_value=180, required=False, help_text="Degrees (WGS-84), to 6 places."
    )
    accuracy = FiniteFloatField(min_value=0, max_value=100_000, required=False, help_text="Metres.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("latitude" in data) != ("longitude" in data):
            raise serializers.ValidationError(_("Send both latitude and longitude, or neither."))
        for name in ("latitude", "longitude"):
            if name in data:  # kept as the database keeps it: 6 decimal places
                data[name] = Decimal(f"{data[name]:.6f}")
        return data


class CheckInInSerializer(PositionFields):
    post = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The post's id."
    )
    qr = serializers.CharField(
        required=False, max_length=32, help_text="The token of the post's QR poster."
    )
    method = serializers.ChoiceField(choices=[CheckIn.Method.QR, CheckIn.Method.GPS])

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data = super().validate(data)
        if not data.get("post") and not data.get("qr"):
            raise serializers.ValidationError(_("Name the post (its id or its QR code)."))
        return data


def _position(data: dict[str, Any]) -> Position | None:
    if "latitude" not in data:
        return None
    return Position(data["latitude"], data["longitude"], data.get("accuracy"))


def _asked(data: dict[str, Any]) -> dict[str, Any]:
    """What a check-in's body asks for: the method, the post (by id or QR token), the phone's
    time and position."""
    return {
        "method": data["method"],
        "post_id": data.get("post"),
        "qr_token": data.get("qr", ""),
        "device_at": data.get("device_at"),
        "position": _position(data),
    }


def _refusal(exc: CheckInRefused) -> Response:
    body: dict[str, Any] = {"non_field_errors": [exc.messages[0]], "reason": exc.reason}
    body.update(exc.extra)
    return Response(body, status=exc.status)


class CheckInFilter(serializers.Serializer):
    school = id_filter("Only this school's posts.")
    post = id_filter("Only this post.")
    person = id_filter("Only this member.")
    day_from = serializers.DateField(required=False, help_text="From this day (local).")
    day_to = serializers.DateField(required=False, help_text="Until this day (local).")


class CheckInListSerializer(CheckInOutSerializer):
    person = serializers.IntegerField()
    person_name = serializers.CharField()
    group = serializers.CharField()
    force_type = serializers.CharField()
    voided = serializers.BooleanField()


def _key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > KEY_MAX:
        raise serializers.ValidationError(
            {"Idempotency-Key": [_("Send an Idempotency-Key header of 1 to 64 characters.")]}
        )
    return key


def _digest(data: dict[str, Any]) -> str:
    return request_hash("checkin", {k: str(v) for k, v in data.items()})


def _created(checkin: CheckIn) -> Response:
    response = Response(payload(checkin, as_created=True), status=status.HTTP_201_CREATED)
    if getattr(checkin, "replayed", False):
        response["Idempotent-Replayed"] = "true"
    return response


def _key_reused() -> Response:
    return Response(
        {
            "non_field_errors": [
                _("This Idempotency-Key was already used for a different request.")
            ],
            "reason": "key_reused",
        },
        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


class MemberTokenAuthentication(TokenAuthentication):
    """Token authentication that also finds the caller's member record and whether they may
    check in, in the same query (``gate.member_for_token``); other tokens authenticate as usual."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        person = member_for_token(key)
        if person is None:
            return super().authenticate_credentials(key)
        user: Any = person.user
        user.huxue_member = person
        return user, key


def _run(
    request: Request, endpoint: str, body: dict[str, Any], work: Any, prepare: Any
) -> Response:
    """One idempotent write: the stored answer on a retry, 422 when the key is reused."""
    key = _key(request)
    try:
        answer = once(
            user=request.user, key=key, endpoint=endpoint, body=body, work=work, prepare=prepare
        )
    except KeyReused:
        return _key_reused()
    except CheckInRefused as exc:
        return _refusal(exc)
    response = Response(answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class CheckInViewSet(ScopedViewSet):
    """Check-ins in your scope (yours, for a member), newest first; check in and out."""

    authentication_classes = [MemberTokenAuthentication, SessionAuthentication]
    serializer_class = CheckInListSerializer

    @extend_schema(parameters=[CheckInFilter], responses=CheckInListSerializer(many=True))
    def list(self, request: Request) -> Response:
        f = self.parse_query(CheckInFilter)
        qs = checkins_visible_to(request.user)
        if f.get("school"):
            qs = qs.filter(post__school_id=f["school"])
        if f.get("post"):
            qs = qs.filter(post_id=f["post"])
        if f.get("person"):
            qs = qs.filter(person_id=f["person"])
        if f.get("day_from"):
            qs = qs.filter(day__gte=f["day_from"])
        if f.get("day_to"):
            qs = qs.filter(day__lte=f["day_to"])
        page = self.paginate_queryset(qs)
        rows = [
            {
                **payload(c),
                "person": c.person_id,
                "person_name": c.person.name,
                "group": c.group,
                "force_type": c.force_type,
                "voided": c.voided_at is not None,
            }
            for c in page or []
        ]
        return self.get_paginated_response(rows)

    @extend_schema(
        summary="Check in at a post (as your member record)",
        description=(
            "By the post's QR poster (`qr`) or from your shifts with the phone's position "
            "(`method: gps`). Checks the city's rules: the window (from some minutes before it "
            "to its end; late is flagged), the geofence (flagged or refused), the roster "
            "(walk-ins flagged or refused). A check-in sent later from an offline phone keeps "
            "both times and is flagged, up to the city's maximum age. Refusals are 422 with a "
            "`reason`; already checked in is 409 with the existing `checkin`."
        ),
        parameters=[IDEMPOTENCY_HEADER],
        request=CheckInInSerializer,
        responses={201: CheckInOutSerializer, 409: None, 422: None},
    )
    def create(self, request: Request) -> Response:
        token = self._token_first(request)
        if not token:
            person = self._member(request)
            return self._check_in(request, person, self.parse(CheckInInSerializer, request.data))
        # A token: read the member and the gate together (``gate.member_at_gate``), after the
        # body; a token that is not a live member's is authenticated the usual way.
        try:
            data = self.parse(CheckInInSerializer, request.data)
            key = _key(request)
        except APIException:  # a body or header that is not right (400, 415…)
            self._authenticate(request)  # 401 and 403 come before it, as on every endpoint
            self._member(request)
            raise
        now = timezone.now()
        # On PostgreSQL, once this process has read the post's gate: read and write at once.
        written = check_in_by_token(
            token=token, **_asked(data), now=now, key=key, digest=_digest(data)
        )
        if written is not None:
            member, checkin = written
            self._signed_in(request, member, token)
            return _created(checkin)
        at, _ = check_in_moment(data["method"], now, data.get("device_at"))
        found = member_at_gate(token, post_id=data.get("post"), qr_token=data.get("qr", ""), at=at)
        if found is None:
            self._authenticate(request)
            return self._check_in(request, self._member(request), data)
        member, view = found
        self._signed_in(request, member, token)
        return self._check_in(request, self._member(request), data, now=now, view=view)

    @staticmethod
    def _signed_in(request: Request, member: Person, token: str) -> None:
        user: Any = member.user
        user.huxue_member = member
        request.user, request.auth = user, token

    def _check_in(
        self,
        request: Request,
        person: Person,
        data: dict[str, Any],
        *,
        now: dt.datetime | None = None,
        view: GateView | None | Literal[False] = False,
    ) -> Response:
        key = _key(request)
        digest = _digest(data)
        try:
            plan = check_in_plan(
                actor=request.user, person=person, **_asked(data), now=now, view=view
            )
            checkin = check_in_record(plan, key=key, digest=digest)
        except CheckInRefused as exc:
            # A retry whose first attempt went through is refused now (already checked in,
            # window over…): its answer is the first one.
            found = checkin_by_key(person, key)
            if found is None:
                return _refusal(exc)
            try:
                checkin = replay(found, digest)
            except KeyReused:
                return _key_reused()
        except KeyReused:
            return _key_reused()
        return _created(checkin)

    # A member checking in with a token is authenticated by the check-in's own read (see
    # ``create``); every other request, the usual way before the view.

    def _token_first(self, request: Request) -> str:
        if (found := getattr(self, "_first_token", None)) is None:
            found = self._first_token = self._token_in(request) if self.action == "create" else ""
        return found

    @staticmethod
    def _token_in(request: Request) -> str:
        parts = get_authorization_header(request._request).split()  # type: ignore[arg-type]
        if len(parts) != 2 or parts[0].lower() != b"token":
            return ""
        try:
            return parts[1].decode()
        except UnicodeError:
            return ""

    def perform_authentication(self, request: Request) -> None:
        if not self._token_first(request):
            super().perform_authentication(request)

    def check_permissions(self, request: Request) -> None:
        if not self._token_first(request):
            super().check_permissions(request)

    def _authenticate(self, request: Request) -> None:
        super().perform_authentication(request)
        super().check_permissions(request)

    def _member(self, request: Request) -> Person:
        """The caller's live member record; 403 when no role may check in, 404 without one.
        With a token, the check-in's read (``create``) or ``MemberTokenAuthentication`` found
        both in one statement."""
        found = getattr(request.user, "huxue_member", None)
        if found is not None:
            if not found.may_check_in:
                raise PermissionDenied
            person: Person = found
            return person
        self.require_create(CheckIn)
        member = person_of(request.user)
        if member is None:
            raise Http404
        return member

    @extend_schema(
        summary="Check out (your own check-in)",
        parameters=[IDEMPOTENCY_HEADER],
        request=PositionFields,
        responses={200: CheckInOutSerializer, 409: None},
    )
    @action(detail=True, methods=["post"])
    def checkout(self, request: Request, pk: str) -> Response:
        checkin = checkin_for(request.user, pk=int(pk), action="write")
        if checkin.person.user_id != request.user.pk:
            raise Http404
        data = self.parse(PositionFields, request.data)
        body = {"id": checkin.pk, **{k: str(v) for k, v in data.items()}}

        def work(_: None) -> Answer:
            closed = check_out(
                actor=request.user,
                checkin=checkin,
                device_at=data.get("device_at"),
                position=_position(data),
            )
            return Answer(status.HTTP_200_OK, payload(closed))

        return _run(request, "checkout", body, work, prepare=lambda: None)
