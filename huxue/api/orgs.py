"""The org tree as the caller sees it: units in scope, the region table, and the caller's own roles."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huxue.api.authentication import TokenAuthentication
from huxue.api.base import ScopedViewSet
from huxue.orgs import access
from huxue.orgs.models import Membership, Region, Unit
from huxue.orgs.roles import Role
from huxue.orgs.selectors import units_visible_to
from huxue.people.selectors import people_visible_to


class UnitSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, help_text="GB/T 2260 code")
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "kind", "name", "region", "region_name", "parent"]
        read_only_fields = fields


class UnitFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Unit.Kind.choices, required=False)


class RegionSerializer(serializers.ModelSerializer):
    # A declared field named like Field.parent: DRF's metaclass moves it into _declared_fields.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="GB/T 2260 code",
    )

    class Meta:
        model = Region
        fields = ["code", "name", "parent"]
        read_only_fields = fields


def regions_all() -> QuerySet[Region]:
    """GB/T 2260 divisions are a public reference table: every signed-in user may read all of it."""
    return Region.objects.select_related("parent").order_by("code")


@extend_schema(tags=["org"])
@extend_schema_view(
    list=extend_schema(
        summary="Units in your scope",
        parameters=[UnitFilterSerializer],
        responses=UnitSerializer(many=True),
    )
)
class UnitViewSet(ScopedViewSet):
    """Units (bureaus, stations, education bureaus, schools) in your scope."""

    queryset = Unit.objects.none()  # names the model for the schema; reads go through selectors
    serializer_class = UnitSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(UnitFilterSerializer)
        units = units_visible_to(request.user).order_by("path", "id")
        if "kind" in query:
            units = units.filter(kind=query["kind"])
        page = self.paginate_queryset(units)
        return self.get_paginated_response(UnitSerializer(page, many=True).data)


@extend_schema(tags=["org"])
@extend_schema_view(
    list=extend_schema(
        summary="Administrative divisions (GB/T 2260)", responses=RegionSerializer(many=True)
    )
)
class RegionViewSet(ScopedViewSet):
    """The GB/T 2260 administrative divisions: public reference data."""

    queryset = Region.objects.none()
    serializer_class = RegionSerializer

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(regions_all())
        return self.get_paginated_response(RegionSerializer(page, many=True).data)


class MembershipSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    role_name = serializers.CharField(source="get_role_display", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )
    region = serializers.CharField(
        source="region.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Membership
        fields = ["role", "role_name", "unit", "unit_name", "region"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    roles = serializers.ListField(
        child=serializers.CharField(),
        help_text="The role codes you hold (as in memberships[].role).",
    )
    memberships = MembershipSerializer(many=True)
    person = serializers.IntegerField(
        allow_null=True, help_text="Your own duty-member record, if you have one you can see."
    )


def _me(user: Any) -> dict[str, Any]:
    memberships = (
        Membership.objects.filter(user=user).select_related("unit", "region").order_by("id")
    )
    own = people_visible_to(user).filter(user=user).values_list("pk", flat=True).first()
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name,
        "email": user.email,
        "roles": sorted(access.roles_of(user)),
        "memberships": memberships,
        "person": own,
    }


class MeView(APIView):
    """The signed-in account."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["org"],
        summary="You: your account, roles and where you hold them",
        responses=MeSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(_me(request.user)).data)
