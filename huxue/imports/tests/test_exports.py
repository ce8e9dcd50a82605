from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from huxue.core.models import AuditEvent
from huxue.imports.exports import export_people, template_workbook
from huxue.imports.services import import_run
from huxue.imports.tests.helpers import read_back
from huxue.testing import City, make_person


def export_rows(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = read_back(
        b"".join(response) if hasattr(response, "streaming_content") else response.content
    )
    return next(iter(sheets.values()))


def test_people_are_exported_masked_by_default(city: City, login) -> None:
    response = login("school_lead").get(reverse("imports:export", args=["people"]))
    rows = export_rows(response)
    assert rows[0][:4] == ["姓名", "力量类型", "手机号", "身份证号"]
    person = city.person_a1
    assert rows[1][:4] == ["李红", "群众志愿者", person.phone_masked, person.id_masked]
    assert len(rows) == 2  # only the lead's own school
    line = AuditEvent.objects.get(action="people.export")
    assert line.detail == {"rows": 1, "masked": True, "revealed": 0, "reason": ""}


def test_a_full_export_needs_the_reveal_permission_and_a_reason(city: City, login) -> None:
    url = reverse("imports:export", args=["people"])
    client = login("school_lead")
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "ab"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="people.export").exists()
    response = client.post(url, {"reason": "核对保险名单"})
    rows = export_rows(response)
    assert rows[1][2:4] == [city.person_a1.phone, city.person_a1.id_number]
    line = AuditEvent.objects.get(action="people.export")
    assert line.detail == {"rows": 1, "masked": False, "revealed": 1, "reason": "核对保险名单"}


def test_the_education_bureau_exports_people_masked_only(city: City, login) -> None:
    client = login("education")
    rows = export_rows(client.get(reverse("imports:export", args=["people"])))
    assert {r[3] for r in rows[1:]} == {city.person_a1.id_masked, city.person_b1.id_masked}
    assert (
        client.post(
            reverse("imports:export", args=["people"]), {"reason": "核对保险名单"}
        ).status_code
        == 404
    )


def test_a_full_export_reveals_only_where_the_user_may_reveal(city: City) -> None:
    from huxue.orgs.roles import Role
    from huxue.orgs.services import membership_grant

    lead = city.users["school_lead"]
    membership_grant(
        user=lead, role=Role.EDUCATION, unit=city.education
    )  # export, not reveal, city-wide
    data, count = export_people(actor=lead, full=True, reason="核对保险名单")
    rows = next(iter(read_back(data).values()))
    shown = {r[0]: r[3] for r in rows[1:]}
    assert count == 2
    assert shown == {"李红": city.person_a1.id_number, "王刚": city.person_b1.id_masked}


def test_exports_keep_formula_like_text_as_text(city: City) -> None:
    make_person(city, unit=city.school_a1.unit, name='=HYPERLINK("http://x")')
    data, _count = export_people(actor=city.users["school_lead"])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in names)


def test_schools_and_posts_export_what_the_user_may_export(city: City, login) -> None:
    rows = export_rows(login("education").get(reverse("imports:export", args=["schools"])))
    assert rows[0][:4] == ["学校名称", "学段", "学生人数", "属地派出所"]
    assert [r[0] for r in rows[1:]] == ["市第六小学", "新兴小学", "桃山小学"]
    assert rows[1][1] == "小学" and rows[1][4] == "230902"
    rows = export_rows(login("school_lead").get(reverse("imports:export", args=["posts"])))
    assert rows[1][:2] == ["市第六小学", "南门"]
    assert rows[1][5:] == ["07:00-08:00, 15:30-17:00", 1, 1, 0, 2]
    assert list(
        AuditEvent.objects.filter(action__endswith=".export").values_list("action", "detail")
    ) == [
        ("schools.export", {"rows": 3}),
        ("posts.export", {"rows": 1}),
    ]


def test_exports_can_be_imported_back(city: City, login) -> None:
    data = login("school_lead").get(reverse("imports:export", args=["posts"])).content
    job = import_run(
        actor=city.users["school_lead"], kind="posts", file=io.BytesIO(data), filename="p.xlsx"
    )
    assert (job.unchanged_count, job.failed_count) == (1, 0), job.errors


@pytest.mark.parametrize("kind", ["schools", "posts"])
def test_export_needs_the_export_permission(city: City, login, kind: str) -> None:
    assert login("volunteer").get(reverse("imports:export", args=[kind])).status_code == 404
    assert login("stranger").get(reverse("imports:export", args=["people"])).status_code == 404


def test_a_school_lead_may_not_export_schools(city: City, login) -> None:
    assert login("school_lead").get(reverse("imports:export", args=["schools"])).status_code == 404


@pytest.mark.parametrize(
    "kind,first_header", [("people", "姓名"), ("schools", "学校名称"), ("posts", "学校名称")]
)
def test_the_template_has_a_title_a_header_an_example_and_the_valid_values(
    city: City, login, kind, first_header
) -> None:
    user = "station_officer" if kind != "posts" else "school_lead"
    response = login(user).get(reverse("imports:template", args=[kind]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheets = read_back(response.content)
    data, values = list(sheets.values())
    assert data[1][0] == first_header
    assert data[2][0]  # the example row
    assert values[0]  # the header row of the valid values


def test_the_people_template_lists_choices_in_the_users_language(city: City, login) -> None:
    client: Client = login("school_lead")
    sheets = read_back(client.get(reverse("imports:template", args=["people"])).content)
    values = list(sheets.values())[1]
    assert values[0][0] == "力量类型" and "家长志愿者" in [r[0] for r in values]
    with translation.override("en"):
        data = template_workbook(actor=city.users["school_lead"], kind="people")
    sheets = read_back(data)
    assert sheets["People"][1][:4] == ["Name", "Force type", "Phone", "ID number"]
    assert "Parent volunteer" in [r[0] for r in sheets["Valid values"]]


@pytest.mark.parametrize(
    "kind,user",
    [("people", "school_lead"), ("schools", "station_officer"), ("posts", "school_lead")],
)
def test_the_template_imports_as_it_is(city: City, kind: str, user: str) -> None:
    actor = city.users[user]
    data = template_workbook(actor=actor, kind=kind)
    unit = city.school_a1.unit if kind == "people" else None
    job = import_run(
        actor=actor, kind=kind, file=io.BytesIO(data), filename="t.xlsx", target_unit=unit
    )
    assert (job.total_count, job.failed_count) == (1, 0), job.errors


def test_the_template_needs_the_import_permission(city: City, login) -> None:
    assert login("education").get(reverse("imports:template", args=["people"])).status_code == 404
    assert (
        login("school_lead").get(reverse("imports:template", args=["schools"])).status_code == 404
    )
