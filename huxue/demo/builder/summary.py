"""What the demo city holds and who can log in, computed from the database (never from the plan)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Count
from django.utils.translation import gettext as _

from huxue.demo import data
from huxue.demo.builder.history import HISTORY_END, HISTORY_START
from huxue.demo.builder.users import DEMO_LOGINS, PASSWORD
from huxue.duty.stats.selectors import person_times_total
from huxue.orgs.models import Region, Unit, User
from huxue.orgs.roles import Role
from huxue.people.forces import ForceType
from huxue.people.models import Consent, Person
from huxue.people.selectors import people_visible_to
from huxue.posts.models import Post, School
from huxue.posts.selectors import posts_visible_to, schools_visible_to
from huxue.supervision.selectors import hazards_rectified_total


class Writer(Protocol):
    """Where output goes: a management command's stdout, a StringIO in tests."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class CityCounts:
    regions: int
    units: dict[str, int]  # by kind
    schools: int
    posts: int
    members: int
    members_by_force: dict[str, int]
    consents: int
    person_times: int  # accepted check-ins from HISTORY_START to HISTORY_END (the source's figure)
    hazards_rectified: (
        int  # closed after verification, HISTORY_START to HISTORY_END (the source's 76)
    )


def city_counts() -> CityCounts:
    """Live records of the demo city: its region (and districts) and everything placed in them."""
    city = Region.objects.get(code=data.CITY[0])
    in_city = city.path
    units = Unit.objects.filter(region__path__startswith=in_city)
    people = Person.objects.filter(unit__region__path__startswith=in_city, voided_at__isnull=True)
    found = dict(
        people.order_by()
        .values_list("force_type")
        .annotate(n=Count("id"))
        .values_list("force_type", "n")
    )
    by_force = {ft: found.get(ft, 0) for ft in ForceType.values}
    return CityCounts(
        regions=Region.objects.filter(path__startswith=in_city).count(),
        units={kind: units.filter(kind=kind).count() for kind in Unit.Kind.values},
        schools=School.objects.filter(
            unit__region__path__startswith=in_city, voided_at__isnull=True
        ).count(),
        posts=Post.objects.filter(
            school__unit__region__path__startswith=in_city, voided_at__isnull=True
        ).count(),
        members=people.count(),
        members_by_force=by_force,
        consents=Consent.objects.filter(person__in=people, withdrawn_at__isnull=True).count(),
        person_times=person_times_total(region=city, start=HISTORY_START, end=HISTORY_END),
        hazards_rectified=hazards_rectified_total(
            region=city, start=HISTORY_START, end=HISTORY_END
        ),
    )


@dataclass(frozen=True)
class LoginLine:
    username: str
    role: str
    place: str
    schools: int
    posts: int
    members: int
    sees: str


def login_lines() -> list[LoginLine]:
    """Each demo account with what it may read, counted through the apps' selectors."""
    lines = []
    users = {
        u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_LOGINS])
    }
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        membership = user.memberships.select_related("unit", "region").first()
        place = ""
        if membership is not None:
            place = " · ".join(
                str(x)
                for x in (
                    membership.unit.name if membership.unit else None,
                    membership.region.name if membership.region else None,
                )
                if x
            )
        lines.append(
            LoginLine(
                username=user.username,
                role=str(Role(login.role).label),
                place=place,
                schools=schools_visible_to(user).count(),
                posts=posts_visible_to(user).count(),
                members=people_visible_to(user).count(),
                sees=str(login.sees),
            )
        )
    return lines


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> list[str]:
    """Rows as aligned columns; Chinese characters count as two columns wide."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            " " * (w - _width(cell)) + cell if i in right else _pad(cell, w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def write_summary(out: Writer) -> None:
    counts = city_counts()
    kinds = dict(Unit.Kind.choices)
    out.write(_("The demo city %(city)s holds:") % {"city": data.CITY[1]} + "\n")
    rows = [[_("regions (the city and its districts)"), f"{counts.regions:,}"]]
    rows += [[str(kinds[k]), f"{n:,}"] for k, n in counts.units.items() if k != Unit.Kind.SCHOOL]
    rows += [
        [_("schools"), f"{counts.schools:,}"],
        [_("guard posts"), f"{counts.posts:,}"],
        [_("duty members"), f"{counts.members:,}"],
    ]
    forces = dict(ForceType.choices)
    rows += [["  " + str(forces[ft]), f"{n:,}"] for ft, n in counts.members_by_force.items()]
    rows += [[_("volunteers' consent records"), f"{counts.consents:,}"]]
    rows += [
        [
            _("person-times %(start)s – %(end)s, counted from check-ins")
            % {"start": HISTORY_START.isoformat(), "end": HISTORY_END.isoformat()},
            f"{counts.person_times:,}",
        ],
        [
            _("hazards rectified %(start)s – %(end)s, counted from hazard records")
            % {"start": HISTORY_START.isoformat(), "end": HISTORY_END.isoformat()},
            f"{counts.hazards_rectified:,}",
        ],
    ]
    for line in table(rows, right=[1]):
        out.write("  " + line + "\n")

    out.write(
        "\n"
        + _("Demo logins (every account's password is %(password)s):") % {"password": PASSWORD}
        + "\n"
    )
    header = [
        _("username"),
        _("password"),
        _("role"),
        _("place"),
        _("schools"),
        _("posts"),
        _("members"),
    ]
    logins = login_lines()
    body = [
        [ln.username, PASSWORD, ln.role, ln.place, str(ln.schools), str(ln.posts), str(ln.members)]
        for ln in logins
    ]
    for line in table([header, *body], right=[4, 5, 6]):
        out.write("  " + line + "\n")
    out.write("\n" + _("What each login can see:") + "\n")
    for ln in logins:
        out.write(f"  {_pad(ln.username, 16)}{ln.sees}\n")
