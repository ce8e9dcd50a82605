"""Rostering over the API: shifts, sign-ups, availability, solver runs, published versions.

Views parse and shape only: writes go through ``huxue.roster.services`` and
``huxue.roster.planning``, reads through ``huxue.roster.selectors`` and ``huxue.orgs.access``.
What a caller without the right gets follows ``huxue.api.base``. The "my" endpoints
(``availability/``, ``me/calendar-feed/``) are about the duty-member record linked to the login:
a caller without one, or whose roles may not act as a member, gets 404 (there is nothing there).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huxue.api.base import ScopedPrimaryKeyField, ScopedViewSet, id_filter
from huxue.orgs import access
from huxue.orgs.models import Unit
from huxue.people.forces import ForceGroup
from huxue.posts.models import Post, School
from huxue.roster.models import (
    Assignment,
    Availability,
    AvailabilityException,
    RosterRun,
    RosterVersion,
    Shift,
    SignUp,
)
from huxue.roster.planning import roster_publish, roster_solve
from huxue.roster.selectors import (
    assignments_visible_to,
    availability_of,
    member_for,
    person_of,
    posts_planned_by,
    posts_to_generate,
    roster_run_for,
    roster_run_unfilled,
    roster_runs_visible_to,
    roster_version_for,
    roster_versions_visible_to,
    schools_planned_by,
    shift_filled_for,
    shifts_filled_visible_to,
    shifts_visible_to,
    signup_for,
    signups_visible_to,
    units_planned_by,
)
from huxue.roster.services import (
    availability_exception_set,
    availability_set,
    calendar_feed_issue,
    shifts_generate,
    signup_accept,
    signup_create,
    signup_decline,
    signup_withdraw,
)

# Generating and solving are synchronous: keep one request to about a school term's quarter.
MAX_DAYS = 92


# ---------------------------------------------------------------------------------------------
# Shared parts


def _date_range(*, required: bool) -> dict[str, serializers.DateField]:
    # "from" is a Python keyword, so the fields are added to the class namespace by name.
    return {
        "from": serializers.DateField(
            required=required, help_text="First day (YYYY-MM-DD), inclusive."
        ),
        "to": serializers.DateField(
            required=required, help_text="Last day (YYYY-MM-DD), inclusive."
        ),
    }


def _check_range(attrs: dict[str, Any]) -> dict[str, Any]:
    start, end = attrs.get("from"), attrs.get("to")
    if start and end:
        if end < start:
            raise serializers.ValidationError({"to": [_("The end date is before the start date.")]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"to": [_("Choose at most %(days)d days at a time.") % {"days": MAX_DAYS}]}
            )
    return attrs


class RangeFilterSerializer(serializers.Serializer):
    school = id_filter("Only this school's records.")
    vars().update(_date_range(required=False))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _check_range(attrs)


def _range(query: dict[str, Any]) -> dict[str, Any]:
    """The range filter's values as the selectors take them (None: not given)."""
    return {"school": query.get("school"), "start": query.get("from"), "end": query.get("to")}


class ShiftBriefSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")
    post_name = serializers.CharField(source="post.name")
    school = serializers.IntegerField(source="post.school_id")
    school_name = serializers.CharField(source="post.school.unit.name")

    class Meta:
        model = Shift
        fields = [
            "id",
            "day",
            "start",
            "end",
            "starts_at",
            "ends_at",
            "post",
            "post_name",
            "school",
            "school_name",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------
# Shifts


class NeedSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=ForceGroup.choices)
    needed = serializers.IntegerField()


class NeedFillSerializer(NeedSerializer):
    assigned = serializers.IntegerField(help_text="Live assignments of this group.")


class ShiftSerializer(ShiftBriefSerializer):
    requirements = serializers.SerializerMethodField()
    needed = serializers.IntegerField(help_text="People needed in all.")
    assigned = serializers.IntegerField(help_text="Live assignments in all.")
    signed_up = serializers.IntegerField(help_text="Live sign-ups.")

    class Meta(ShiftBriefSerializer.Meta):
        fields = [
            *ShiftBriefSerializer.Meta.fields,
            "requirements",
            "needed",
            "assigned",
            "signed_up",
        ]
        read_only_fields = fields

    @extend_schema_field(NeedSerializer(many=True))
    def get_requirements(self, shift: Shift) -> list[dict[str, Any]]:
        return [
            {"group": group, "needed": int(n)}
            for group, n in sorted(shift.requirements.items())
            if int(n) > 0
        ]


