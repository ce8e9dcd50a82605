"""The city rules page: who may read and set a region's rostering and duty rules, inheritance,
and the audit line of a change."""

from __future__ import annotations

from huxue.core import rulesets
from huxue.core.models import AuditEvent
from huxue.duty.models import DutyRules
from huxue.roster.models import CityRules

DUTY = {
    "duty-geofence_m": "200",
    "duty-geofence_mode": "refuse",
    "duty-early_minutes": "20",
    "duty-late_minutes": "5",
    "duty-walkins": "flag",
    "duty-max_delay_hours": "12",
    "duty-gap_alert_minutes": "10",
    "duty-auto_checkout_minutes": "30",
}


def test_bureau_sets_duty_rules_for_the_city_and_districts_inherit(city, login):
    client = login("city_admin")
    page = client.get("/rules/")
    assert page.status_code == 200
    assert "230902" in page.content.decode()  # its districts are offered too
    response = client.post("/rules/", {"region": "230900", "section": "duty", **DUTY})
    assert response.status_code == 302
    saved = DutyRules.objects.get(region=city.city)
    assert saved.geofence_mode == "refuse" and saved.max_delay_hours == 12
    assert rulesets.nearest(DutyRules, city.xinxing).pk == saved.pk  # the district inherits
    event = AuditEvent.objects.filter(action="duty.rules.save").get()
    assert event.detail["changed"]["max_delay_hours"] == [24, 12]
    district = client.get("/rules/?region=230902")
    duty = next(s for s in district.context["sections"] if s["name"] == "duty")
    assert duty["source"].endswith("七台河市.") or "七台河市" in duty["source"]
    assert duty["form"]["geofence_mode"].value() == "refuse"
    roster = next(s for s in district.context["sections"] if s["name"] == "roster")
    assert roster["form"]["shifts_per_member_week"].value() == 3  # defaults shown


def test_bad_values_are_refused_with_the_field_named(city, login):
    client = login("city_admin")
    bad = {**DUTY, "duty-early_minutes": "-3"}
    response = client.post("/rules/", {"region": "230900", "section": "duty", **bad})
    assert response.status_code == 200
    assert not DutyRules.objects.exists()


def test_education_sets_rostering_caps_but_only_reads_duty_rules(city, login):
    client = login("education")
    roster = {
        "roster-shifts_per_member_week": "2",
        "roster-shifts_per_family_term": "8",
        "roster-withdraw_cutoff_hours": "24",
        "roster-reminder_minutes_before": "720",
        "roster-solver_time_limit_s": "10",
    }
    assert (
        client.post("/rules/", {"region": "230900", "section": "roster", **roster}).status_code
        == 302
    )
    assert rulesets.nearest(CityRules, city.xinxing).shifts_per_member_week == 2
    assert CityRules.objects.count() == 1
    refused = client.post("/rules/", {"region": "230900", "section": "duty", **DUTY})
    assert refused.status_code == 404
    assert not DutyRules.objects.exists()


def test_station_reads_its_district_only_and_members_see_nothing(city, login):
    page = login("station_officer").get("/rules/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "230902" in body and "230903" not in body
    assert login("station_officer").get("/rules/?region=230900").status_code == 404
    assert login("volunteer").get("/rules/").status_code == 404
    assert login("sysadmin").get("/rules/").status_code == 404
