"""Check-in and check-out over the API, for the member's phone page and for apps (token auth).

Every write carries an ``Idempotency-Key`` header made by the client (a UUID, at most 64
characters). The answer is stored with the check-in in one transaction: a retry gets the original
answer (with ``Idempotent-Replayed: true``), the same key with another body gets 422, and two
identical requests racing leave one check-in. Refusals (outside the area, window over…) are not
stored: the client may try again once the reason is gone.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import classonlymethod
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import HTTP_HEADER_ENCODING, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import json

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


def _created(checkin: CheckIn) -> Answer:
    return Answer(
        status.HTTP_201_CREATED,
        payload(checkin, as_created=True),
        replayed=getattr(checkin, "replayed", False),
    )


def _key_reused() -> Answer:
    return Answer(
        status.HTTP_422_UNPROCESSABLE_ENTITY,
        {
            "non_field_errors": [
                _("This Idempotency-Key was already used for a different request.")
            ],
            "reason": "key_reused",
        },
    )


def _refused(exc: CheckInRefused) -> Answer:
    body: dict[str, Any] = {"non_field_errors": [exc.messages[0]], "reason": exc.reason}
    body.update(exc.extra)
    return Answer(exc.status, body)


def _response(answer: Answer) -> Response:
    response = Response(answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _check_in(
    actor: Any,
    person: Person,
    data: dict[str, Any],
    key: str,
    *,
    now: dt.datetime | None = None,
    view: GateView | None | Literal[False] = False,
) -> Answer:
    """Judge and write a member's check-in (the body ``data``, the client's ``key``): its
    answer, the first one for a retry, or why not."""
    digest = _digest(data)
    try:
        plan = check_in_plan(actor=actor, person=person, **_asked(data), now=now, view=view)
        checkin = check_in_record(plan, key=key, digest=digest)
    except CheckInRefused as exc:
        # A retry whose first attempt went through is refused now (already checked in,
        # window over…): its answer is the first one.
        found = checkin_by_key(person, key)
        if found is None:
            return _refused(exc)
        try:
            checkin = replay(found, digest)
        except KeyReused:
            return _key_reused()
    except KeyReused:
        return _key_reused()
    return _created(checkin)


def _member_check_in(token: str, data: dict[str, Any], key: str) -> tuple[Person, Answer] | None:
    """A check-in made with an API token (a body already valid, a key of the right length): the
    member and the answer, or None when the token is not a live member's who may check in (the
    caller authenticates it the usual way, which says why). On PostgreSQL, once this process has
    read the post's gate, one statement reads the member and writes (``check_in_by_token``);
    otherwise one read finds the member and the gate together (``gate.member_at_gate``)."""
    now = timezone.now()
    written = check_in_by_token(token=token, **_asked(data), now=now, key=key, digest=_digest(data))
    if written is not None:
        member, checkin = written
        return member, _created(checkin)
    at, _ = check_in_moment(data["method"], now, data.get("device_at"))
    found = member_at_gate(token, post_id=data.get("post"), qr_token=data.get("qr", ""), at=at)
    if found is None or not getattr(found[0], "may_check_in", False):
        return None
    member, view = found
    return member, _check_in(member.user, member, data, key, now=now, view=view)


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
        answer = _key_reused()
    except CheckInRefused as exc:
        answer = _refused(exc)
    return _response(answer)


def _token_of(request: HttpRequest) -> str:
    """The key of an ``Authorization: Token <key>`` header ("" for any other), read as DRF's
    ``TokenAuthentication`` reads it (the header's bytes, split on whitespace, the key decoded
    from UTF-8), from the request's environ at once."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").encode(HTTP_HEADER_ENCODING).split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return ""
    try:
        return parts[1].decode()
    except UnicodeError:
        return ""


# -- the lane: a member's check-in with a token, without DRF's generic dispatch -------------
#
# At the morning peak a city's members check in within minutes, and for an app's check-in (a
# JSON body, a token) DRF's generic work (wrapping the request, negotiating parser and
# renderer, authenticating through its classes, rendering through a template response) costs
# about as much as the check-in's own reading, judging and writing. The lane answers exactly
# that request with the same steps the viewset takes (the same serializer, ``_member_check_in``,
# the same answers, rendered by DRF's JSON renderer with the same headers), and leaves every
# other request to the viewset: another content type or Accept header, a query string, session
# auth, a body or key that is not valid, a token that is not a live member's who may check in.
# The body is validated by the same serializer's ``quick`` (its own steps, held to the same
# answers by tests).
# Nothing is written before the lane knows it answers, so the viewset starts afresh.
# ``HUXUE_CHECKIN_LANE=0`` turns it off; tests hold both to the same answers.

