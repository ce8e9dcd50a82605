"""One demo login per role, each on the place that shows the role best."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huxue.demo import data
from huxue.demo.builder.people import DEMO_MEMBER, People
from huxue.demo.builder.places import BUREAU_KEY, EDUCATION_KEY, Places, PlacesPlan
from huxue.orgs.models import Region, Unit, User
from huxue.orgs.roles import Role
from huxue.orgs.services import membership_grant, user_create
from huxue.people.services import person_link_user

# A demo city's shared password, printed on every run: it meets the password policy
# (10+ characters, upper and lower case, digits, a symbol). Never use it anywhere real.
PASSWORD = "Huxue@2026"  # noqa: S105  (printed for everyone to use: that is its job)

PILOT_SCHOOL = "pilot"
PILOT_STATION = "pilot-station"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    display_name: str
    unit: str | None  # a unit key of the places plan, or PILOT_SCHOOL / PILOT_STATION
    region: str | None  # a region code, for region-scoped roles
    sees: Promise


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "demo_bureau",
        Role.BUREAU,
        "市公安局（演示）",
        BUREAU_KEY,
        None,
        _("Everything under the city bureau: all districts, stations, schools, posts and people."),
    ),
    DemoLogin(
        "demo_station",
        Role.STATION,
        "派出所民警（演示）",
        PILOT_STATION,
        None,
        _("The schools this station polices (属地), their posts and their people."),
    ),
    DemoLogin(
        "demo_education",
        Role.EDUCATION,
        "市教育局（演示）",
        EDUCATION_KEY,
        None,
        _("Every school and post in the city; people only masked, never revealed."),
    ),
    DemoLogin(
        "demo_school",
        Role.SCHOOL_LEAD,
        "市第六小学保卫干部（演示）",
        PILOT_SCHOOL,
        None,
        _("The pilot school only: its posts and its own members."),
    ),
    DemoLogin(
        DEMO_MEMBER,
        Role.MEMBER,
        "",
        PILOT_SCHOOL,
        None,
        _("Only their own record: a parent volunteer at the pilot school."),
    ),
    DemoLogin(
        "demo_inspector",
        Role.INSPECTOR,
        "督导员（演示）",
        BUREAU_KEY,
        data.PILOT_DISTRICT,
        _("Schools and posts in the district on the membership, to inspect."),
    ),
    DemoLogin(
        "demo_sysadmin",
        Role.SYSADMIN,
        "系统管理员（演示）",
        None,
        data.CITY[0],
        _("Accounts and the org tree; no personal data."),
    ),
    DemoLogin(
        "demo_secadmin",
        Role.SECADMIN,
        "安全管理员（演示）",
        None,
        data.CITY[0],
        _("Role memberships; no personal data."),
    ),
    DemoLogin(
        "demo_auditor",
        Role.AUDITOR,
        "审计员（演示）",
        None,
        data.CITY[0],
        _("The audit trail; no personal data."),
    ),
)


def _unit(places: Places, plan: PlacesPlan, key: str | None) -> Unit | None:
    if key is None:
        return None
    if key == PILOT_SCHOOL:
        return places.units[plan.pilot.key]
    if key == PILOT_STATION:
        return places.units[plan.pilot.station]
    return places.units[key]


def write_users(places: Places, plan: PlacesPlan, people: People) -> dict[str, User]:
    """Create the accounts and their roles through the services; link the member to a person."""
    users: dict[str, User] = {}
    for login in DEMO_LOGINS:
        person = people.by_login.get(login.username)
        user = user_create(
            username=login.username,
            password=PASSWORD,
            display_name=person.name if person else login.display_name,
        )
        region: Region | None = places.regions[login.region] if login.region else None
        membership_grant(
            user=user, role=login.role, unit=_unit(places, plan, login.unit), region=region
        )
        if person is not None:
            person_link_user(actor=None, person=person, user=user)
        users[login.username] = user
    return users
