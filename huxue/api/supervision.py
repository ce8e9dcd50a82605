"""Supervision over the API: the checklist, inspection rounds (answered item by item, or sent
whole from a phone's offline queue under an Idempotency-Key), photos, and hazards with the
steps of their rectification. A hazard step taken on a hazard that has moved on (a stale
``version``, or a step its state does not allow) answers 409 with what the hazard is now."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from huxue.api.base import FiniteFloatField, ScopedPrimaryKeyField, ScopedViewSet, id_filter
from huxue.files.models import Photo
from huxue.files.services import photo_store, read_upload
from huxue.orgs.models import Unit
from huxue.posts.models import Post, School
from huxue.supervision.checklists import checklist_for
from huxue.supervision.hazards import (
    STEPS,
    HazardConflict,
    hazard_report,
    hazard_step,
    schools_for_hazards,
)
from huxue.supervision.models import ChecklistItem, Hazard, InspectionRound, RoundAnswer
from huxue.supervision.selectors import (
    hazard_for,
    hazards_visible_to,
    round_for,
    rounds_visible_to,
    steps_open_to,
)
from huxue.supervision.services import (
    posts_for_rounds,
    round_answer,
    round_record,
    round_start,
    round_submit,
)

KEY_NAMESPACE = uuid.UUID("6f1c2b4e-8a55-4d7e-9a0b-3c2d1e4f5a6b")


def _photo_url(photo: Photo, *, thumbnail: bool = False) -> str:
    name = "files:photo_thumbnail" if thumbnail else "files:photo"
    return reverse(name, args=[photo.token])


class PhotoSerializer(serializers.Serializer):
    token = serializers.CharField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, photo: Photo) -> str:
        return _photo_url(photo)

    def get_thumbnail_url(self, photo: Photo) -> str:
        return _photo_url(photo, thumbnail=True)


class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG or WebP photo, at most 15 MB.")


class PhotoUploadView(APIView):
    """Upload a photo: it is checked, re-encoded without EXIF (GPS included) and kept, yours
    alone until you attach it to a round's answer or a hazard's step (by its token)."""

    authentication_classes = ScopedViewSet.authentication_classes
    permission_classes = ScopedViewSet.permission_classes
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["supervision"],
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoSerializer, 400: None},
    )
    def post(self, request: Request) -> Response:
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        photo = photo_store(actor=request.user, data=read_upload(upload.validated_data["file"]))
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED)


def _own_photos(user: Any) -> Any:
    return Photo.objects.filter(uploaded_by=user, owner_type__isnull=True)


class PhotoTokensField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=43),
            required=False,
            max_length=10,
            help_text="Tokens of your uploaded, not yet attached photos (at most 10).",
            **kwargs,
        )


def _photos(user: Any, tokens: list[str]) -> list[Photo]:
    found = list(_own_photos(user).filter(token__in=tokens))
    if len(found) != len(set(tokens)):
        raise serializers.ValidationError(
            {
                "photos": [
                    _("A photo is not yours to attach, or is attached to another record already.")
                ]
            }
        )
    return found


# --- checklist and rounds ---------------------------------------------------------------


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    section = serializers.CharField()
    title = serializers.CharField()
    guidance = serializers.CharField()
    weight = serializers.IntegerField()
    auto = serializers.CharField(help_text='"attendance": answered by the system, not by you.')


class AnswerSerializer(serializers.Serializer):
    item = ItemSerializer()
    result = serializers.CharField(help_text='"pass", "fail", "na", or "" while unanswered.')
    note = serializers.CharField()


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post = serializers.IntegerField(source="post_id")
    post_name = serializers.CharField(source="post.__str__")
    kind = serializers.CharField()
    status = serializers.CharField()
    at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    expected = serializers.DictField(child=serializers.IntegerField())
    present = serializers.DictField(child=serializers.IntegerField())
    answers = AnswerSerializer(many=True, source="answers.all")


class RoundFilter(serializers.Serializer):
    post = id_filter("Only rounds at this post.")
    status = serializers.ChoiceField(choices=InspectionRound.Status.choices, required=False)


class AnswerInSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    result = serializers.ChoiceField(choices=RoundAnswer.Result.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RoundCreateSerializer(serializers.Serializer):
    post = ScopedPrimaryKeyField(queryset=Post.objects.all(), scoped=posts_for_rounds)
    kind = serializers.ChoiceField(
        choices=InspectionRound.Kind.choices, default=InspectionRound.Kind.INSPECTION
    )
    at = serializers.DateTimeField(
        required=False, help_text="When the round was made (a round sent later from offline)."
    )
    latitude = FiniteFloatField(required=False, min_value=-90, max_value=90)
    longitude = FiniteFloatField(required=False, min_value=-180, max_value=180)
    accuracy = FiniteFloatField(required=False, min_value=0, max_value=100_000)
    answers = AnswerInSerializer(
        many=True,
        required=False,
        help_text="The whole round at once (from an offline phone): it is answered and submitted.",
    )


def _client_key(request: Request) -> uuid.UUID | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > 64:
        raise serializers.ValidationError(
            {"Idempotency-Key": [_("Send an Idempotency-Key header of 1 to 64 characters.")]}
        )
    # Per caller: two inspectors' phones cannot collide on a key.
    return uuid.uuid5(KEY_NAMESPACE, f"{request.user.pk}:{key}")


def _round_payload(round_: InspectionRound) -> dict[str, Any]:
    fresh = InspectionRound.objects.select_related("post__school__unit").get(pk=round_.pk)
    return dict(RoundSerializer(fresh).data)


class RoundViewSet(ScopedViewSet):
    """Inspection rounds in your scope; yours to answer and submit."""

    serializer_class = RoundSerializer

    @extend_schema(
        tags=["supervision"], parameters=[RoundFilter], responses=RoundSerializer(many=True)
    )
    def list(self, request: Request) -> Response:
        f = self.parse_query(RoundFilter)
        qs = rounds_visible_to(request.user).prefetch_related("answers__item", "post__school__unit")
        if f.get("post"):
            qs = qs.filter(post_id=f["post"])
        if f.get("status"):
            qs = qs.filter(status=f["status"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(RoundSerializer(page, many=True).data)

    @extend_schema(tags=["supervision"], responses={200: RoundSerializer, 404: None})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_round_payload(round_for(request.user, pk)))

    @extend_schema(
        tags=["supervision"],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A key the phone made for this round; a retry returns the same round.",
            )
        ],
        request=RoundCreateSerializer,
        responses={201: RoundSerializer, 400: None, 403: None},
    )
    def create(self, request: Request) -> Response:
        self.require_create(InspectionRound)
        data = self.parse(RoundCreateSerializer, request.data)
        key = _client_key(request)
        where = {k: data.get(k) for k in ("latitude", "longitude", "accuracy")}
        if data.get("answers") is not None:
            if key is None:
                raise serializers.ValidationError(
                    {
                        "Idempotency-Key": [
                            _("A whole round is sent with an Idempotency-Key header.")
                        ]
                    }
                )
            round_ = round_record(
                actor=request.user,
                post=data["post"],
                kind=data["kind"],
                at=data.get("at") or timezone.now(),
                answers={a["item"]: (a["result"], a["note"]) for a in data["answers"]},
                client_key=key,
                **where,
            )
        else:
            round_ = round_start(
                actor=request.user,
                post=data["post"],
                kind=data["kind"],
                at=data.get("at"),
                client_key=key,
                **where,
            )
        return Response(_round_payload(round_), status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["supervision"],
        request=AnswerInSerializer,
        responses={200: RoundSerializer, 400: None, 404: None},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        round_ = round_for(request.user, pk)
        data = self.parse(AnswerInSerializer, request.data)
        item = ChecklistItem.objects.filter(template=round_.template_id, pk=data["item"]).first()
        if item is None:
            raise serializers.ValidationError(
                {"item": [_("An answer names an item that is not on this round's checklist.")]}
            )
        round_answer(
            actor=request.user, round=round_, item=item, result=data["result"], note=data["note"]
        )
        return Response(_round_payload(round_))

    @extend_schema(
        tags=["supervision"], request=None, responses={200: RoundSerializer, 400: None, 404: None}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        round_ = round_for(request.user, pk)
        return Response(_round_payload(round_submit(actor=request.user, round=round_)))


class ChecklistFilter(serializers.Serializer):
    post = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The post the round is at."
    )


class ChecklistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    items = ItemSerializer(many=True)


class ChecklistView(APIView):
    """The checklist a round at this post is asked (its region's, or the default)."""

    authentication_classes = ScopedViewSet.authentication_classes
    permission_classes = ScopedViewSet.permission_classes

    @extend_schema(
        tags=["supervision"],
        parameters=[ChecklistFilter],
        responses={200: ChecklistSerializer, 404: None},
    )
    def get(self, request: Request) -> Response:
        f = ChecklistFilter(data=request.query_params)
        f.is_valid(raise_exception=True)
        post = (
            posts_for_rounds(request.user)
            .select_related("school__unit__region")
            .filter(pk=f.validated_data["post"])
            .first()
        )
        if post is None:
            raise Http404
        template = checklist_for(post.school.unit.region)
        return Response(
            ChecklistSerializer(
                {
                    "id": template.pk,
                    "name": template.name,
                    "version": template.version,
                    "items": list(template.items.all()),
                }
            ).data
        )


# --- hazards ----------------------------------------------------------------------------


class StepSerializer(serializers.Serializer):
    step = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor.__str__", allow_null=True)
    at = serializers.DateTimeField()
    note = serializers.CharField()
    version = serializers.IntegerField()


class HazardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.IntegerField(source="school_id")
    school_name = serializers.CharField(source="school.unit.name")
    post = serializers.IntegerField(source="post_id", allow_null=True)
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    grade = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField(help_text="Send it back with a step: a stale one is 409.")
    reported_at = serializers.DateTimeField()
    responsible = serializers.IntegerField(source="responsible_id", allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    requirement = serializers.CharField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class HazardDetailSerializer(HazardSerializer):
    steps = StepSerializer(many=True, source="steps.all")
    steps_open = serializers.SerializerMethodField(help_text="The steps you may take now.")

    def get_steps_open(self, hazard: Hazard) -> list[str]:
        return steps_open_to(self.context["request"].user, hazard)


class HazardFilter(serializers.Serializer):
    school = id_filter("Only this school's hazards.")
    state = serializers.ChoiceField(choices=Hazard.State.choices, required=False)
    grade = serializers.ChoiceField(choices=Hazard.Grade.choices, required=False)


class HazardCreateSerializer(serializers.Serializer):
    school = ScopedPrimaryKeyField(queryset=School.objects.all(), scoped=schools_for_hazards)
    post = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    title = serializers.CharField(max_length=80)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default=""
    )
    category = serializers.ChoiceField(choices=Hazard.Category.choices)
    grade = serializers.ChoiceField(choices=Hazard.Grade.choices)
    photos = PhotoTokensField()


class HazardStepInSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=sorted(STEPS))
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    responsible = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    deadline = serializers.DateField(required=False)
    requirement = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    photos = PhotoTokensField()


