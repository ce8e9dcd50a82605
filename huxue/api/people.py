"""Duty members over the API: list, read, register, change, void, reveal, record consent.

ID and phone numbers are write-only inputs; every response carries them masked
(``id_number_masked``, ``phone_masked``). The one way to see a value in full is ``reveal``, which
needs the "reveal" permission on the person and writes an audit line with the caller's reason.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from huxue.api.base import ScopedPrimaryKeyField, ScopedViewSet, VoidSerializer, id_filter
from huxue.core.validators import normalize_text, validate_id_number, validate_phone
from huxue.orgs.models import Unit
from huxue.orgs.selectors import units_accepting
from huxue.people.forces import ForceGroup, ForceType
from huxue.people.models import Consent, Person
from huxue.people.selectors import people_visible_to, person_for
from huxue.people.services import (
    REVEALABLE,
    consent_record,
    id_index_of,
    person_clean,
    person_create,
    person_reveal,
    person_update,
    person_void,
    phone_index_of,
)
from huxue.posts.models import School
from huxue.posts.selectors import schools_visible_to

# ---------------------------------------------------------------------------------------------
# Output


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["id", "text_version", "method", "consented_at", "withdrawn_at"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    force_group = serializers.CharField(
        read_only=True,
        help_text=f"The staffing group of the force type: {', '.join(ForceGroup.values)}.",
    )
    id_number_masked = serializers.CharField(
        source="id_masked", read_only=True, help_text="e.g. 230902********123X"
    )
    phone_masked = serializers.CharField(read_only=True, help_text="e.g. 138****5678")
    child_school_name = serializers.CharField(
        source="child_school.unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "force_type",
            "force_group",
            "is_volunteer",
            "id_number_masked",
            "phone_masked",
            "vetting_status",
            "vetted_on",
            "training_status",
            "trained_on",
            "armband_issued",
            "vest_issued",
            "child_school",
            "child_school_name",
            "voided_at",
            "void_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PersonDetailSerializer(PersonSerializer):
    consents = ConsentSerializer(many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "consents"]
        read_only_fields = fields


class RevealedSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=sorted(REVEALABLE))
    value = serializers.CharField()


# ---------------------------------------------------------------------------------------------
# Input


def _units_for_people(user: Any) -> QuerySet[Unit]:
    return units_accepting(user, object_type="person")


class PersonWriteSerializer(serializers.Serializer):
    """Parses types only; ``person_clean`` decides what a valid person is, in its own words."""

    unit = ScopedPrimaryKeyField(queryset=Unit.objects.all(), scoped=_units_for_people)
    name = serializers.CharField()
    force_type = serializers.ChoiceField(choices=ForceType.choices)
    id_number = serializers.CharField(
        write_only=True, help_text="GB 11643 resident ID; stored encrypted, never returned."
    )
    phone = serializers.CharField(
        write_only=True, help_text="Mainland mobile number; stored encrypted, never returned."
    )
    vetting_status = serializers.ChoiceField(choices=Person.Vetting.choices, required=False)
    vetted_on = serializers.DateField(required=False, allow_null=True)
    training_status = serializers.ChoiceField(choices=Person.Training.choices, required=False)
    trained_on = serializers.DateField(required=False, allow_null=True)
    armband_issued = serializers.BooleanField(required=False)
    vest_issued = serializers.BooleanField(required=False)
    child_school = ScopedPrimaryKeyField(
        queryset=School.objects.all(), scoped=schools_visible_to, required=False, allow_null=True
    )


class PersonUpdateSerializer(PersonWriteSerializer):
    """On update the ID and phone numbers may be left out: they keep their current values."""

    id_number = serializers.CharField(
        write_only=True, required=False, help_text="Leave out to keep the current number."
    )
    phone = serializers.CharField(
        write_only=True, required=False, help_text="Leave out to keep the current number."
    )


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=sorted(REVEALABLE))
    reason = serializers.CharField(
        help_text="Why the full value is needed; written to the audit trail."
    )


class ConsentInputSerializer(serializers.Serializer):
    text_version = serializers.CharField(max_length=32)
    method = serializers.ChoiceField(choices=Consent.Method.choices)
    consented_at = serializers.DateTimeField(
        required=False, help_text="When the person consented; now if left out."
    )


class PersonFilterSerializer(serializers.Serializer):
    unit = id_filter("People of this unit and the units under it.")
    force_type = serializers.ChoiceField(choices=ForceType.choices, required=False)
    vetting_status = serializers.ChoiceField(choices=Person.Vetting.choices, required=False)
    training_status = serializers.ChoiceField(choices=Person.Training.choices, required=False)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Part of a name, or an exact resident ID or mobile number (matched by blind index).",
    )


def _raw(validated: dict[str, Any]) -> dict[str, Any]:
    """The serializer's values in the shape ``person_clean`` reads."""
    raw = {k: v for k, v in validated.items() if k not in {"unit", "child_school"}}
    if "child_school" in validated:
        school = validated["child_school"]
        raw["child_school_id"] = school.pk if school is not None else None
    return raw