class ShiftDetailSerializer(ShiftSerializer):
    @extend_schema_field(NeedFillSerializer(many=True))
    def get_requirements(self, shift: Shift) -> list[dict[str, Any]]:
        by_group = self.context.get("assigned_by_group", {})
        return [
            {**need, "assigned": by_group.get(need["group"], 0)}
            for need in super().get_requirements(shift)
        ]


class ShiftFilterSerializer(RangeFilterSerializer):
    post = id_filter("Only this post's shifts.")


class GenerateSerializer(serializers.Serializer):
    schools = ScopedPrimaryKeyField(
        queryset=School.objects.all(),
        scoped=partial(schools_planned_by, object_type="shift"),
        many=True,
        required=False,
        help_text="Every live post of these schools.",
    )
    posts = ScopedPrimaryKeyField(
        queryset=Post.objects.all(),
        scoped=posts_planned_by,
        many=True,
        required=False,
        help_text="These posts.",
    )
    vars().update(_date_range(required=True))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("schools") and not attrs.get("posts"):
            raise serializers.ValidationError(_("Choose the schools or posts to make shifts for."))
        return _check_range(attrs)


class GeneratedSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Shifts made now.")
    existing = serializers.IntegerField(help_text="Shifts that were there already.")


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Shifts in your scope (members: their school's)",
        parameters=[ShiftFilterSerializer],
        responses=ShiftSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One shift, with what it needs and how full it is",
        responses={200: ShiftDetailSerializer, 404: None},
    ),
)
class ShiftViewSet(ScopedViewSet):
    """Shifts: one duty window of one post on one school day."""

    queryset = Shift.objects.none()  # names the model for the schema; reads go through selectors
    serializer_class = ShiftSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(ShiftFilterSerializer)
        shifts = shifts_filled_visible_to(request.user, post=query.get("post"), **_range(query))
        page = self.paginate_queryset(shifts)
        return self.get_paginated_response(ShiftSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        shift, by_group = shift_filled_for(request.user, pk=int(pk))
        context = {"assigned_by_group": by_group}
        return Response(ShiftDetailSerializer(shift, context=context).data)

    @extend_schema(
        summary="Make shifts from the posts' windows on each school day (re-running adds only new ones)",
        request=GenerateSerializer,
        responses={200: GeneratedSerializer, 403: None},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        self.require_create(Shift)
        values = self.parse(GenerateSerializer, request.data)
        posts = posts_to_generate(
            request.user, posts=values.get("posts", []), schools=values.get("schools", [])
        )
        created, existing = shifts_generate(
            actor=request.user, posts=posts, start=values["from"], end=values["to"]
        )
        return Response({"created": created, "existing": existing})


# ---------------------------------------------------------------------------------------------
# Sign-ups


class SignUpSerializer(serializers.ModelSerializer):
    shift = ShiftBriefSerializer()
    person_name = serializers.CharField(source="person.name")

    class Meta:
        model = SignUp
        fields = [
            "id",
            "shift",
            "person",
            "person_name",
            "status",
            "reserve",
            "created_at",
            "decided_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class SignUpCreateSerializer(serializers.Serializer):
    shift = ScopedPrimaryKeyField(
        queryset=Shift.objects.all(),
        scoped=shifts_visible_to,
        help_text="A shift of your school.",
    )


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Sign-ups: your own (members) or in your scope (planners)",
        parameters=[RangeFilterSerializer],
        responses=SignUpSerializer(many=True),
    ),
    create=extend_schema(
        summary="Sign up for a shift as the member linked to your login",
        request=SignUpCreateSerializer,
        responses={201: SignUpSerializer, 403: None},
    ),
)
class SignUpViewSet(ScopedViewSet):
    """Members offering to take shifts; the solver keeps every live sign-up."""

    queryset = SignUp.objects.none()
    serializer_class = SignUpSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(RangeFilterSerializer)
        page = self.paginate_queryset(signups_visible_to(request.user, **_range(query)))
        return self.get_paginated_response(SignUpSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        self.require_create(SignUp)
        values = self.parse(SignUpCreateSerializer, request.data)
        person = person_of(request.user)
        if person is None:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "Only duty members can sign up for shifts, and your login is not "
                            "linked to a member record."
                        )
                    ]
                }
            )
        signup = signup_create(actor=request.user, person=person, shift=values["shift"])
        fresh = signup_for(request.user, pk=signup.pk, action="read")
        return Response(SignUpSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw a sign-up (until the city's cut-off before the shift)",
        request=None,
        responses={200: SignUpSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        signup = signup_for(request.user, pk=int(pk), action="write")
        signup_withdraw(actor=request.user, signup=signup)
        fresh = signup_for(request.user, pk=signup.pk, action="read")
        return Response(SignUpSerializer(fresh).data)

    def _answer(self, request: Request, pk: str, *, accept: bool) -> Response:
        signup = signup_for(request.user, pk=int(pk), action="write")
        if not access.allowed(request.user, "write", Shift):
            raise Http404  # a member withdraws; only a planner answers
        (signup_accept if accept else signup_decline)(actor=request.user, signup=signup)
        fresh = signup_for(request.user, pk=signup.pk, action="read")
        return Response(SignUpSerializer(fresh).data)

    @extend_schema(
        summary="Accept a sign-up (planners): the member goes on the planned roster",
        request=None,
        responses={200: SignUpSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._answer(request, pk, accept=True)

    @extend_schema(
        summary="Decline a sign-up (planners): the member is told",
        request=None,
        responses={200: SignUpSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._answer(request, pk, accept=False)


# ---------------------------------------------------------------------------------------------
# Availability and the calendar feed: the caller's own member record


class AvailabilityWindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 is Monday.")
    start = serializers.TimeField(format="%H:%M", help_text="e.g. 07:00")
    end = serializers.TimeField(format="%H:%M", help_text="e.g. 08:30")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError(_("Each available time must end after it starts."))
        return attrs


class AvailabilityExceptionSerializer(serializers.ModelSerializer):
    available = serializers.BooleanField(
        default=False, help_text="False: away that day; true: free then though not usually."
    )
    note = serializers.CharField(max_length=100, allow_blank=True, default="")

    class Meta:
        model = AvailabilityException
        fields = ["day", "available", "note"]


class AvailabilityWriteSerializer(serializers.Serializer):
    windows = AvailabilityWindowSerializer(
        many=True, help_text="Your whole weekly pattern; it replaces the one before."
    )


class AvailabilitySerializer(AvailabilityWriteSerializer):
    exceptions = AvailabilityExceptionSerializer(many=True, help_text="From today on.")


class _MemberView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


class AvailabilityView(_MemberView):
    """Your weekly availability, and the days it does not hold."""

    @extend_schema(
        tags=["roster"],
        summary="Your weekly availability and coming exceptions",
        responses={200: AvailabilitySerializer, 404: None},
    )
    def get(self, request: Request) -> Response:
        person = member_for(request.user, action="read", model=Availability)
        return Response(AvailabilitySerializer(availability_of(person=person)).data)

    @extend_schema(
        tags=["roster"],
        summary="Replace your weekly availability",
        request=AvailabilityWriteSerializer,
        responses={200: AvailabilitySerializer, 404: None},
    )
    def put(self, request: Request) -> Response:
        person = member_for(request.user, action="write", model=Availability)
        serializer = AvailabilityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        windows = [
            (w["weekday"], w["start"], w["end"]) for w in serializer.validated_data["windows"]
        ]
        availability_set(actor=request.user, person=person, windows=windows)
        return Response(AvailabilitySerializer(availability_of(person=person)).data)


class AvailabilityExceptionView(_MemberView):
    """One date on which your weekly pattern does not hold."""

    @extend_schema(
        tags=["roster"],
        summary="Set a date on which your weekly availability does not hold (replaces that date's)",
        request=AvailabilityExceptionSerializer,
        responses={200: AvailabilityExceptionSerializer, 404: None},
    )
    def post(self, request: Request) -> Response:
        person = member_for(request.user, action="write", model=AvailabilityException)
        serializer = AvailabilityExceptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exception = availability_exception_set(
            actor=request.user, person=person, **serializer.validated_data
        )
        return Response(AvailabilityExceptionSerializer(exception).data)


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text="Your private iCal address; whoever has it sees your shifts."
    )
    rotated_at = serializers.DateTimeField()


class CalendarFeedView(_MemberView):
    """Your private calendar (iCal) address."""

    @extend_schema(
        tags=["roster"],
        summary="Issue your private iCal address (any older one stops working)",
        request=None,
        responses={200: CalendarFeedSerializer, 404: None},
    )
    def post(self, request: Request) -> Response:
        # The same gate as the member pages: a member is whoever may sign up.
        person = member_for(request.user, action="write", model=SignUp)
        feed = calendar_feed_issue(actor=request.user, person=person)
        url = request.build_absolute_uri(reverse("roster:ical", args=[feed.token]))
        return Response(CalendarFeedSerializer({"url": url, "rotated_at": feed.rotated_at}).data)


# ---------------------------------------------------------------------------------------------
# Solver runs


class UnfilledSerializer(serializers.Serializer):
    shift = serializers.IntegerField(source="shift_id")
    group = serializers.ChoiceField(choices=ForceGroup.choices)
    missing = serializers.IntegerField(help_text="People of this group still needed.")
    reason = serializers.CharField(help_text="Reason code, e.g. not_trained.")
    reason_text = serializers.CharField(help_text="Why, in the request's language.")
    suggestion = serializers.CharField(allow_blank=True, help_text="Suggestion code.")
    suggestion_text = serializers.CharField(
        allow_blank=True, help_text="What would fill it, in the request's language."
    )


class RosterRunSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", allow_null=True, default=None)
    region = serializers.CharField(source="region.code", help_text="GB/T 2260 code")
    unfilled_count = serializers.SerializerMethodField()

    class Meta:
        model = RosterRun
        fields = [
            "id",
            "unit",
            "unit_name",
            "region",
            "start",
            "end",
            "seed",
            "status",
            "slots",
            "filled",
            "objective",
            "bound",
            "gap",
            "optimal",
            "wall_s",
            "unfilled_count",
            "created_at",
        ]
        read_only_fields = fields

    def get_unfilled_count(self, run: RosterRun) -> int:
        return len(run.unfilled)


class RosterRunDetailSerializer(RosterRunSerializer):
    unfilled = serializers.SerializerMethodField()

    class Meta(RosterRunSerializer.Meta):
        fields = [*RosterRunSerializer.Meta.fields, "unfilled"]
        read_only_fields = fields

    @extend_schema_field(UnfilledSerializer(many=True))
    def get_unfilled(self, run: RosterRun) -> list[dict[str, Any]]:
        slots = roster_run_unfilled(run=run)
        return UnfilledSerializer(slots, many=True).data  # type: ignore[return-value]


class SolveSerializer(serializers.Serializer):
    school = ScopedPrimaryKeyField(
        queryset=School.objects.all(),
        scoped=partial(schools_planned_by, object_type="rosterrun"),
        required=False,
        help_text="Plan this school (its station's officers included).",
    )
    unit = ScopedPrimaryKeyField(
        queryset=Unit.objects.all(),
        scoped=units_planned_by,
        required=False,
        help_text="Or plan everything under this unit (e.g. a police station).",
    )
    vars().update(_date_range(required=True))
    seed = serializers.IntegerField(
        default=0, min_value=0, max_value=2**31 - 1, help_text="Same seed, same roster."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("school" in attrs) == ("unit" in attrs):
            raise serializers.ValidationError(_("Choose either a school or a unit to plan."))
        return _check_range(attrs)


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Solver runs in your scope", responses=RosterRunSerializer(many=True)
    ),
    retrieve=extend_schema(
        summary="One solver run, with each unfilled slot explained",
        responses={200: RosterRunDetailSerializer, 404: None},
    ),
    create=extend_schema(
        summary="Solve a draft roster for a school or unit and dates (waits for the solver)",
        request=SolveSerializer,
        responses={201: RosterRunDetailSerializer, 403: None},
    ),
)
class RosterRunViewSet(ScopedViewSet):
    """Solver runs: figures, and why each unfilled slot stayed empty, with a suggestion."""

    queryset = RosterRun.objects.none()
    serializer_class = RosterRunSerializer

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(roster_runs_visible_to(request.user))
        return self.get_paginated_response(RosterRunSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        run = roster_run_for(request.user, pk=int(pk))
        return Response(RosterRunDetailSerializer(run).data)

    def create(self, request: Request) -> Response:
        self.require_create(RosterRun)
        values = self.parse(SolveSerializer, request.data)
        place = values["school"].unit if "school" in values else values["unit"]
        run = roster_solve(
            actor=request.user,
            place=place,
            start=values["from"],
            end=values["to"],
            seed=values["seed"],
        )
        fresh = roster_run_for(request.user, pk=run.pk)
        return Response(RosterRunDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Published versions


class SnapshotRowSerializer(serializers.Serializer):
    shift = serializers.IntegerField()
    person = serializers.IntegerField()
    group = serializers.ChoiceField(choices=ForceGroup.choices)


class RosterVersionSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.unit.name")
    assignments = serializers.SerializerMethodField(help_text="People on shifts in this version.")

    class Meta:
        model = RosterVersion
        fields = [
            "id",
            "school",
            "school_name",
            "start",
            "end",
            "version",
            "published_at",
            "published_by",
            "assignments",
        ]
        read_only_fields = fields

    def get_assignments(self, version: RosterVersion) -> int:
        return len(version.snapshot)


class RosterVersionDetailSerializer(RosterVersionSerializer):
    snapshot = serializers.SerializerMethodField()

    class Meta(RosterVersionSerializer.Meta):
        fields = [*RosterVersionSerializer.Meta.fields, "snapshot"]
        read_only_fields = fields

    @extend_schema_field(SnapshotRowSerializer(many=True))
    def get_snapshot(self, version: RosterVersion) -> list[dict[str, Any]]:
        return [{"shift": s, "person": p, "group": g} for s, p, g in version.snapshot]


class PublishSerializer(serializers.Serializer):
    school = ScopedPrimaryKeyField(
        queryset=School.objects.all(),
        scoped=partial(schools_planned_by, object_type="rosterversion"),
    )
    vars().update(_date_range(required=True))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _check_range(attrs)


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Published rosters in your scope",
        parameters=[RangeFilterSerializer],
        responses=RosterVersionSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One published roster, with who is on which shift",
        responses={200: RosterVersionDetailSerializer, 404: None},
    ),
    create=extend_schema(
        summary="Publish a school's roster for the dates as a new version; members are told",
        request=PublishSerializer,
        responses={201: RosterVersionDetailSerializer, 403: None},
    ),
)
class RosterVersionViewSet(ScopedViewSet):
    """Published rosters of one school for a date range; each publication is a new version."""

    queryset = RosterVersion.objects.none()
    serializer_class = RosterVersionSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(RangeFilterSerializer)
        page = self.paginate_queryset(roster_versions_visible_to(request.user, **_range(query)))
        return self.get_paginated_response(RosterVersionSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        version = roster_version_for(request.user, pk=int(pk))
        return Response(RosterVersionDetailSerializer(version).data)

    def create(self, request: Request) -> Response:
        self.require_create(RosterVersion)
        values = self.parse(PublishSerializer, request.data)
        version = roster_publish(
            actor=request.user, school=values["school"], start=values["from"], end=values["to"]
        )
        fresh = roster_version_for(request.user, pk=version.pk)
        return Response(RosterVersionDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Assignments


class AssignmentSerializer(serializers.ModelSerializer):
    shift = ShiftBriefSerializer()
    person_name = serializers.CharField(source="person.name")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "shift",
            "person",
            "person_name",
            "group",
            "source",
            "locked",
            "run",
            "published",
        ]
        read_only_fields = fields


class AssignmentFilterSerializer(RangeFilterSerializer):
    roster = serializers.ChoiceField(
        choices=[("published", "published"), ("planned", "planned")],
        default="published",
        help_text="published: what members were told (default); planned: the planners' working "
        "roster, unpublished changes included (only the shifts you plan).",
    )


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Assignments: your own (members) or in your scope; published, or planned",
        parameters=[AssignmentFilterSerializer],
        responses=AssignmentSerializer(many=True),
    )
)
class AssignmentViewSet(ScopedViewSet):
    """Who is on which shift."""

    queryset = Assignment.objects.none()
    serializer_class = AssignmentSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(AssignmentFilterSerializer)
        rows = assignments_visible_to(
            request.user, planned=query["roster"] == "planned", **_range(query)
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)
