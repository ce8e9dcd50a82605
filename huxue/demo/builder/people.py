"""The demo city's duty members: planned as data, then written in bulk.

Officers and auxiliaries belong to stations, guards to security companies, school security,
staff and parents to schools, community volunteers to schools or stations. Each force has its
own profile (age, when they joined, how many are trained and equipped); statuses follow from
the dates, so a volunteer who joined last week is still waiting for the background check.

Three thousand people through ``person_create`` would mean three thousand audit lines and
transactions; ``write_people`` builds the same rows the service builds (the same cleaning, the
encrypted fields, both blind indexes) and inserts them with ``people_bulk_write``. The build leaves one
"demo.build" audit line for them instead.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from huxue.demo import data
from huxue.demo.builder import synth
from huxue.demo.builder.places import Places, PlacesPlan, company_key
from huxue.people.forces import VOLUNTEER_TYPES, ForceGroup, ForceType
from huxue.people.models import Consent, Person
from huxue.people.services import PersonInput, id_index_of, people_bulk_write, person_clean

Vetting = Person.Vetting
Training = Person.Training
DEMO_MEMBER = "demo_member"

# How many members the demo recruits for the places its gates need (issue 15: next week's solve
# fills some 98% of the slots, leaving colleagues free to swap with and substitutes to call).
GUARDS_PER_POST = 1.7
STAFF_PER_PLACE = 4
PARENTS_PER_PLACE = 5
PARENTS_PER_PLACE_PILOT = 8


@dataclass(frozen=True)
class Profile:
    female_share: float
    born: tuple[int, int]  # birth years
    joined: tuple[dt.date, dt.date]  # when they were put forward for post duty
    trained_share: float
    equipped: bool  # volunteers and school people wear the red armband and vest
    may_fail: bool  # whether a background check can fail (officers were vetted on hiring)
    # Of those whose first training ran out, how many took the refresher in time: the forces
    # on duty by their job are sent to it, volunteers let some lapse.
    refreshed_share: float = 0.7


PROFILES: dict[str, Profile] = {
    ForceType.POLICE: Profile(
        0.2, (1968, 1997), (dt.date(2010, 3, 1), dt.date(2019, 8, 31)), 1.0, False, False, 0.92
    ),
    ForceType.AUXILIARY: Profile(
        0.25, (1975, 2000), (dt.date(2015, 1, 5), dt.date(2021, 6, 30)), 0.95, False, False, 0.9
    ),
    ForceType.GUARD: Profile(
        0.1, (1962, 1996), (dt.date(2017, 3, 1), dt.date(2021, 10, 31)), 0.95, False, True, 0.9
    ),
    ForceType.SCHOOL_SECURITY: Profile(
        0.15, (1962, 1990), (dt.date(2019, 3, 1), dt.date(2021, 12, 31)), 0.95, True, True, 0.9
    ),
    ForceType.STAFF: Profile(
        0.7, (1965, 1997), (data.ROLLOUT, dt.date(2022, 1, 31)), 0.85, True, True, 0.8
    ),
    ForceType.PARENT: Profile(
        0.62, (1977, 1992), (data.ROLLOUT, dt.date(2022, 2, 18)), 0.8, True, True
    ),
    ForceType.COMMUNITY: Profile(
        0.45, (1952, 1985), (data.ROLLOUT, dt.date(2022, 2, 18)), 0.8, True, True
    ),
}


@dataclass(frozen=True)
class ConsentSpec:
    text_version: str
    at: dt.datetime
    method: str


@dataclass(frozen=True)
class PersonSpec:
    name: str
    force_type: str
    unit: str  # a unit key of the places plan
    id_number: str
    phone: str
    vetting_status: str
    vetted_on: dt.date | None
    training_status: str
    trained_on: dt.date | None
    armband_issued: bool
    vest_issued: bool
    child_school: str | None = None  # a school key, for parents
    consent: ConsentSpec | None = None
    login: str = ""  # the demo account linked to this person, if any


class _Planner:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"huxue-demo:{seed}:people")
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.people: list[PersonSpec] = []

    def add(
        self,
        force_type: str,
        *,
        unit: str,
        area: str,
        child_school: str | None = None,
        pilot: bool = False,
        login: str = "",
    ) -> None:
        rng, profile = self.rng, PROFILES[force_type]
        sex = synth.gender(rng, female_share=profile.female_share)
        born = synth.birth_date(rng, *profile.born)
        id_number = synth.unique(
            self.ids, lambda: synth.id_number(rng, area=area, born=born, sex=sex)
        )
        phone = synth.unique(self.phones, lambda: synth.phone(rng))
        start, end = profile.joined
        if pilot and force_type in (ForceType.STAFF, ForceType.PARENT, ForceType.COMMUNITY):
            start = data.PILOT_START  # the pilot school's people were there first
        joined = synth.date_between(rng, start, end)
        if login:  # the demo member is fully set up, so every screen has something to show
            joined = data.PILOT_START + dt.timedelta(days=10)
        vetting, vetted_on = self._vetting(profile, joined, sure=bool(login))
        training, trained_on = self._training(profile, vetting, vetted_on, sure=bool(login))
        passed = vetting == Vetting.PASSED
        equipped = profile.equipped and passed
        consent = None
        if force_type in VOLUNTEER_TYPES:
            consent = self._consent(joined)
        self.people.append(
            PersonSpec(
                name=synth.person_name(rng, sex),
                force_type=force_type,
                unit=unit,
                id_number=id_number,
                phone=phone,
                vetting_status=vetting,
                vetted_on=vetted_on,
                training_status=training,
                trained_on=trained_on,
                armband_issued=equipped and (bool(login) or rng.random() < 0.97),
                vest_issued=equipped and (bool(login) or rng.random() < 0.9),
                child_school=child_school,
                consent=consent,
                login=login,
            )
        )

    def add_many(self, force_type: str, n: int, **kwargs: Any) -> None:
        for _ in range(n):
            self.add(force_type, **kwargs)

    def _vetting(
        self, profile: Profile, joined: dt.date, *, sure: bool
    ) -> tuple[str, dt.date | None]:
        checked = joined + dt.timedelta(days=self.rng.randint(3, 21))
        if checked > data.AS_OF:
            return Vetting.PENDING, None
        if profile.may_fail and not sure and self.rng.random() < 0.02:
            return Vetting.FAILED, checked
        return Vetting.PASSED, checked

    def _training(
        self, profile: Profile, vetting: str, vetted_on: dt.date | None, *, sure: bool
    ) -> tuple[str, dt.date | None]:
        if vetting != Vetting.PASSED or vetted_on is None:
            return Training.NONE, None
        if not sure and self.rng.random() >= profile.trained_share:
            return Training.NONE, None
        # Post-duty training started with the pilot; officers vetted years ago took it then.
        first = max(vetted_on, data.PILOT_START) + dt.timedelta(days=self.rng.randint(5, 45))
        if first > data.AS_OF:
            return Training.NONE, None
        if (data.AS_OF - first).days <= data.TRAINING_VALID_DAYS:
            return Training.TRAINED, first
        if sure or self.rng.random() < profile.refreshed_share:
            refresher = synth.date_between(
                self.rng,
                first + dt.timedelta(days=data.TRAINING_VALID_DAYS - 90),
                data.AS_OF - dt.timedelta(days=7),
            )
            return Training.TRAINED, refresher
        return Training.EXPIRED, first

    def _consent(self, joined: dt.date) -> ConsentSpec:
        version = [v for since, v in data.CONSENT_VERSIONS if since <= joined][-1]
        on_paper = joined < data.CONSENT_VERSIONS[-1][0] and self.rng.random() < 0.85
        at = dt.datetime(
            joined.year,
            joined.month,
            joined.day,
            self.rng.randint(8, 17),
            self.rng.randint(0, 59),
            tzinfo=data.TZ,
        )
        return ConsentSpec(
            text_version=version,
            at=at,
            method=Consent.Method.PAPER if on_paper else Consent.Method.ONLINE,
        )


def plan_people(seed: int, places: PlacesPlan) -> tuple[PersonSpec, ...]:
    """Everyone who may stand at a gate, as data. Pure: same seed and plan, same people."""
    planner = _Planner(seed)
    rng = planner.rng
    districts = {d.code: d for d in data.DISTRICTS}

    for station in places.stations():
        for _ in range(rng.randint(6, 9)):
            planner.add(ForceType.POLICE, unit=station.key, area=station.region)
        for _ in range(rng.randint(16, 21)):
            planner.add(ForceType.AUXILIARY, unit=station.key, area=station.region)
        for _ in range(rng.randint(6, 10)):
            planner.add(ForceType.COMMUNITY, unit=station.key, area=station.region)

    # Guards: the company (or its district branch) has some 1.7 per post it serves, so the
    # posts are covered with each guard on a few windows a week (the city's weekly cap).
    company_posts: dict[str, int] = {}
    company_areas: dict[str, list[str]] = {}
    for school in places.schools:
        key = company_key(districts[school.region])
        company_posts[key] = company_posts.get(key, 0) + places.posts_at(school.key)
        if school.region not in company_areas.setdefault(key, []):
            company_areas[key].append(school.region)
    for key, posts in company_posts.items():
        for _ in range(round(posts * GUARDS_PER_POST)):
            planner.add(ForceType.GUARD, unit=key, area=rng.choice(company_areas[key]))

    pilot_key = places.pilot.key
    for school in places.schools:
        posts = places.posts_at(school.key)
        unit, area, pilot = school.key, school.region, school.key == pilot_key
        # A school's rota is as large as its gates need: some four teachers per place a window
        # needs a teacher, five parents per volunteer place (each offers one to three days),
        # more at the pilot school, whose volunteer team is the oldest.
        staff = places.needed_at(school.key, ForceGroup.STAFF)
        volunteers = places.needed_at(school.key, ForceGroup.VOLUNTEER)
        parents = (PARENTS_PER_PLACE_PILOT if pilot else PARENTS_PER_PLACE) * volunteers
        planner.add_many(
            ForceType.SCHOOL_SECURITY,
            2 + (posts >= 2) + (school.pupils >= 2000),
            unit=unit,
            area=area,
            pilot=pilot,
        )
        planner.add_many(
            ForceType.STAFF,
            STAFF_PER_PLACE * staff + rng.randint(1, 3),
            unit=unit,
            area=area,
            pilot=pilot,
        )
        if pilot:
            planner.add(
                ForceType.PARENT,
                unit=unit,
                area=area,
                pilot=pilot,
                child_school=unit,
                login=DEMO_MEMBER,
            )
        planner.add_many(
            ForceType.PARENT,
            parents + rng.randint(1, volunteers + 1),
            unit=unit,
            area=area,
            pilot=pilot,
            child_school=unit,
        )
        planner.add_many(
            ForceType.COMMUNITY, posts + rng.randint(1, 3), unit=unit, area=area, pilot=pilot
        )

    if len(planner.people) < data.MEMBERS_MIN:
        raise RuntimeError(
            f"the demo plan has {len(planner.people)} members, fewer than {data.MEMBERS_MIN}"
        )
    return tuple(planner.people)


# --- writing -----------------------------------------------------------------------------------


def _clashes(indexes: Iterable[str]) -> int:
    values = list(indexes)
    found = 0
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found += Person.objects.filter(id_index__in=chunk, voided_at__isnull=True).count()
    return found


@dataclass
class People:
    count: int
    consents: int
    by_login: dict[str, Person]


def write_people(specs: Iterable[PersonSpec], places: Places) -> People:
    inputs: list[PersonInput] = []
    consent_specs: list[ConsentSpec | None] = []
    logins: list[str] = []
    for spec in specs:
        child = places.schools[spec.child_school] if spec.child_school else None
        cleaned = person_clean(
            {
                "name": spec.name,
                "force_type": spec.force_type,
                "phone": spec.phone,
                "id_number": spec.id_number,
                "vetting_status": spec.vetting_status,
                "vetted_on": spec.vetted_on,
                "training_status": spec.training_status,
                "trained_on": spec.trained_on,
                "armband_issued": spec.armband_issued,
                "vest_issued": spec.vest_issued,
                "child_school_id": child.pk if child else None,
            },
            unit=places.units[spec.unit],
        )
        inputs.append(cleaned)
        consent_specs.append(spec.consent)
        logins.append(spec.login)
    indexes = {id_index_of(data.id_number) for data in inputs}
    if len(indexes) != len(inputs) or _clashes(indexes):
        raise ValidationError("the demo people clash with resident ID numbers already registered")
    rows = people_bulk_write(creates=inputs, updates=[])
    consents = [(p, c) for p, c in zip(rows, consent_specs, strict=True) if c]
    by_login = {login: p for p, login in zip(rows, logins, strict=True) if login}
    Consent.objects.bulk_create(
        [
            Consent(person=p, text_version=c.text_version, consented_at=c.at, method=c.method)
            for p, c in consents
        ],
        batch_size=1000,
    )
    return People(count=len(rows), consents=len(consents), by_login=by_login)
