"""The check-in's reads (huxue.duty.gate): one statement each, and instances built once per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huxue.api.base import FlatSerializer
from huxue.api.duty import CheckInInSerializer
from huxue.duty.gate import gate_view
from huxue.duty.models import DutyRules
from huxue.roster.models import Assignment
from huxue.testing import ROSTER_MONDAY, City, local_at, make_person, make_shift


@pytest.fixture
def shift(city: City):
    return make_shift(city.post_a1)


def view(city: City, person_id: int, *, hh: int = 6, mm: int = 58):
    return gate_view(
        post_id=city.post_a1.pk, person_id=person_id, at=local_at(ROSTER_MONDAY, hh, mm)
    )


def test_members_at_one_post_share_the_built_instances_but_not_the_assignment(
    city: City, shift
) -> None:
    other = make_person(city, unit=city.school_a1.unit, name="李四")
    assignment = Assignment.objects.create(
        shift=shift, person=city.person_a1, group=city.person_a1.force_group, source="manual"
    )
    with CaptureQueriesContext(connection) as queries:
        mine, theirs = view(city, city.person_a1.pk), view(city, other.pk)
    assert len(queries) == 2
    assert mine is not None and theirs is not None
    assert mine.post is theirs.post and mine.shift is theirs.shift and mine.rules is theirs.rules
    assert (mine.assignment_id, theirs.assignment_id) == (assignment.pk, None)
    assert mine.shift is not None and mine.shift.pk == shift.pk
    assert str(mine.post) == str(city.post_a1)


def test_a_change_to_the_post_rules_or_shift_is_read_at_once(city: City, shift) -> None:
    before = view(city, city.person_a1.pk)
    assert before is not None and before.rules.pk is None  # the defaults

    city.post_a1.geofence_m = 321
    city.post_a1.save(update_fields=["geofence_m"])
    DutyRules.objects.create(region=city.city, late_minutes=9)
    shift.start = shift.start.replace(minute=5)
    shift.save(update_fields=["start"])

    after = view(city, city.person_a1.pk)
    assert after is not None and after.post is not before.post
    assert after.post.geofence_m == 321
    assert after.rules.late_minutes == 9
    assert after.shift is not None and after.shift.start.minute == 5
    assert before.post.geofence_m != 321  # what was built before is left as it was


def test_no_live_post_no_view(city: City, shift) -> None:
    assert gate_view(post_id=10**9, person_id=city.person_a1.pk, at=shift.starts_at) is None
    assert gate_view(qr_token="nope", person_id=city.person_a1.pk, at=shift.starts_at) is None


def test_a_flat_serializer_binds_its_own_copy_of_each_field() -> None:
    one = CheckInInSerializer(data={"post": 1, "method": "qr"})
    two = CheckInInSerializer(data={"post": "x", "method": "qr"})
    assert one.fields["post"] is not two.fields["post"]
    assert one.fields["post"].parent is one and two.fields["post"].parent is two
    assert one.is_valid() and not two.is_valid()
    assert "post" in two.errors and one.validated_data["post"] == 1
    declared = CheckInInSerializer._declared_fields["post"]
    assert getattr(declared, "parent", None) is None  # the declared field is never bound


def test_a_flat_serializer_refuses_nested_fields() -> None:
    from rest_framework import serializers

    class Nested(FlatSerializer):
        tags = serializers.ListField(child=serializers.CharField())

    with pytest.raises(TypeError, match="Nested.tags"):
        Nested(data={}).is_valid()


def test_member_at_gate_reads_what_the_two_reads_read(city: City, shift) -> None:
    from rest_framework.authtoken.models import Token

    from huxue.duty.gate import member_at_gate, member_for_token

    Assignment.objects.create(
        shift=shift, person=city.person_a1, group=city.person_a1.force_group, source="manual"
    )
    token = Token.objects.create(user=city.users["volunteer"]).key
    at = local_at(ROSTER_MONDAY, 6, 58)
    with CaptureQueriesContext(connection) as queries:
        found = member_at_gate(token, post_id=city.post_a1.pk, at=at)
        by_qr = member_at_gate(token, qr_token=city.post_a1.qr_token, at=at)
    assert len(queries) == 2
    assert found is not None and by_qr is not None
    member, together = found
    alone = member_for_token(token)
    apart = gate_view(post_id=city.post_a1.pk, person_id=city.person_a1.pk, at=at)
    assert alone is not None and apart is not None and together is not None
    assert member.pk == alone.pk == city.person_a1.pk
    assert member.user.pk == alone.user.pk and member.may_check_in and alone.may_check_in
    assert (together.post, together.rules, together.shift) == (apart.post, apart.rules, apart.shift)
    assert together.assignment_id == apart.assignment_id is not None
    assert by_qr[1] is not None and by_qr[1].post.pk == city.post_a1.pk

    assert member_at_gate("no-such-token", post_id=city.post_a1.pk, at=at) is None
    nowhere = member_at_gate(token, post_id=10**9, at=at)
    assert nowhere is not None and nowhere[0].pk == city.person_a1.pk and nowhere[1] is None
