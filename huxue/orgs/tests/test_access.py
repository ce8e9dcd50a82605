from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from huxue.orgs import access
from huxue.orgs.roles import Role
from huxue.orgs.services import membership_grant
from huxue.people.models import Person
from huxue.posts.models import Post, School
from huxue.testing import City


def visible(city: City, name: str, model, action: str = "read") -> set[int]:
    user = city.users[name]
    return set(model.objects.filter(access.scope(user, action, model)).values_list("pk", flat=True))


def test_a_school_lead_sees_only_their_school(city: City) -> None:
    assert visible(city, "school_lead", School) == {city.school_a1.pk}
    assert visible(city, "school_lead", Post) == {city.post_a1.pk}
    assert visible(city, "school_lead", Person) == {city.person_a1.pk}


def test_a_station_officer_sees_the_schools_it_polices(city: City) -> None:
    assert visible(city, "station_officer", School) == {city.school_a1.pk, city.school_a2.pk}
    assert visible(city, "station_officer", Person) == {city.person_a1.pk}


def test_the_city_bureau_sees_everything_under_it(city: City) -> None:
    assert visible(city, "city_admin", School) == {
        city.school_a1.pk,
        city.school_a2.pk,
        city.school_b1.pk,
    }


def test_the_education_bureau_sees_its_regions_schools_through_the_region_tree(city: City) -> None:
    assert visible(city, "education", School) == {
        city.school_a1.pk,
        city.school_a2.pk,
        city.school_b1.pk,
    }
    assert visible(city, "education", Person, "reveal") == set()


def test_an_inspector_sees_only_the_region_named_on_the_membership(city: City) -> None:
    assert visible(city, "inspector", School) == {city.school_a1.pk, city.school_a2.pk}


def test_a_member_sees_only_their_own_record(city: City) -> None:
    assert visible(city, "volunteer", Person) == {city.person_a1.pk}
    assert visible(city, "volunteer", School) == set()


@pytest.mark.parametrize("name", ["stranger", "sysadmin", "secadmin", "auditor"])
def test_accounts_without_business_roles_see_no_personal_data(city: City, name: str) -> None:
    assert visible(city, name, Person) == set()
    assert visible(city, name, Person, "reveal") == set()


def test_roles_union_across_memberships(city: City) -> None:
    lead = city.users["school_lead"]
    membership_grant(user=lead, role=Role.SCHOOL_LEAD, unit=city.school_b1.unit)
    assert visible(city, "school_lead", School) == {city.school_a1.pk, city.school_b1.pk}


def test_require_answers_not_found_out_of_scope(city: City) -> None:
    with pytest.raises(Http404):
        access.require(city.users["school_lead"], "read", city.person_b1)
    access.require(city.users["school_lead"], "read", city.person_a1)


def test_inactive_users_see_nothing(city: City) -> None:
    lead = city.users["school_lead"]
    lead.is_active = False
    assert not School.objects.filter(access.scope(lead, "read", School)).exists()


@pytest.mark.parametrize(
    "first,second",
    [(Role.SYSADMIN, Role.AUDITOR), (Role.AUDITOR, Role.SECADMIN), (Role.SECADMIN, Role.BUREAU)],
)
def test_administrator_roles_are_exclusive_on_one_account(
    city: City, first: str, second: str
) -> None:
    from huxue.testing import make_user

    user = make_user("admin_x", first, region=city.city)
    with pytest.raises(ValidationError):
        membership_grant(user=user, role=second, unit=city.bureau, region=city.city)


def test_a_business_account_cannot_take_an_administrator_role(city: City) -> None:
    with pytest.raises(ValidationError):
        membership_grant(user=city.users["station_officer"], role=Role.AUDITOR, region=city.city)


def test_the_education_bureau_sees_school_members_but_not_police_officers(city: City) -> None:
    from huxue.testing import make_person

    officer = make_person(city, unit=city.station_a, name="警官", force_type="police")
    seen = visible(city, "education", Person)
    assert city.person_a1.pk in seen and officer.pk not in seen
    assert officer.pk in visible(city, "station_officer", Person)
