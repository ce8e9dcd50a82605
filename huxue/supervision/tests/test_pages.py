"""The supervision pages (issue 17, items 2, 4, 5, 9): an inspector starts a round at a post,
fails 看设施 with a photo, submits, raises the failure as a hazard; the station assigns it to the
school, which sees it and starts on it; a stale step says so and writes nothing; nothing out of
scope opens."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from huxue.files.models import Photo
from huxue.files.selectors import photos_of
from huxue.files.tests.test_images import jpeg
from huxue.supervision.models import Hazard, InspectionRound
from huxue.testing import City

pytestmark = pytest.mark.django_db
HOME = "/supervision/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.HUXUE_MEDIA_DIR = tmp_path


def photo_file(data: bytes | None = None, name: str = "IMG_0001.jpg") -> io.BytesIO:
    f = io.BytesIO(data if data is not None else jpeg())
    f.name = name
    return f


def start(client, city: City) -> InspectionRound:  # type: ignore[no-untyped-def]
    response = client.post(reverse("supervision:round_new"), {"post": city.post_a1.pk})
    assert response.status_code == 302, response.content
    return InspectionRound.objects.latest("pk")


def answer(client, round_: InspectionRound, title: str, result: str, note: str = "", photos=()):  # type: ignore[no-untyped-def]
    item = round_.answers.get(item__title=title).item
    data = {f"i{item.pk}-result": result, f"i{item.pk}-note": note}
    if photos:
        data[f"i{item.pk}-photos"] = list(photos)
    return client.post(
        reverse("supervision:round_item", args=[round_.pk, item.pk]), data, follow=True
    )


def test_the_inspector_walks_a_round_and_raises_a_hazard_the_school_then_sees(
    city: City, login
) -> None:
    inspector = login("inspector")
    home = inspector.get(HOME).content.decode()
    assert "市第六小学 · 南门" in home and "桃山小学" not in home  # only posts of the area
    round_ = start(inspector, city)
    page = inspector.get(reverse("supervision:round", args=[round_.pk])).content.decode()
    assert all(t in page for t in ("查到岗", "查装备", "查台账", "看秩序", "看设施", "看处置"))
    for title in ("查装备", "查台账", "看秩序", "看处置"):
        answer(inspector, round_, title, "pass")
    done = answer(inspector, round_, "看设施", "fail", "南门防冲撞护栏倒伏", photos=[photo_file()])
    assert "看设施" in done.content.decode()
    failed = round_.answers.get(item__title="看设施")
    assert failed.result == "fail" and len(photos_of(failed)) == 1
    submitted = inspector.post(reverse("supervision:round_submit", args=[round_.pk]), follow=True)
    assert "raise-hazard" in submitted.content.decode()
    round_.refresh_from_db()
    assert round_.status == "submitted" and round_.score is not None

    # Raise the failed item as a hazard, in one step, prefilled from the answer.
    form = inspector.get(reverse("supervision:hazard_new"), {"answer": failed.pk})
    assert "南门防冲撞护栏倒伏" in form.content.decode()
    initial = form.context["form"].initial
    reported = inspector.post(
        reverse("supervision:hazard_new"),
        {
            "school": initial["school"],
            "post": initial["post"],
            "title": initial["title"],
            "category": "facilities",
            "grade": "general",
            "description": initial["description"],
            "answer": failed.pk,
        },
    )
    hazard = Hazard.objects.get()
    assert reported.status_code == 302 and hazard.answer == failed and hazard.post == city.post_a1

    # The station assigns it to the school; the school sees it assigned to itself.
    station = login("station_officer")
    page = station.get(reverse("supervision:hazard", args=[hazard.pk])).content.decode()
    assert 'data-testid="step-assign"' in page
    station.post(
        reverse("supervision:hazard_step", args=[hazard.pk]),
        {
            "step": "assign",
            "version": 1,
            "responsible": city.school_a1.unit.pk,
            "deadline": "2099-01-01",
        },
    )
    hazard.refresh_from_db()
    assert hazard.state == "assigned" and hazard.responsible == city.school_a1.unit
    lead = login("school_lead")
    listed = lead.get(reverse("supervision:hazards")).content.decode()
    assert hazard.title in listed and city.school_a1.unit.name in listed
    page = lead.get(reverse("supervision:hazard", args=[hazard.pk])).content.decode()
    assert 'data-testid="step-start"' in page
    assert 'data-testid="hazard-responsible">' + city.school_a1.unit.name in page


def test_a_stale_step_on_the_page_says_so_and_writes_nothing(city: City, login) -> None:
    inspector = login("inspector")
    inspector.post(
        reverse("supervision:hazard_new"),
        {
            "school": city.school_a1.pk,
            "title": "门口积水",
            "category": "surroundings",
            "grade": "general",
        },
    )
    hazard = Hazard.objects.get()
    data = {
        "step": "assign",
        "version": 1,
        "responsible": city.school_a1.unit.pk,
        "deadline": "2099-01-01",
    }
    login("station_officer").post(reverse("supervision:hazard_step", args=[hazard.pk]), data)
    late = login("city_admin").post(
        reverse("supervision:hazard_step", args=[hazard.pk]), data, follow=True
    )
    assert "刷新" in late.content.decode() or "Reload" in late.content.decode()
    assert Hazard.objects.get().steps.count() == 2


def test_a_file_that_is_not_a_photo_is_refused_and_the_answer_is_not_saved(
    city: City, login
) -> None:
    inspector = login("inspector")
    round_ = start(inspector, city)
    page = answer(
        inspector, round_, "看设施", "fail", "护栏", photos=[photo_file(b"%PDF-1.4", "scan.jpg")]
    )
    assert "不是照片" in page.content.decode()
    assert round_.answers.get(item__title="看设施").result == ""
    assert not Photo.objects.exists()


def test_nothing_out_of_scope_opens(city: City, login) -> None:
    inspector = login("inspector")
    round_ = start(inspector, city)
    inspector.post(
        reverse("supervision:hazard_new"),
        {
            "school": city.school_a1.pk,
            "title": "门口积水",
            "category": "surroundings",
            "grade": "general",
        },
    )
    hazard = Hazard.objects.get()
    other = login("other_lead")
    assert other.get(reverse("supervision:round", args=[round_.pk])).status_code == 404
    assert other.get(reverse("supervision:hazard", args=[hazard.pk])).status_code == 404
    assert (
        other.post(reverse("supervision:round_new"), {"post": city.post_a1.pk}).status_code == 404
    )
    member = login("volunteer")
    for url in (HOME, reverse("supervision:hazards"), reverse("supervision:rounds")):
        assert member.get(url).status_code == 404, url
    # The school lead reads the round but may not answer it.
    lead = login("school_lead")
    assert lead.get(reverse("supervision:round", args=[round_.pk])).status_code == 200
    item = round_.answers.get(item__title="查装备").item
    refused = lead.post(
        reverse("supervision:round_item", args=[round_.pk, item.pk]), {f"i{item.pk}-result": "pass"}
    )
    assert refused.status_code == 404