def _current(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "force_type": person.force_type,
        "id_number": person.id_number,
        "phone": person.phone,
        "vetting_status": person.vetting_status,
        "vetted_on": person.vetted_on,
        "training_status": person.training_status,
        "trained_on": person.trained_on,
        "armband_issued": person.armband_issued,
        "vest_issued": person.vest_issued,
        "child_school_id": person.child_school_id,
    }


def _search(people: QuerySet[Person], term: str) -> QuerySet[Person]:
    """An exact ID or mobile number goes through its blind index; anything else is a name."""
    term = normalize_text(term)
    try:
        return people.filter(id_index=id_index_of(validate_id_number(term)))
    except ValidationError:
        pass
    try:
        return people.filter(phone_index=phone_index_of(validate_phone(term)))
    except ValidationError:
        pass
    return people.filter(name__icontains=term)


# ---------------------------------------------------------------------------------------------
# Views

_NOT_FOUND = OpenApiResponse(description="Not in your scope for this action, or no such person.")


@extend_schema(tags=["people"])
@extend_schema_view(
    list=extend_schema(
        summary="People in your scope",
        parameters=[PersonFilterSerializer],
        responses=PersonSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One person", responses={200: PersonDetailSerializer, 404: _NOT_FOUND}
    ),
    create=extend_schema(
        summary="Register a person",
        request=PersonWriteSerializer,
        responses={
            201: PersonDetailSerializer,
            403: OpenApiResponse(description="No role may add people."),
        },
    ),
    update=extend_schema(
        summary="Change a person (left-out ID / phone keep their values)",
        request=PersonUpdateSerializer,
        responses={200: PersonDetailSerializer, 404: _NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change some of a person's fields",
        request=PersonUpdateSerializer,
        responses={200: PersonDetailSerializer, 404: _NOT_FOUND},
    ),
)
class PersonViewSet(ScopedViewSet):
    """Duty members in your scope. ID and phone numbers are only ever returned masked."""

    queryset = Person.objects.none()  # names the model for the schema; reads go through selectors
    serializer_class = PersonSerializer

    def list(self, request: Request) -> Response:
        query = self.parse_query(PersonFilterSerializer)
        people = people_visible_to(request.user)
        if "unit" in query:
            # A narrowing of the caller's scope, not a scope: the unit and every unit whose
            # materialised path passes through it.
            people = people.filter(unit__path__contains=f"/{query['unit']}/")
        for name in ("force_type", "vetting_status", "training_status"):
            if name in query:
                people = people.filter(**{name: query[name]})
        if query.get("search"):
            people = _search(people, query["search"])
        page = self.paginate_queryset(people)
        return self.get_paginated_response(PersonSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        person = person_for(request.user, pk=int(pk))
        return Response(PersonDetailSerializer(person).data)

    def create(self, request: Request) -> Response:
        self.require_create(Person)
        values = self.parse(PersonWriteSerializer, request.data)
        data = person_clean(_raw(values), unit=values["unit"])
        person = person_create(actor=request.user, data=data)
        return self._detail(person, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=True)

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        person = person_for(request.user, pk=int(pk), action="write")
        values = self.parse(PersonUpdateSerializer, request.data, partial=partial)
        data = person_clean(_current(person) | _raw(values), unit=values.get("unit", person.unit))
        person_update(actor=request.user, person=person, data=data)
        return self._detail(person)

    @extend_schema(
        summary="Void a person (kept for the records, gone from lists)",
        request=VoidSerializer,
        responses={200: PersonDetailSerializer, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str) -> Response:
        person = person_for(request.user, pk=int(pk), action="write")
        values = self.parse(VoidSerializer, request.data)
        person_void(actor=request.user, person=person, reason=values["reason"])
        return self._detail(person)

    @extend_schema(
        summary="See a masked value in full (needs the reveal permission; audited)",
        request=RevealSerializer,
        responses={200: RevealedSerializer, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str) -> Response:
        person = person_for(request.user, pk=int(pk), action="reveal")
        values = self.parse(RevealSerializer, request.data)
        value = person_reveal(
            actor=request.user, person=person, field=values["field"], reason=values["reason"]
        )
        response = Response({"field": values["field"], "value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Record a consent (text version, method, time)",
        request=ConsentInputSerializer,
        responses={201: ConsentSerializer, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def consents(self, request: Request, pk: str) -> Response:
        person = person_for(request.user, pk=int(pk), action="write")
        values = self.parse(ConsentInputSerializer, request.data)
        consent = consent_record(
            actor=request.user,
            person=person,
            text_version=values["text_version"],
            method=values["method"],
            at=values.get("consented_at"),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    def _detail(self, person: Person, code: int = status.HTTP_200_OK) -> Response:
        fresh = person_for(self.request.user, pk=person.pk)
        return Response(PersonDetailSerializer(fresh).data, status=code)