class HazardViewSet(ScopedViewSet):
    """Hazards in your scope and the steps of their rectification."""

    serializer_class = HazardSerializer

    @extend_schema(
        tags=["supervision"], parameters=[HazardFilter], responses=HazardSerializer(many=True)
    )
    def list(self, request: Request) -> Response:
        f = self.parse_query(HazardFilter)
        qs = hazards_visible_to(request.user)
        for name in ("school", "state", "grade"):
            if f.get(name):
                qs = qs.filter(**{f"{name}_id" if name == "school" else name: f[name]})
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(HazardSerializer(page, many=True).data)

    @extend_schema(tags=["supervision"], responses={200: HazardDetailSerializer, 404: None})
    def retrieve(self, request: Request, pk: str) -> Response:
        hazard = hazard_for(request.user, pk)
        return Response(HazardDetailSerializer(hazard, context={"request": request}).data)

    @extend_schema(
        tags=["supervision"],
        request=HazardCreateSerializer,
        responses={201: HazardDetailSerializer, 400: None, 403: None},
    )
    def create(self, request: Request) -> Response:
        self.require_create(Hazard)
        data = self.parse(HazardCreateSerializer, request.data)
        school = data["school"]
        post = None
        if data.get("post"):
            post = Post.objects.filter(pk=data["post"], school=school).first()
            if post is None:
                raise serializers.ValidationError({"post": [_("The post is not at this school.")]})
        hazard = hazard_report(
            actor=request.user,
            school=school,
            post=post,
            title=data["title"],
            description=data["description"],
            category=data["category"],
            grade=data["grade"],
            photos=_photos(request.user, data.get("photos") or []),
        )
        return Response(
            HazardDetailSerializer(
                hazard_for(request.user, hazard.pk), context={"request": request}
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        tags=["supervision"],
        summary="Take a step of the rectification loop; 409 when the hazard has moved on",
        request=HazardStepInSerializer,
        responses={200: HazardDetailSerializer, 400: None, 404: None, 409: None},
    )
    @action(detail=True, methods=["post"])
    def step(self, request: Request, pk: str) -> Response:
        hazard = hazard_for(request.user, pk)
        data = self.parse(HazardStepInSerializer, request.data)
        responsible = None
        if data.get("responsible"):
            responsible = Unit.objects.filter(pk=data["responsible"]).first()
        try:
            done = hazard_step(
                actor=request.user,
                hazard=hazard,
                step=data["step"],
                version=data["version"],
                note=data["note"],
                responsible=responsible,
                deadline=data.get("deadline"),
                requirement=data["requirement"],
                photos=_photos(request.user, data.get("photos") or []),
            )
        except HazardConflict as conflict:
            now = Hazard.objects.get(pk=hazard.pk)
            return Response(
                {"detail": str(conflict), "state": now.state, "version": now.version},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            HazardDetailSerializer(
                hazard_for(request.user, done.pk), context={"request": request}
            ).data
        )


router = SimpleRouter()
router.register("rounds", RoundViewSet, basename="round")
router.register("hazards", HazardViewSet, basename="hazard")

urlpatterns: list[URLPattern | URLResolver] = [
    path("checklist/", ChecklistView.as_view(), name="checklist"),
    path("photos/", PhotoUploadView.as_view(), name="photo-upload"),
    *router.urls,
]
