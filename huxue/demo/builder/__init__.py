"""The demo city (DOMAIN.md, "Demo city"): 七台河市 with its districts, police, schools, 222 posts,
a few thousand duty members and one login per role.

Each part has a pure ``plan_<part>(seed, ...)`` that returns plain data and a ``write_<part>`` that
writes it through the services; ``build_city`` runs them in order in one transaction. Every part
draws from its own random stream (``huxue-demo:<seed>:<part>``), so adding a part (the 2019–2022
history: rosters, check-ins, problems, high-risk persons, hazards, trainings, drills) leaves the
places and people of a seed exactly as they were. A new part goes before the marker line.

The marker is the one "demo.build" audit line, written last: a city with it is complete (the
transaction saw to that), and a second run only reports what is there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huxue.core import audit
from huxue.core.models import AuditEvent
from huxue.demo import data
from huxue.demo.builder.alerts import replay_gap_alerts
from huxue.demo.builder.history import (
    HISTORY_END,
    HISTORY_START,
    recent_history,
    recent_weeks,
    write_history,
)
from huxue.demo.builder.messages import deliver_messages
from huxue.demo.builder.people import plan_people, write_people
from huxue.demo.builder.places import EDUCATION_KEY, plan_places, write_places
from huxue.demo.builder.roster import write_roster
from huxue.demo.builder.summary import Writer
from huxue.demo.builder.supervision import write_open_supervision, write_supervision_history
from huxue.demo.builder.users import write_users
from huxue.orgs.models import Region

MARKER_ACTION = "demo.build"


class DemoCityConflict(Exception):
    """The city's region exists, but not from a demo build: we will not write into it."""


@dataclass(frozen=True)
class Outcome:
    built: bool  # False: the city was already there
    seed: int
    seconds: float


def find_marker() -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(action=MARKER_ACTION, outcome=AuditEvent.Outcome.SUCCESS)
        .order_by("id")
        .first()
    )


def _existing(marker: AuditEvent) -> Outcome:
    return Outcome(built=False, seed=int(marker.detail.get("seed", 0)), seconds=0.0)