_RENDERER = JSONRenderer()


def _lane(request: HttpRequest, headers: dict[str, str]) -> HttpResponse | None:
    meta = request.META
    if (
        meta.get("QUERY_STRING")
        or meta.get("HTTP_ACCEPT", "*/*") not in ("*/*", _RENDERER.media_type)
        or request.content_type != "application/json"
        or (request.content_params or {}).get("charset", "utf-8").lower() not in ("utf-8", "utf8")
    ):
        return None
    key = meta.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    token = _token_of(request)
    if not token or not key or len(key) > KEY_MAX:
        return None
    try:
        body = json.loads(request.body)  # type: ignore[arg-type]  # (bytes, as DRF's parser)
    except ValueError:
        return None
    data = CheckInInSerializer.quick(body)
    if data is None:
        return None
    found = _member_check_in(token, data, key)
    if found is None:
        return None
    member, answer = found
    request.user = member.user  # type: ignore[assignment]  # as DRF leaves it
    response = HttpResponse(
        _RENDERER.render(answer.body), status=answer.status, content_type=_RENDERER.media_type
    )
    for name, value in headers.items():
        response[name] = value
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def checkin_lane(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The viewset's view for the collection, with the lane before it (see above). Not while
    the viewset throttles or versions its requests: the lane would skip that."""
    viewset = view.cls(**view.initkwargs)  # type: ignore[attr-defined]
    if viewset.throttle_classes or viewset.versioning_class is not None:
        return view
    viewset.action_map = dict(view.actions)  # type: ignore[attr-defined]
    if "get" in viewset.action_map:  # as DRF's view does on each request
        viewset.action_map.setdefault("head", viewset.action_map["get"])
    for method, handler in viewset.action_map.items():
        setattr(viewset, method, getattr(viewset, handler))
    # The headers DRF sets on every answer of this view (Allow, and Vary: Accept).
    headers = dict(viewset.default_response_headers)

    @functools.wraps(view)  # keeps what DRF and the schema read off the view (cls, actions…)
    def checkins(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and settings.HUXUE_CHECKIN_LANE:
            answer = _lane(request, headers)
            if answer is not None:
                return answer
        return view(request, *args, **kwargs)

    return checkins


class CheckInViewSet(ScopedViewSet):
    """Check-ins in your scope (yours, for a member), newest first; check in and out."""

    authentication_classes = [MemberTokenAuthentication, SessionAuthentication]
    serializer_class = CheckInListSerializer

    @classonlymethod
    def as_view(cls, actions: dict[str, Any] | None = None, **initkwargs: Any) -> Any:
        view = super().as_view(actions, **initkwargs)
        return checkin_lane(view) if (actions or {}).get("post") == "create" else view

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
            data = self.parse(CheckInInSerializer, request.data)
            return _response(_check_in(request.user, person, data, _key(request)))
        # A token: read the member and the gate together (``_member_check_in``), after the
        # body; a token that is not a live member's is authenticated the usual way.
        try:
            data = self.parse(CheckInInSerializer, request.data)
            key = _key(request)
        except APIException:  # a body or header that is not right (400, 415…)
            self._authenticate(request)  # 401 and 403 come before it, as on every endpoint
            self._member(request)
            raise
        found = _member_check_in(token, data, key)
        if found is None:
            self._authenticate(request)
            return _response(_check_in(request.user, self._member(request), data, key))
        member, answer = found
        self._signed_in(request, member, token)
        return _response(answer)

    @staticmethod
    def _signed_in(request: Request, member: Person, token: str) -> None:
        user: Any = member.user
        user.huxue_member = member
        request.user, request.auth = user, token

    # A member checking in with a token is authenticated by the check-in's own read (see
    # ``create``); every other request, the usual way before the view.

    def _token_first(self, request: Request) -> str:
        if (found := getattr(self, "_first_token", None)) is None:
            found = self._first_token = (
                _token_of(request._request) if self.action == "create" else ""
            )
        return found

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
