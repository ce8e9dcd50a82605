"""Schools and their guard posts over the API.

A post's QR token is what its printed poster encodes; the API shows it only to callers who may
write that post (and so print or rotate its poster). Everyone else gets ``qr_token: null``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import (
    ScopedPrimaryKeyField,
    ScopedViewSet,
    VoidSerializer,
    id_filter,
    writable_ids,
)
from huxue.orgs import access
from huxue.orgs.models import Region, Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceGroup
from huxue.posts.models import DutyWindow, Post, School, StaffingRequirement
from huxue.posts.selectors import post_for, posts_visible_to, school_for, schools_visible_to
from huxue.posts.services import (
    clean_requirements,
    post_create,
    post_rotate_qr,
    post_update,
    post_void,
    school_create,
    school_update,
)

# ---------------------------------------------------------------------------------------------
# Schools


class SchoolSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="unit.name", read_only=True)
    station_name = serializers.CharField(source="station.name", read_only=True)
    region = serializers.CharField(
        source="unit.region.code", read_only=True, help_text="GB/T 2260 code"
    )
    region_name = serializers.CharField(source="unit.region.name", read_only=True)

    class Meta:
        model = School
        fields = [
            "id",
            "unit",
            "name",
            "stage",
            "pupils",
            "station",
            "station_name",
            "region",
            "region_name",
            "address",
            "latitude",
            "longitude",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _stations_for_schools(user: Any) -> QuerySet[Unit]:
    return units_accepting(user, object_type="school", kind=Unit.Kind.STATION)


class SchoolUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    stage = serializers.ChoiceField(choices=School.Stage.choices)
    pupils = serializers.IntegerField(min_value=0, required=False)
    address = serializers.CharField(max_length=200, allow_blank=True, required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )


class SchoolCreateSerializer(SchoolUpdateSerializer):
    station = ScopedPrimaryKeyField(
        queryset=Unit.objects.all(),
        scoped=_stations_for_schools,
        help_text="The 属地 police station.",
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        help_text="GB/T 2260 code; the station's region if left out. Must lie within it.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        station: Unit = attrs["station"]
        region: Region = attrs.setdefault("region", station.region)
        if not region.path.startswith(station.region.path):
            raise serializers.ValidationError(
                {"region": [_("A school's region must lie within its police station's region.")]}
            )
        return attrs


@extend_schema(tags=["schools"])
@extend_schema_view(
    list=extend_schema(summary="Schools in your scope", responses=SchoolSerializer(many=True)),
    retrieve=extend_schema(summary="One school", responses={200: SchoolSerializer, 404: None}),
    create=extend_schema(
        summary="Add a school under a police station",
        request=SchoolCreateSerializer,
        responses={201: SchoolSerializer, 403: None},
    ),
    update=extend_schema(
        summary="Change a school",
        request=SchoolUpdateSerializer,
        responses={200: SchoolSerializer, 404: None},
    ),
    partial_update=extend_schema(
        summary="Change some of a school's fields",
        request=SchoolUpdateSerializer,
        responses={200: SchoolSerializer, 404: None},
    ),
)
class SchoolViewSet(ScopedViewSet):
    """Schools in your scope, each under its 属地 police station."""

    queryset = School.objects.none()  # names the model for the schema; reads go through selectors
    serializer_class = SchoolSerializer

    def list(self, request: Request) -> Response:
        schools = schools_visible_to(request.user).order_by("unit__path", "id")
        page = self.paginate_queryset(schools)
        return self.get_paginated_response(SchoolSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SchoolSerializer(school_for(request.user, pk=int(pk))).data)

    def create(self, request: Request) -> Response:
        self.require_create(School)
        values = self.parse(SchoolCreateSerializer, request.data)
        school = school_create(actor=request.user, **values)
        fresh = school_for(request.user, pk=school.pk)
        return Response(SchoolSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=True)

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        school = school_for(request.user, pk=int(pk), action="write")
        values = self.parse(SchoolUpdateSerializer, request.data, partial=partial)
        try:
            school_update(actor=request.user, school=school, **values)
        except IntegrityError:
            # Two schools of one name under one station (the unit's unique constraint).
            raise DjangoValidationError(
                {"name": [_("This police station already has a school of that name.")]}
            ) from None
        return Response(SchoolSerializer(school_for(request.user, pk=school.pk)).data)


# ---------------------------------------------------------------------------------------------
# Posts


class WindowSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(format="%H:%M", help_text="e.g. 07:00")
    end = serializers.TimeField(format="%H:%M", help_text="e.g. 08:00")

    class Meta:
        model = DutyWindow
        fields = ["weekday", "start", "end"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            part = f"{attrs['start']:%H:%M}-{attrs['end']:%H:%M}"
            raise serializers.ValidationError(
                _("The window “%(part)s” must end after it starts.") % {"part": part}
            )
        return attrs


class RequirementSerializer(serializers.ModelSerializer):
    minimum = serializers.IntegerField(min_value=0, max_value=50)

    class Meta:
        model = StaffingRequirement
        fields = ["group", "minimum"]


class PostSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.unit.name", read_only=True)
    windows = WindowSerializer(many=True, read_only=True)
    requirements = RequirementSerializer(many=True, read_only=True)
    qr_token = serializers.SerializerMethodField(
        help_text="The poster's token; null unless you may write this post."
    )

    class Meta:
        model = Post
        fields = [
            "id",
            "school",
            "school_name",
            "name",
            "latitude",
            "longitude",
            "geofence_m",
            "windows",
            "requirements",
            "qr_token",
            "qr_rotated_at",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_qr_token(self, post: Post) -> str | None:
        return post.qr_token if post.pk in self.context.get("writable", ()) else None


def _check_windows(windows: list[dict[str, Any]]) -> list[tuple[int, Any, Any]]:
    if not windows:
        raise serializers.ValidationError(_("Enter at least one duty window, e.g. 07:00-08:00."))
    spans = sorted((w["weekday"], w["start"], w["end"]) for w in windows)
    for (day1, _s1, end1), (day2, start2, _e2) in zip(spans, spans[1:], strict=False):
        if day1 == day2 and start2 < end1:
            raise serializers.ValidationError(_("Two duty windows overlap."))
    return spans


def _check_requirements(requirements: list[dict[str, Any]]) -> dict[str, int]:
    groups = [r["group"] for r in requirements]
    if len(groups) != len(set(groups)):
        raise serializers.ValidationError(_("Name each force group once."))
    try:
        return clean_requirements({r["group"]: r["minimum"] for r in requirements})
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class PostUpdateSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    geofence_m = serializers.IntegerField(
        min_value=20, max_value=2000, required=False, help_text="Check-in radius in metres."
    )
    windows = WindowSerializer(many=True, help_text="Peak windows; weekday 0 is Monday.")
    requirements = RequirementSerializer(
        many=True,
        help_text=f"At least `minimum` people of each group: {', '.join(ForceGroup.values)}.",
    )

    def validate_windows(self, value: list[dict[str, Any]]) -> list[tuple[int, Any, Any]]:
        return _check_windows(value)

    def validate_requirements(self, value: list[dict[str, Any]]) -> dict[str, int]:
        return _check_requirements(value)


def _schools_for_posts(user: Any) -> QuerySet[School]:
    """Schools at which the user may add posts (a school lead may, without writing the school)."""
    return schools_visible_to(user).filter(access.scope(user, "write", School, as_type="post"))


class PostCreateSerializer(PostUpdateSerializer):
    school = ScopedPrimaryKeyField(queryset=School.objects.all(), scoped=_schools_for_posts)
    name = serializers.CharField(max_length=64, help_text="The gate, e.g. 南门.")
    geofence_m = serializers.IntegerField(
        min_value=20, max_value=2000, default=150, help_text="Check-in radius in metres."
    )


class PostFilterSerializer(serializers.Serializer):
    school = id_filter("Only this school's posts.")


@extend_schema(tags=["posts"])
@extend_schema_view(
    list=extend_schema(
        summary="Guard posts in your scope",
        parameters=[PostFilterSerializer],
        responses=PostSerializer(many=True),
    ),
    retrieve=extend_schema(summary="One guard post", responses={200: PostSerializer, 404: None}),
    create=extend_schema(
        summary="Add a guard post at a school",
        request=PostCreateSerializer,
        responses={201: PostSerializer, 403: None},
    ),
    update=extend_schema(
        summary="Change a post's place, windows and staffing (the gate name stays)",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, 404: None},
    ),
    partial_update=extend_schema(
        summary="Change some of a post's fields",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, 404: None},
    ),
)
class PostViewSet(ScopedViewSet):
    """Guard posts (护学岗) in your scope: a school gate, its peak windows and its staffing."""

    queryset = Post.objects.none()  # names the model for the schema; reads go through selectors
    serializer_class = PostSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(PostFilterSerializer)
        posts = posts_visible_to(request.user).order_by("school__unit__path", "name", "id")
        if "school" in query:
            posts = posts.filter(school_id=query["school"])
        page = self.paginate_queryset(posts) or []
        return self.get_paginated_response(self._many(page))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._one(post_for(request.user, pk=int(pk)))

    def create(self, request: Request) -> Response:
        self.require_create(Post)
        values = self.parse(PostCreateSerializer, request.data)
        post = post_create(actor=request.user, **values)
        return self._one(post_for(request.user, pk=post.pk), status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=True)

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        post = post_for(request.user, pk=int(pk), action="write")
        values = self.parse(PostUpdateSerializer, request.data, partial=partial)
        post_update(actor=request.user, post=post, **values)
        return self._one(post_for(request.user, pk=post.pk))

    @extend_schema(
        summary="Void a post (kept for the records, gone from lists)",
        request=VoidSerializer,
        responses={200: PostSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str) -> Response:
        post = post_for(request.user, pk=int(pk), action="write")
        values = self.parse(VoidSerializer, request.data)
        post = post_void(actor=request.user, post=post, reason=values["reason"])
        return self._one(post)

    @extend_schema(
        summary="Give the post a new QR token (posters printed before stop working)",
        request=None,
        responses={200: PostSerializer, 404: None},
    )
    @action(detail=True, methods=["post"], url_path="rotate-qr")
    def rotate_qr(self, request: Request, pk: str) -> Response:
        post = post_for(request.user, pk=int(pk), action="write")
        post_rotate_qr(actor=request.user, post=post)
        return self._one(post_for(request.user, pk=post.pk))

    def _many(self, posts: Iterable[Post]) -> Any:
        posts = list(posts)
        context = {"writable": writable_ids(self.request.user, Post, posts)}
        return PostSerializer(posts, many=True, context=context).data

    def _one(self, post: Post, code: int = status.HTTP_200_OK) -> Response:
        return Response(self._many([post])[0], status=code)
