"""The calendar pages against the role-by-scope matrix, and their main flows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from huxue.calendar.models import Closure, HolidayArrangement, Term
from huxue.calendar.services import closure_create, term_create
from huxue.calendar.tests.factories import ARRANGEMENT_2027, SOURCE_2027, autumn_term
from huxue.core.models import AuditEvent
from huxue.testing import City

USERS = [
    "city_admin",
    "station_officer",
    "education",
    "school_lead",
    "other_lead",
    "inspector",
    "volunteer",
    "sysadmin",
    "secadmin",
    "auditor",
    "stranger",
]
READERS = {"city_admin", "station_officer", "education", "school_lead", "other_lead", "inspector"}
KEEPERS = {"city_admin", "education"}


def _closure(school, reason: str = Closure.Reason.EXAM) -> Closure:
    return closure_create(
        actor=None,
        school=school,
        start=dt.date(2026, 12, 1),
        end=dt.date(2026, 12, 2),
        reason=reason,
    )


def _pages(city: City) -> dict[str, tuple[str, set[str]]]:
    by_education = autumn_term(city)
    by_bureau = term_create(
        actor=None,
        unit=city.bureau,
        name="2026-2027学年第二学期",
        start=dt.date(2027, 3, 1),
        end=dt.date(2027, 7, 9),
    )
    a1, b1 = _closure(city.school_a1), _closure(city.school_b1)
    return {
        "calendar": (reverse("calendar:index"), READERS),
        "enter a year": (reverse("calendar:arrangement"), KEEPERS),
        "add term": (reverse("calendar:term_create"), KEEPERS),
        "edit education's term": (
            reverse("calendar:term_edit", args=[by_education.pk]),
            {"education"},
        ),
        "edit bureau's term": (reverse("calendar:term_edit", args=[by_bureau.pk]), KEEPERS),
        "add closure": (
            reverse("calendar:closure_create"),
            KEEPERS | {"school_lead", "other_lead"},
        ),
        "closure a1": (
            reverse("calendar:closure_detail", args=[a1.pk]),
            {"city_admin", "station_officer", "education", "school_lead", "inspector"},
        ),
        "closure b1": (
            reverse("calendar:closure_detail", args=[b1.pk]),
            {"city_admin", "education", "other_lead"},
        ),
    }


@pytest.mark.parametrize("username", USERS)
def test_every_calendar_page_answers_by_role_and_scope(city: City, login_en, username: str) -> None:
    client = login_en(username)
    for name, (url, allowed) in _pages(city).items():
        expected = 200 if username in allowed else 404
        assert client.get(url).status_code == expected, f"{username} → {name}"


def test_a_missing_year_is_announced_until_it_is_entered(city: City, login_en, monkeypatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 28))
    client = login_en("city_admin")
    body = client.get(reverse("calendar:index")).content.decode()
    assert "The national arrangement for 2027 is not known yet" in body
    assert "Calendar package" in body

    form = {"year": "2027", "source": SOURCE_2027, "lines": ARRANGEMENT_2027}
    response = client.post(reverse("calendar:arrangement"), form)
    assert response.status_code == 302
    assert HolidayArrangement.objects.filter(year=2027).count() == 26

    body = client.get(reverse("calendar:index")).content.decode()
    assert "not known yet" not in body
    assert "Entered from the official notice" in body


def test_the_arrangement_form_shows_an_error_for_each_bad_line(city: City, login_en) -> None:
    lines = "2027-01-01 holiday 元旦\n2027-02-31 holiday 春节\n2027-03-03 workday 调休\n"
    response = login_en("education").post(
        reverse("calendar:arrangement"), {"year": "2027", "source": "x", "lines": lines}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: there is no such date." in body
    assert "Line 3: 2027-03-03 is a weekday" in body
    assert not HolidayArrangement.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar.arrangement_set_year").exists()


def test_a_year_the_package_knows_needs_the_override_box(city: City, login_en) -> None:
    client = login_en("city_admin")
    form = {"year": "2026", "source": "更正通知", "lines": "2026-12-31 holiday 测试"}
    response = client.post(reverse("calendar:arrangement"), form)
    assert response.status_code == 200
    assert "already knows 2026" in response.content.decode()
    assert (
        client.post(reverse("calendar:arrangement"), form | {"override": "on"}).status_code == 302
    )
    assert HolidayArrangement.objects.filter(year=2026).count() == 1


def test_a_school_lead_adds_a_closure_for_their_school_only(city: City, login_en) -> None:
    client = login_en("school_lead")
    form = {"reason": "exam", "start": "2026-12-01", "end": "2026-12-02", "note": "期末考试"}
    response = client.post(reverse("calendar:closure_create"), form | {"school": city.school_b1.pk})
    assert response.status_code == 200  # not a choice this lead has
    assert not Closure.objects.exists()
    response = client.post(reverse("calendar:closure_create"), form | {"school": city.school_a1.pk})
    closure = Closure.objects.get()
    assert response.status_code == 302 and closure.school == city.school_a1
    assert closure.created_by == city.users["school_lead"]
    assert "市第六小学" in client.get(reverse("calendar:index")).content.decode()
    assert (
        "市第六小学" not in login_en("other_lead").get(reverse("calendar:index")).content.decode()
    )


def test_closures_are_voided_only_in_scope(city: City, login_en) -> None:
    closure = _closure(city.school_a1)
    url = reverse("calendar:closure_void", args=[closure.pk])
    for name in ("other_lead", "station_officer", "inspector", "stranger"):
        assert login_en(name).post(url, {"reason": "x"}).status_code == 404, name
    closure.refresh_from_db()
    assert not closure.is_void
    assert login_en("school_lead").post(url, {"reason": "考试改期"}).status_code == 302
    closure.refresh_from_db()
    assert closure.is_void and closure.void_reason == "考试改期"


def test_the_education_bureau_adds_and_edits_a_term(city: City, login_en) -> None:
    client = login_en("education")
    form = {
        "unit": city.education.pk,
        "name": "2026-2027学年第一学期",
        "start": "2026-09-01",
        "end": "2027-01-20",
    }
    assert client.post(reverse("calendar:term_create"), form).status_code == 302
    term = Term.objects.get()
    assert term.region == city.city
    overlapping = form | {"name": "另一个学期", "start": "2027-01-10", "end": "2027-02-01"}
    response = client.post(reverse("calendar:term_create"), overlapping)
    assert response.status_code == 200 and "overlap" in response.content.decode()
    edit = {"name": term.name, "start": "2026-09-01", "end": "2027-01-22"}
    assert client.post(reverse("calendar:term_edit", args=[term.pk]), edit).status_code == 302
    term.refresh_from_db()
    assert term.end == dt.date(2027, 1, 22)


def test_the_calendar_page_reads_in_few_queries(
    city: City, login_en, django_assert_max_num_queries
) -> None:
    autumn_term(city)
    for _ in range(5):
        _closure(city.school_a1)
        _closure(city.school_b1)
    client = login_en("city_admin")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("calendar:index")).status_code == 200