def build_city(seed: int = data.DEFAULT_SEED, stdout: Writer | None = None) -> Outcome:
    """Build the demo city for this seed, unless one is built already (then change nothing)."""

    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")
            stdout.flush()

    marker = find_marker()
    if marker is not None:
        return _existing(marker)
    if Region.objects.filter(code=data.CITY[0]).exists():
        raise DemoCityConflict(
            _("Region %(code)s exists but was not made by demo_city; refusing to write into it.")
            % {"code": data.CITY[0]}
        )

    started = last = time.monotonic()

    def lap() -> float:
        nonlocal last
        now = time.monotonic()
        seconds, last = now - last, now
        return seconds

    places_plan = plan_places(seed)
    people_plan = plan_people(seed, places_plan)
    say(
        _(
            "Planned %(schools)d schools, %(posts)d posts and %(people)d people "
            "(seed %(seed)d, %(s).1f s)."
        )
        % {
            "schools": len(places_plan.schools),
            "posts": len(places_plan.posts),
            "people": len(people_plan),
            "seed": seed,
            "s": lap(),
        }
    )
    with transaction.atomic():
        marker = find_marker()  # a concurrent run may have finished while we planned
        if marker is not None:
            return _existing(marker)
        places = write_places(places_plan)
        say(_("Wrote the regions, units, schools and posts (%(s).1f s).") % {"s": lap()})
        people = write_people(people_plan, places)
        say(
            _("Wrote %(people)d people and %(consents)d consent records (%(s).1f s).")
            % {
                "people": people.count,
                "consents": people.consents,
                "s": lap(),
            }
        )
        users = write_users(places, places_plan, people)
        say(
            _("Wrote %(n)d demo logins; hashing their passwords is slow on purpose (%(s).1f s).")
            % {"n": len(users), "s": lap()}
        )
        roster = write_roster(
            seed, city=places.regions[data.CITY[0]], education=places.units[EDUCATION_KEY]
        )
        if roster.run is None:
            say(_("Rostering skipped: %(why)s") % {"why": roster.skipped})
        else:
            say(
                _(
                    "Wrote %(terms)d school terms, %(availability)d weekly availabilities and "
                    "%(shifts)d shifts for next week; the roster fills %(filled)d of %(slots)d "
                    "slots (gap %(gap).2f%%) and is published for %(schools)d schools (%(s).1f s)."
                )
                % {
                    "terms": roster.terms,
                    "availability": roster.availability,
                    "shifts": roster.shifts,
                    "filled": roster.run.filled,
                    "slots": roster.run.slots,
                    "gap": 100 * (roster.run.gap or 0),
                    "schools": roster.published,
                    "s": lap(),
                }
            )
        city = places.regions[data.CITY[0]]
        history = write_history(seed, city=city)
        past = history.counts
        say(
            _(
                "Wrote the duty history %(start)s – %(end)s: %(closures)d epidemic closures, "
                "%(runs)d weekly rosters with %(assignments)d rostered members on %(shifts)d "
                "shifts, and %(checkins)d check-ins over %(days)d school days (%(s).1f s)."
            )
            % {
                "start": HISTORY_START.isoformat(),
                "end": HISTORY_END.isoformat(),
                "closures": history.closures,
                "runs": past.runs,
                "assignments": past.assignments,
                "shifts": past.shifts,
                "checkins": past.checkins,
                "days": past.days,
                "s": lap(),
            }
        )
        recent = recent_history(seed, city=city)
        if recent.skipped:
            say(_("Recent duty history skipped: %(why)s") % {"why": recent.skipped})
        else:
            start, end = recent_weeks(timezone.localdate())
            say(
                _(
                    "Wrote the recent weeks %(start)s – %(end)s: %(shifts)d shifts, %(assignments)d "
                    "rostered members and %(checkins)d check-ins up to yesterday (%(s).1f s)."
                )
                % {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "shifts": recent.shifts,
                    "assignments": recent.assignments,
                    "checkins": recent.checkins,
                    "s": lap(),
                }
            )
            alerts = replay_gap_alerts(city=city, today=timezone.localdate())
            say(
                ngettext(
                    "Replayed the last school day through the gap-alert scan: "
                    "%(n)d window was still short of members (%(s).1f s).",
                    "Replayed the last school day through the gap-alert scan: "
                    "%(n)d windows were still short of members (%(s).1f s).",
                    alerts,
                )
                % {"n": alerts, "s": lap()}
            )
        supervised = write_supervision_history(seed, city=city)
        opened = 0 if recent.skipped else write_open_supervision(city=city)
        say(
            _(
                "Wrote the supervision history: %(rounds)d inspection rounds, %(hazards)d hazards "
                "rectified with their notices; %(open)d hazards open today (%(s).1f s)."
            )
            % {
                "rounds": supervised.rounds,
                "hazards": supervised.hazards,
                "open": opened,
                "s": lap(),
            }
        )
        audit.record(
            action=MARKER_ACTION,
            object_type="demo.city",
            object_id=data.CITY[0],
            object_repr=data.CITY[1],
            detail={
                "seed": seed,
                "schools": len(places_plan.schools),
                "posts": places.posts,
                "people": people.count,
                "consents": people.consents,
                "logins": sorted(users),
                "checkins": past.checkins + recent.checkins,
            },
        )
    # Once the city is committed, as the running system would: the outbox's dispatcher delivers
    # what is due (the demo logins' messages in the app; reminders wait until they are due).
    sent = deliver_messages()
    say(
        ngettext(
            "Delivered %(n)d message from the outbox (%(s).1f s).",
            "Delivered %(n)d messages from the outbox (%(s).1f s).",
            sent,
        )
        % {"n": sent, "s": lap()}
    )
    return Outcome(built=True, seed=seed, seconds=time.monotonic() - started)
