from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from huxue.imports.models import ImportJob
from huxue.imports.services import import_run
from huxue.imports.tests.helpers import PEOPLE_HEADER, person_row, upload, xlsx
from huxue.people.models import Person
from huxue.people.services import id_index_of
from huxue.testing import City, make_id_number

INDEX = "/imports/"


@pytest.mark.parametrize("name", ["volunteer", "stranger", "sysadmin", "secadmin", "auditor"])
def test_the_page_is_not_found_for_users_who_may_neither_import_nor_export(
    city: City, login, name: str
) -> None:
    assert login(name).get(INDEX).status_code == 404


def test_the_page_needs_a_login(city: City, client) -> None:
    response = client.get(INDEX)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_school_lead_sees_people_and_posts_forms_but_not_schools(
    city: City, login, django_assert_max_num_queries
) -> None:
    client = login("school_lead")
    with django_assert_max_num_queries(12):
        response = client.get(INDEX)
    html = response.content.decode()
    assert response.status_code == 200
    for testid in (
        "import-people-file",
        "import-people-unit",
        "import-people-submit",
        "import-posts-file",
        "template-people",
        "export-people",
        "export-people-full-submit",
        "export-people-reason",
    ):
        assert f'data-testid="{testid}"' in html, testid
    assert 'data-testid="import-schools-file"' not in html
    assert "桃山小学" not in html  # the unit choices stay within the lead's school


def test_the_education_bureau_sees_exports_only(city: City, login) -> None:
    html = login("education").get(INDEX).content.decode()
    assert 'data-testid="import-schools-file"' in html  # schools: the full set of place permissions
    assert 'data-testid="import-people-file"' not in html
    assert 'data-testid="export-people"' in html
    assert 'data-testid="export-people-full-submit"' not in html  # no reveal


def test_an_upload_is_imported_and_the_result_page_lists_the_bad_rows(
    city: City, login, django_assert_max_num_queries
) -> None:
    client = login("school_lead")
    good, bad = make_id_number(city.rng), make_id_number(city.rng)
    rows = [PEOPLE_HEADER, person_row("甲", good), person_row("乙", bad, phone="555")]
    response = client.post(
        reverse("imports:upload", args=["people"]),
        {"people-file": upload(rows), "people-unit": city.school_a1.unit.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job", args=[job.pk]
    )
    assert Person.objects.filter(id_index=id_index_of(good)).exists()
    with django_assert_max_num_queries(8):
        page = client.get(response["Location"])
    html = page.content.decode()
    assert html.count('data-testid="import-error-row"') == 1
    assert 'data-testid="import-error-row-number">3<' in html
    assert 'data-testid="import-created">1<' in html


def test_an_upload_into_another_school_is_refused(city: City, login) -> None:
    rows = [PEOPLE_HEADER, person_row("甲", make_id_number(city.rng))]
    response = login("school_lead").post(
        reverse("imports:upload", args=["people"]),
        {"people-file": upload(rows), "people-unit": city.school_b1.unit.pk},
    )
    assert response.status_code == 400
    assert 'data-testid="import-people-error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_xlsx_is_refused_with_a_message(city: City, login) -> None:
    client = login("school_lead")
    with translation.override("en"):
        for name, content, words in [
            ("people.csv", b"a,b", "saved as .xlsx"),
            ("people.xlsx", b"name,phone\n", "not an Excel workbook"),
        ]:
            response = client.post(
                reverse("imports:upload", args=["people"]),
                {"people-file": SimpleUploadedFile(name, content)},
                HTTP_ACCEPT_LANGUAGE="en",
            )
            assert response.status_code == 400
            assert words in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_oversized_file_is_refused_with_a_message(city: City, login, settings) -> None:
    settings.HUXUE_IMPORT_MAX_BYTES = 1000
    rows = [PEOPLE_HEADER] + [person_row("甲", make_id_number(city.rng)) for _ in range(50)]
    response = login("school_lead").post(
        reverse("imports:upload", args=["people"]),
        {"people-file": upload(rows)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "files up to 1000" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "name,kind",
    [
        ("school_lead", "schools"),
        ("education", "people"),
        ("volunteer", "posts"),
        ("stranger", "people"),
    ],
)
def test_uploading_a_kind_the_user_may_not_import_is_not_found(
    city: City, login, name: str, kind: str
) -> None:
    response = login(name).post(
        reverse("imports:upload", args=[kind]), {f"{kind}-file": upload([["x"]])}
    )
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_the_upload_url_answers_post_only(city: City, login) -> None:
    assert login("school_lead").get(reverse("imports:upload", args=["people"])).status_code == 405


def test_another_users_job_is_not_found(city: City, login) -> None:
    job = import_run(
        actor=city.users["school_lead"],
        kind="people",
        filename="x.xlsx",
        target_unit=city.school_a1.unit,
        file=xlsx([PEOPLE_HEADER, person_row("甲", "1")]),
    )
    assert login("school_lead").get(reverse("imports:job", args=[job.pk])).status_code == 200
    for name in ("station_officer", "other_lead"):
        assert login(name).get(reverse("imports:job", args=[job.pk])).status_code == 404
        assert login(name).get(reverse("imports:job_errors", args=[job.pk])).status_code == 404


def test_the_problems_of_a_job_download_as_a_workbook(city: City, login) -> None:
    from huxue.imports.tests.helpers import read_back

    job = import_run(
        actor=city.users["school_lead"],
        kind="people",
        filename="x.xlsx",
        target_unit=city.school_a1.unit,
        file=xlsx([PEOPLE_HEADER, person_row("甲", "1")]),
    )
    response = login("school_lead").get(reverse("imports:job_errors", args=[job.pk]))
    rows = next(iter(read_back(response.content).values()))
    assert rows[1][:2] == [2, "身份证号"]


def test_recent_jobs_are_listed_on_the_page(city: City, login) -> None:
    import_run(
        actor=city.users["school_lead"],
        kind="people",
        filename="第一批.xlsx",
        target_unit=city.school_a1.unit,
        file=xlsx([PEOPLE_HEADER]),
    )
    assert "第一批.xlsx" in login("school_lead").get(INDEX).content.decode()
    assert "第一批.xlsx" not in login("station_officer").get(INDEX).content.decode()


def test_the_result_page_lists_the_columns_not_read_without_calling_them_rejected_rows(
    city: City, login
) -> None:
    client = login("school_lead")
    rows = [
        ["姓名", "性别", "力量类型", "手机号", "身份证号", "学校", "备注"],
        ["甲", "女", "群众志愿者", "13812345678", make_id_number(city.rng), "市第六小学", ""],
    ]
    response = client.post(
        reverse("imports:upload", args=["people"]),
        {"people-file": upload(rows)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="import-unused">未使用的列：性别、备注</p>' in html
    assert 'data-testid="import-created">1<' in html
    assert 'data-testid="import-errors"' not in html  # no rejected row, so no such table
