"""Gap alerts in the demo city (缺岗提醒): the last school day before today replayed through the
watcher's own scan (``gap_scan``, which ``duty_watch`` runs every minute), so the alert list, the
board's tiles and the leads' and officers' inboxes hold what the running system would have raised
on that day: a post still short some minutes into its window alerts its station and school
once, and its alert is resolved when a late member fills it.

The scan is run at every minute at which its answer can change — a window's alert minute, and
the minute after each check-in and check-out arrived — which raises and resolves exactly what a
scan every minute would, in a fraction of the passes.
"""

from __future__ import annotations

import datetime as dt

from huxue.core import rulesets
from huxue.duty.alerts.services import gap_scan
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs.models import Region
from huxue.roster.models import Shift

REPLAY_DAYS = 1
MINUTE = dt.timedelta(minutes=1)


def _next_minute(moment: dt.datetime) -> dt.datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + MINUTE


def replay_gap_alerts(*, city: Region, today: dt.date) -> int:
    """Scan the city's last ``REPLAY_DAYS`` days with shifts before ``today``; how many alerts
    were raised."""
    shifts = Shift.objects.filter(
        post__school__unit__region__path__startswith=city.path,
        day__lt=today,
        cancelled_at__isnull=True,
    )
    days = list(shifts.order_by("-day").values_list("day", flat=True).distinct()[:REPLAY_DAYS])
    replayed = list(shifts.filter(day__in=days).select_related("post__school__unit__region"))
    rules = rulesets.nearest_by_region(DutyRules, (s.post.school.unit.region for s in replayed))
    moments = {
        s.starts_at + dt.timedelta(minutes=rules[s.post.school.unit.region_id].gap_alert_minutes)
        for s in replayed
    }
    for arrived, left in CheckIn.objects.filter(shift__in=replayed).values_list(
        "server_at", "checked_out_at"
    ):
        moments.add(_next_minute(arrived))
        if left is not None:
            moments.add(_next_minute(left))
    return sum(len(gap_scan(now=moment)) for moment in sorted(moments))
