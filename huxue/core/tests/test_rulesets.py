"""``rulesets.nearest``: the one reading of "the nearest region up the tree with rules wins",
for the duty rules and the rostering rules alike."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huxue.core import rulesets
from huxue.duty.models import DutyRules
from huxue.orgs.models import Region
from huxue.orgs.services import region_create
from huxue.roster.models import CityRules
from huxue.testing import City


@pytest.mark.parametrize(
    ("model", "field"), [(DutyRules, "gap_alert_minutes"), (CityRules, "shifts_per_member_week")]
)
def test_the_nearest_region_up_the_tree_with_rules_wins(city: City, model, field) -> None:
    city_rules = model.objects.create(region=city.city, **{field: 7})
    taoshan_rules = model.objects.create(region=city.taoshan, **{field: 5})
    # Deeper than the levels read at once: still walked to the root.
    town = region_create(code="230990", name="某镇", parent=city.xinxing)
    village = region_create(code="230991", name="某村", parent=town)
    regions = [city.xinxing, city.taoshan, city.city, town, city.xinxing]
    with CaptureQueriesContext(connection) as queries:
        found = rulesets.nearest_by_region(model, regions)
    assert len(queries) == 1
    assert found == {
        city.xinxing.pk: city_rules,  # inherits the city's
        city.taoshan.pk: taoshan_rules,  # its own, nearer
        city.city.pk: city_rules,
        town.pk: city_rules,
    }
    assert rulesets.nearest(model, city.taoshan) == taoshan_rules
    assert rulesets.nearest(model, village) == city_rules
    # A region read with the rows up its tree costs no query more.
    loaded = Region.objects.select_related(*rulesets.up_the_tree(model)).get(pk=city.xinxing.pk)
    with CaptureQueriesContext(connection) as queries:
        assert rulesets.nearest(model, loaded) == city_rules
    assert len(queries) == 0
    # With no rules up the path: the defaults, for that region, not stored.
    model.objects.all().delete()
    default = rulesets.nearest(model, city.xinxing)
    assert default.pk is None and default.region == city.xinxing
