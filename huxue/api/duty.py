"""Check-in and check-out over the API, for the member's phone page and for apps (token auth).

One path: DRF authenticates and checks permissions as on every endpoint, a serializer parses the
body, one service (``huxue.duty.checkin.services.check_in`` / ``check_out``) judges and writes, and the
view shapes the answer. Every write carries an ``Idempotency-Key`` header made by the client (a
UUID, at most 64 characters): a retry gets the original answer (with ``Idempotent-Replayed:
true``), the same key with another body gets 422, and two identical requests racing leave one
check-in. Refusals (outside the area, window over…) are not kept: the client may try again once
the reason is gone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import FiniteFloatField, ScopedViewSet, id_filter
from huxue.duty.checkin.rules import SHORT_DUTY
from huxue.duty.checkin.selectors import checkin_for, checkins_visible_to
from huxue.duty.checkin.services import (
    CheckInRefused,
    KeyReused,
    Position,
    check_in,
    check_out,
    request_hash,
)
from huxue.duty.models import CheckIn
from huxue.people.models import Person

KEY_MAX = 64

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
            ("short", checkin.is_short and not as_created),
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
        "window": checkin.shift.hours,
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
        child=serializers.ChoiceField(choices=["late", "outside", "walkin", "delayed", "short"]),
        help_text=(
            f"short: checked out less than {SHORT_DUTY.total_seconds() / 60:g} minutes after "
            "the check-in (with the check-out's answer and in the list)."
        ),
    )
    checked_out_at = serializers.DateTimeField(allow_null=True)


class PositionFields(serializers.Serializer):
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


def _key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > KEY_MAX:
        raise serializers.ValidationError(
            {"Idempotency-Key": [_("Send an Idempotency-Key header of 1 to 64 characters.")]}
        )
    return key


def _digest(endpoint: str, data: dict[str, Any]) -> str:
    return request_hash(endpoint, {k: str(v) for k, v in data.items()})


def _answer(body: dict[str, Any], code: int, *, replayed: bool = False) -> Response:
    response = Response(body, status=code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _refused(exc: CheckInRefused) -> Response:
    return Response(
        {"non_field_errors": [exc.messages[0]], "reason": exc.reason, **exc.extra},
        status=exc.status,
    )


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


class CheckInViewSet(ScopedViewSet):
    """Check-ins in your scope (yours, for a member), newest first; check in and out."""

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
        member = self._member(request)
        data = self.parse(CheckInInSerializer, request.data)
        key = _key(request)
        try:
            checkin = check_in(
                actor=request.user,
                person=member,
                method=data["method"],
                post_id=data.get("post"),
                qr_token=data.get("qr", ""),
                device_at=data.get("device_at"),
                position=_position(data),
                key=key,
                digest=_digest("checkin", data),
            )
        except KeyReused:
            return _key_reused()
        except CheckInRefused as exc:
            return _refused(exc)
        replayed = getattr(checkin, "replayed", False)
        return _answer(
            payload(checkin, as_created=True), status.HTTP_201_CREATED, replayed=replayed
        )

    def _member(self, request: Request) -> Person:
        """The caller's live member record (read with the token, ``MemberToken``); 403 when no
        role of theirs may check in, 404 when they have none. Whether their roles let them
        check in is read with the gate (``check_in``)."""
        person: Person | None = getattr(request.user, "person", None)
        if person is None or person.is_void:
            self.require_create(CheckIn)
            raise Http404
        return person

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
        key = _key(request)
        try:
            closed = check_out(
                actor=request.user,
                checkin=checkin,
                device_at=data.get("device_at"),
                position=_position(data),
                key=key,
                digest=_digest("checkout", {"id": checkin.pk, **data}),
            )
        except KeyReused:
            return _key_reused()
        except CheckInRefused as exc:
            return _refused(exc)
        return _answer(
            payload(closed), status.HTTP_200_OK, replayed=getattr(closed, "replayed", False)
        )
