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
                             POST {assignment, colleague, note?}: as the member on the shift;
                             POST {assignment, kind: "release", note}: with no colleague free,
                             ask the school lead to be let off (note: the reason)
swaps/{id}/approve/          POST: the shift moves to the colleague (a release: the member is off)
swaps/{id}/reject/           POST
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import ScopedPrimaryKeyField, ScopedViewSet
from huxue.api.roster import (
    AssignmentSerializer,
    AssignmentViewSet,
    ShiftBriefSerializer,
    ShiftViewSet,
)
from huxue.people.forces import ForceGroup
from huxue.people.models import Person
from huxue.roster.models import Assignment, Shift, SignUp
from huxue.roster.selectors import (
    assignment_for,
    colleague_for_swap,
    own_assignments_of,
    people_to_roster,
    shift_for,
    shifts_visible_to,
    substitutes_for,
    swap_by_pk,
    swap_to_decide_for,
    swaps_visible_to,
)
from huxue.roster.swap_models import SwapRequest
from huxue.roster.swaps import (
    assignment_add,
    assignment_drop,
    assignment_lock,
    release_request,
    swap_colleagues,
    swap_decide,
    swap_request,
)

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
        groups = substitutes_for(request.user, shift=shift, group=query.get("group"))
        rows = [candidate for group in groups for candidate in group.people]
        return Response(SubstituteSerializer(rows, many=True).data)


# ---------------------------------------------------------------------------------------------
# Assignments


class AssignmentStateSerializer(AssignmentSerializer):
    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "dropped_at", "drop_reason"]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    shift = ScopedPrimaryKeyField(
        queryset=Shift.objects.all(),
        scoped=partial(shifts_visible_to, action="write"),
        help_text="A shift you plan.",
    )
    person = ScopedPrimaryKeyField(
        queryset=Person.objects.all(),
        scoped=people_to_roster,
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
        fresh = assignment_for(request.user, pk=assignment.pk)
        return Response(AssignmentStateSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take a member off a shift, with a reason (the record stays, marked dropped)",
        request=DropSerializer,
        responses={200: AssignmentStateSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def drop(self, request: Request, pk: str) -> Response:
        assignment = assignment_for(request.user, pk=int(pk))
        values = self.parse(DropSerializer, request.data)
        assignment_drop(actor=request.user, assignment=assignment, reason=values["reason"])
        fresh = assignment_for(request.user, pk=int(pk))
        return Response(AssignmentStateSerializer(fresh).data)

    @extend_schema(
        summary="Lock an assignment (later solver runs keep it) or unlock it",
        request=LockSerializer,
        responses={200: AssignmentStateSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str) -> Response:
        assignment = assignment_for(request.user, pk=int(pk))
        values = self.parse(LockSerializer, request.data)
        assignment_lock(actor=request.user, assignment=assignment, locked=values["locked"])
        fresh = assignment_for(request.user, pk=int(pk))
        return Response(AssignmentStateSerializer(fresh).data)


# ---------------------------------------------------------------------------------------------
# Swaps


class SwapSerializer(serializers.ModelSerializer):
    shift = ShiftBriefSerializer(source="assignment.shift")
    group = serializers.ChoiceField(choices=ForceGroup.choices, source="assignment.group")
    requested_by_name = serializers.CharField(source="requested_by.name")
    kind = serializers.CharField(help_text="swap (to a colleague) or release (no colleague).")
    colleague_name = serializers.CharField(
        source="colleague.name", allow_null=True, help_text="None for a release."
    )
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
            "kind",
            "colleague",
            "colleague_name",
            "note",
            "status",
            "created_at",
            "decided_at",
            "new_assignment",
        ]
        read_only_fields = fields


class SwapCreateSerializer(serializers.Serializer):
    assignment = ScopedPrimaryKeyField(
        queryset=Assignment.objects.all(),
        scoped=own_assignments_of,
        help_text="One of your own rostered shifts (an assignment id).",
    )
    kind = serializers.ChoiceField(
        choices=SwapRequest.Kind.choices,
        default=SwapRequest.Kind.SWAP,
        help_text="swap: a colleague takes it; release: no colleague is free, the lead decides.",
    )
    colleague = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="For a swap: a colleague of your school and force group who could take it "
        "(a person id).",
    )
    note = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="For a release, required: why you cannot come.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == SwapRequest.Kind.SWAP and "colleague" not in attrs:
            raise serializers.ValidationError({"colleague": [_("Choose a colleague.")]})
        if attrs["kind"] == SwapRequest.Kind.RELEASE and not attrs["note"].strip():
            raise serializers.ValidationError(
                {"note": [_("Say why you cannot come, so that the school lead can decide.")]}
            )
        return attrs


@extend_schema(tags=["roster"])
@extend_schema_view(
    list=extend_schema(
        summary="Swap requests: pending ones you decide (leads), your own (members)",
        responses=SwapSerializer(many=True),
    ),
    create=extend_schema(
        summary="Ask that a colleague take one of your shifts, or (none free) to be released "
        "from it; the school lead decides",
        request=SwapCreateSerializer,
        responses={201: SwapSerializer, 403: None},
    ),
)
class SwapViewSet(ScopedViewSet):
    """Members asking colleagues to take their shifts; the school lead approves or rejects."""

    queryset = SwapRequest.objects.none()
    serializer_class = SwapSerializer

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(swaps_visible_to(request.user))
        return self.get_paginated_response(SwapSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        # The same gate as the member pages: a member is whoever may sign up.
        self.require_create(SignUp)
        values = self.parse(SwapCreateSerializer, request.data)
        assignment = values["assignment"]  # read with what the swap needs (own_assignments_of)
        if values["kind"] == SwapRequest.Kind.RELEASE:
            release = release_request(
                actor=request.user, assignment=assignment, reason=values["note"]
            )
            fresh = swap_by_pk(pk=release.pk)
            return Response(SwapSerializer(fresh).data, status=status.HTTP_201_CREATED)
        colleague = colleague_for_swap(
            colleagues=swap_colleagues(assignment), pk=values["colleague"]
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
            colleague=colleague,
            note=values["note"],
        )
        fresh = swap_by_pk(pk=swap.pk)
        return Response(SwapSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, pk: str, *, approve: bool) -> Response:
        swap = swap_to_decide_for(request.user, pk=int(pk))
        decided = swap_decide(actor=request.user, swap=swap, approve=approve)
        fresh = swap_by_pk(pk=decided.pk)
        return Response(SwapSerializer(fresh).data)

    @extend_schema(
        summary="Approve a request: a swap moves the shift to the colleague (both are told); a "
        "release takes the member off it (they are told)",
        request=None,
        responses={200: SwapSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, approve=True)

    @extend_schema(
        summary="Reject a request: the member keeps the shift and is told",
        request=None,
        responses={200: SwapSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, pk, approve=False)
