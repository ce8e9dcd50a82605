"""Changing a roster by hand over the API: substitutes, manual assignments, drops, locks, swaps.

The same actions as the lead pages (``huxue.roster.lead_views``). Views parse and shape only:
writes go through ``huxue.roster.swaps``, reads through ``huxue.roster.selectors`` and
``huxue.orgs.access``. What a caller without the right gets follows ``huxue.api.base``: a shift,
assignment or swap request the caller may not change is a 404, whether it exists or not.

shifts/{id}/substitutes/     GET (filter: group): eligible members, ranked, for planners
assignments/                 POST {shift, person, group?, substitute?}: a manual, locked assignment
assignments/{id}/drop/       POST {reason}
assignments/{id}/lock/       POST {locked}
swaps/                       GET: pending ones in your scope (leads), your own (members);
                             POST {assignment, colleague, note?}: as the member on the shift
swaps/{id}/approve/          POST: the shift moves to the colleague
swaps/{id}/reject/           POST
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import ScopedPrimaryKeyField, ScopedViewSet
from huxue.api.roster import (
    _SHIFT_BRIEF,
    AssignmentSerializer,
    AssignmentViewSet,
    ShiftBriefSerializer,
    ShiftViewSet,
)
from huxue.orgs import access
from huxue.people.forces import ForceGroup
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift, SignUp
from huxue.roster.selectors import person_of, shift_for, shifts_visible_to, swaps_for_lead
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import (
    assignment_add,
    assignment_drop,
    assignment_lock,
    candidates_for,
    open_groups,
    rank_substitutes,
    swap_colleagues,
    swap_decide,
    swap_request,
)

# At most this many substitutes per force group, as on the shift page.
MAX_SUBSTITUTES = 15


# ---------------------------------------------------------------------------------------------
# Substitutes


class SubstituteFilterSerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=ForceGroup.choices,
        required=False,
        help_text="Only this force group; without it, every group the shift still needs.",
    )


class SubstituteSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person_id", help_text="The member (a person id).")
    name = serializers.CharField()
    group = serializers.ChoiceField(choices=ForceGroup.choices)
    week_shifts = serializers.IntegerField(help_text="Their other shifts that week.")
    home = serializers.BooleanField(help_text="This is their own school.")
    distance_km = serializers.FloatField(help_text="From their school to the post, in km.")


@extend_schema(tags=["roster"])
class LeadShiftViewSet(ShiftViewSet):
    """Shifts, and who could step in on one."""

    @extend_schema(
        summary="Eligible members for a shift, best first (fewest shifts that week, home, nearest)",
        parameters=[SubstituteFilterSerializer],
        responses={200: SubstituteSerializer(many=True), 404: None},
    )
    @action(detail=True, methods=["get"])
    def substitutes(self, request: Request, pk: str) -> Response:
        shift = shift_for(request.user, pk=int(pk), action="write")
        query = self.parse_query(SubstituteFilterSerializer)
        groups = [query["group"]] if "group" in query else sorted(open_groups(shift))
        candidates = candidates_for(shift=shift, actor=request.user) if groups else []
        rows = [
            candidate
            for group in groups
            for candidate in rank_substitutes(candidates, group=group)[:MAX_SUBSTITUTES]
        ]
        return Response(SubstituteSerializer(rows, many=True).data)


# ---------------------------------------------------------------------------------------------
# Assignments


class AssignmentStateSerializer(AssignmentSerializer):
    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "dropped_at", "drop_reason"]
        read_only_fields = fields


def _shifts_to_plan(user: Any) -> QuerySet[Shift]:
    return shifts_visible_to(user, action="write")


def _people_to_roster(user: Any) -> QuerySet[Person]:
    return access.filter(user, "read", Person.objects.filter(voided_at__isnull=True))


class AssignmentCreateSerializer(serializers.Serializer):
    shift = ScopedPrimaryKeyField(
        queryset=Shift.objects.all(), scoped=_shifts_to_plan, help_text="A shift you plan."
    )
    person = ScopedPrimaryKeyField(
        queryset=Person.objects.all(),
        scoped=_people_to_roster,
        help_text="The member to put on it.",
    )
    group = serializers.ChoiceField(
        choices=ForceGroup.choices,
        required=False,
        help_text="The member's force group, if you want it checked; it cannot be chosen.",
    )
    substitute = serializers.BooleanField(
        default=False, help_text="Record it as a substitute for someone who left."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "group" in attrs and attrs["group"] != attrs["person"].force_group:
            raise serializers.ValidationError(
                {"group": [_("This member's force group is not the one chosen.")]}
            )
        return attrs


class DropSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200, help_text="Why the member is taken off; kept and audited."
    )


class LockSerializer(serializers.Serializer):
    locked = serializers.BooleanField(help_text="True: every later solver run keeps it.")


def _assignment_to_change(user: Any, pk: str) -> Assignment:
    return access.get_or_404(
        user,
        "write",
        Assignment.objects.select_related(*_SHIFT_BRIEF, "person__user"),
        pk=int(pk),
    )


@extend_schema(tags=["roster"])
@extend_schema_view(
    create=extend_schema(
        summary="Put a member on a shift by hand (locked); the rostering rules still hold",
        request=AssignmentCreateSerializer,
        responses={201: AssignmentStateSerializer, 403: None},
    )
)
class LeadAssignmentViewSet(AssignmentViewSet):
    """Who is on which shift, and the planners' changes to it."""

    def create(self, request: Request) -> Response:
        self.require_create(Assignment)
        values = self.parse(AssignmentCreateSerializer, request.data)
        assignment = assignment_add(
            actor=request.user,
            shift=values["shift"],
            person=values["person"],
            source=Assignment.Source.SUBSTITUTE
            if values["substitute"]
            else Assignment.Source.MANUAL,
            locked=True,
        )
        fresh = _assignment_to_change(request.user, str(assignment.pk))
        return Response(AssignmentStateSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take a member off a shift, with a reason (the record stays, marked dropped)",
        request=DropSerializer,
        responses={200: AssignmentStateSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def drop(self, request: Request, pk: str) -> Response:
        assignment = _assignment_to_change(request.user, pk)
        values = self.parse(DropSerializer, request.data)
        assignment_drop(actor=request.user, assignment=assignment, reason=values["reason"])
        fresh = _assignment_to_change(request.user, pk)
        return Response(AssignmentStateSerializer(fresh).data)

    @extend_schema(
        summary="Lock an assignment (later solver runs keep it) or unlock it",
        request=LockSerializer,
        responses={200: AssignmentStateSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str) -> Response:
        assignment = _assignment_to_change(request.user, pk)
        values = self.parse(LockSerializer, request.data)
        assignment_lock(actor=request.user, assignment=assignment, locked=values["locked"])
        fresh = _assignment_to_change(request.user, pk)
        return Response(AssignmentStateSerializer(fresh).data)


# ---------------------------------------------------------------------------------------------
# Swaps


class SwapSerializer(serializers.ModelSerializer):
    shift = ShiftBriefSerializer(source="assignment.shift")
    group = serializers.ChoiceField(choices=ForceGroup.choices, source="assignment.group")
    requested_by_name = serializers.CharField(source="requested_by.name")
    colleague_name = serializers.CharField(source="colleague.name")
    # A plain string: an enum here would collide in the schema with the solver run's "status".
    status = serializers.CharField(help_text="pending, approved or rejected.")

    class Meta:
        model = SwapRequest
        fields = [
            "id",
            "assignment",
            "shift",
            "group",
            "requested_by",
            "requested_by_name",
            "colleague",
            "colleague_name",
            "note",
            "status",
            "created_at",
            "decided_at",
            "new_assignment",
        ]
        read_only_fields = fields


def _own_assignments(user: Any) -> QuerySet[Assignment]:
    person = person_of(user)
    if person is None:
        return Assignment.objects.none()
    return access.filter(
        user, "read", Assignment.objects.filter(person=person, dropped_at__isnull=True)
    )


class SwapCreateSerializer(serializers.Serializer):
    assignment = ScopedPrimaryKeyField(
        queryset=Assignment.objects.all(),
        scoped=_own_assignments,
        help_text="One of your own rostered shifts (an assignment id).",
    )
    colleague = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="A colleague of your school and force group who could take it (a person id).",
    )
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


_SWAP_RELATED = (
    "assignment__shift__post__school__unit",
    "requested_by",
    "colleague",
)


def _swaps(user: Any) -> QuerySet[SwapRequest]:
    """Pending requests the caller may decide, and the caller's own requests."""
    where = Q(pk__in=[])
    if access.allowed(user, "write", Assignment):
        pending = swaps_for_lead(user).filter(status=SwapRequest.Status.PENDING)
        where |= Q(pk__in=pending.values("pk"))
    person = person_of(user)
    if person is not None:
        where |= Q(
            requested_by=person,
            assignment__in=access.filter(user, "read", Assignment.objects.all()),
        )
    return SwapRequest.objects.filter(where).select_related(*_SWAP_RELATED)


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Swap requests: pending ones you decide (leads), your own (members)",
        responses=SwapSerializer(many=True),
    ),
    create=extend_schema(
        summary="Ask that a colleague take one of your shifts; the school lead decides",
        request=SwapCreateSerializer,
        responses={201: SwapSerializer, 403: None},
    ),
)
class SwapViewSet(ScopedViewSet):
    """Members asking colleagues to take their shifts; the school lead approves or rejects."""

    queryset = SwapRequest.objects.none()
    serializer_class = SwapSerializer

    def list(self, request: Request) -> Response:
        swaps = _swaps(request.user).order_by("assignment__shift__starts_at", "id")
        page = self.paginate_queryset(swaps)
        return self.get_paginated_response(SwapSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        # The same gate as the member pages: a member is whoever may sign up.
        self.require_create(SignUp)
        values = self.parse(SwapCreateSerializer, request.data)
        assignment = (
            Assignment.objects.select_related("shift__post__school__unit__region", "person")
            .filter(pk=values["assignment"].pk)
            .get()
        )
        colleague = next(
            (c for c in swap_colleagues(assignment) if c.person_id == values["colleague"]), None
        )
        if colleague is None:
            raise serializers.ValidationError(
                {
                    "colleague": [
                        _("This colleague cannot take the shift; choose one from the list.")
                    ]
                }
            )
        swap = swap_request(
            actor=request.user,
            assignment=assignment,
            colleague=Person.objects.get(pk=colleague.person_id),
            note=values["note"],
        )
        fresh = SwapRequest.objects.select_related(*_SWAP_RELATED).get(pk=swap.pk)
        return Response(SwapSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, pk: str, *, approve: bool) -> Response:
        swap = swaps_for_lead(request.user).filter(pk=int(pk)).first()
        if swap is None:
            raise Http404
        decided = swap_decide(actor=request.user, swap=swap, approve=approve)
        fresh = SwapRequest.objects.select_related(*_SWAP_RELATED).get(pk=decided.pk)
        return Response(SwapSerializer(fresh).data)

    @extend_schema(
        summary="Approve a swap: the shift moves to the colleague; both are told",
        request=None,
        responses={200: SwapSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, approve=True)

    @extend_schema(
        summary="Reject a swap: the member keeps the shift and is told",
        request=None,
        responses={200: SwapSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, approve=False)
