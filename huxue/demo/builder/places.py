"""Regions, units, schools and guard posts of the demo city: planned as data, then written.

``plan_places`` is a pure function of the seed (no database), so tests can check it and its
determinism directly; ``write_places`` turns the plan into rows through the org and posts services.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from huxue.core.geo import offset
from huxue.demo import data
from huxue.orgs.models import Region, Unit
from huxue.orgs.services import region_create, unit_create
from huxue.people.forces import ForceGroup
from huxue.posts.models import School
from huxue.posts.services import Window, parse_windows, post_create, school_create

Stage = School.Stage

BUREAU_KEY = "bureau"
EDUCATION_KEY = "education"
COMPANY_CITY_KEY = "company:city"


def county_bureau_key(code: str) -> str:
    return f"bureau:{code}"


def company_key(district: data.District) -> str:
    """The security company whose guards stand at the district's schools: the county's own
    company, or the city company's branch office (分公司) in the district."""
    return f"company:{district.code}"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class UnitSpec:
    key: str
    kind: str
    name: str
    region: str
    parent: str | None


@dataclass(frozen=True)
class SchoolSpec:
    key: str
    name: str
    stage: str
    station: str
    region: str
    pupils: int
    address: str
    latitude: Decimal
    longitude: Decimal
    township: bool = False
    pilot: bool = False


@dataclass(frozen=True)
class PostSpec:
    school: str
    name: str
    latitude: Decimal
    longitude: Decimal
    geofence_m: int
    windows: str
    requirements: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PlacesPlan:
    regions: tuple[RegionSpec, ...]
    units: tuple[UnitSpec, ...]
    schools: tuple[SchoolSpec, ...]
    posts: tuple[PostSpec, ...]
    gates: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def pilot(self) -> SchoolSpec:
        return next(s for s in self.schools if s.pilot)

    def stations(self) -> list[UnitSpec]:
        return [u for u in self.units if u.kind == Unit.Kind.STATION]

    def posts_at(self, school_key: str) -> int:
        return self.gates[school_key]

    def needed_at(self, school_key: str, group: str) -> int:
        """How many members of the force group one duty window needs at the school's gates."""
        return sum(
            n
            for post in self.posts
            if post.school == school_key
            for g, n in post.requirements
            if g == group
        )


# --- planning (pure) ---------------------------------------------------------------------------


def _coordinate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _scatter(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly inside a disc around (lat, lon)."""
    r = radius_km * 1000 * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    return offset(lat, lon, r * math.sin(theta), r * math.cos(theta))


def _stage_mix(count: int) -> list[str]:
    high = max(1, round(count * 0.08))
    nine = round(count * 0.1)
    middle = round(count * 0.25)
    mix: list[str] = []
    for stage, n in ((Stage.HIGH, high), (Stage.NINE_YEAR, nine), (Stage.MIDDLE, middle)):
        mix += [stage] * n
    return mix + [Stage.PRIMARY] * (count - len(mix))


_PUPILS: dict[str, tuple[int, int]] = {
    Stage.PRIMARY: (500, 2200),
    Stage.NINE_YEAR: (400, 1500),
    Stage.MIDDLE: (600, 2400),
    Stage.HIGH: (1500, 3600),
}
_TOWNSHIP_PUPILS: dict[str, tuple[int, int]] = {Stage.PRIMARY: (150, 600), Stage.MIDDLE: (300, 900)}
_SUFFIX: dict[str, str] = {
    Stage.PRIMARY: "小学",
    Stage.NINE_YEAR: "学校",
    Stage.MIDDLE: "中学",
    Stage.HIGH: "高级中学",
}


@dataclass
class _Draft:
    name: str
    stage: str
    lat: float
    lon: float
    pupils: int
    address: str
    township: str = ""
    pilot: bool = False


def _district_schools(
    rng: random.Random, district: data.District, used_names: set[str]
) -> list[_Draft]:
    drafts: list[_Draft] = []
    seat_count = district.schools
    if district.county:
        towns = list(data.TOWNSHIPS)
        township_count = round(district.schools * data.TOWNSHIP_SHARE)
        seat_count -= township_count
        centres = {}
        for town in towns:
            distance = rng.uniform(0.5, 1.0) * data.TOWNSHIP_RADIUS_KM
            bearing = rng.uniform(0, 2 * math.pi)
            centres[town] = offset(
                district.latitude,
                district.longitude,
                distance * 1000 * math.sin(bearing),
                distance * 1000 * math.cos(bearing),
            )
        # Every township has a central primary school; the first few a middle school too.
        township_schools: list[tuple[str, str]] = [(Stage.PRIMARY, t) for t in towns]
        township_schools += [(Stage.MIDDLE, t) for t in towns]
        for township_stage, town in township_schools[:township_count]:
            lat, lon = _scatter(rng, *centres[town], 0.8)
            name = (
                f"{district.name}{town}镇中心小学"
                if township_stage == Stage.PRIMARY
                else f"{district.name}{town}镇中学"
            )
            used_names.add(name)
            low, high = _TOWNSHIP_PUPILS[township_stage]
            street = rng.choice(data.STREETS)
            drafts.append(
                _Draft(
                    name=name,
                    stage=township_stage,
                    lat=lat,
                    lon=lon,
                    pupils=rng.randint(low, high),
                    address=f"{data.CITY[1]}{district.name}{town}镇{street}{rng.randint(1, 120)}号",
                    township=town,
                )
            )
    stages = _stage_mix(seat_count)
    for index, stage in enumerate(stages):
        pilot = district.code == data.PILOT_DISTRICT and index == len(stages) - 1
        if pilot:
            name = data.PILOT_SCHOOL
        else:
            while True:
                name = f"{district.name}{rng.choice(data.SCHOOL_WORDS)}{_SUFFIX[stage]}"
                if name not in used_names:
                    break
        used_names.add(name)
        lat, lon = _scatter(rng, district.latitude, district.longitude, district.radius_km)
        # The pilot is a large primary school: it had the most to gain from the posts.
        low, high = (1600, 2200) if pilot else _PUPILS[stage]
        street = rng.choice(data.STREETS)
        drafts.append(
            _Draft(
                name=name,
                stage=stage,
                lat=lat,
                lon=lon,
                pupils=rng.randint(low, high),
                address=f"{data.CITY[1]}{district.name}{street}{rng.randint(1, 300)}号",
                pilot=pilot,
            )
        )
    return drafts


def _assign_stations(
    district: data.District, drafts: list[_Draft], station_keys: list[str]
) -> list[str]:
    """Split the district into sectors around its centre, one run of schools per station.

    In the county, the first two stations police the county seat and the others the townships.
    """

    def bearing(d: _Draft) -> float:
        return math.atan2(d.lat - district.latitude, d.lon - district.longitude)

    groups: list[tuple[list[int], list[str]]]
    if district.county:
        seat = [i for i, d in enumerate(drafts) if not d.township]
        towns = [i for i, d in enumerate(drafts) if d.township]
        groups = [(seat, station_keys[:2]), (towns, station_keys[2:])]
    else:
        groups = [(list(range(len(drafts))), station_keys)]
    assigned = [""] * len(drafts)
    for indexes, keys in groups:
        ordered = sorted(indexes, key=lambda i: bearing(drafts[i]))
        for position, i in enumerate(ordered):
            assigned[i] = keys[position * len(keys) // len(ordered)]
    return assigned


def _gate_counts(rng: random.Random, schools: list[SchoolSpec]) -> list[int]:
    """Gates by size, then nudged until the city has exactly POSTS_TOTAL posts."""
    counts = []
    for s in schools:
        gates = 1 if s.pupils < 500 else 2 if s.pupils < 1300 else 3 if s.pupils < 2500 else 4
        counts.append(gates)
    while sum(counts) > data.POSTS_TOTAL:
        most = max(counts)
        counts[rng.choice([i for i, c in enumerate(counts) if c == most])] -= 1
    while sum(counts) < data.POSTS_TOTAL:
        growable = [i for i, c in enumerate(counts) if c < 4 and schools[i].pupils >= 500]
        counts[rng.choice(growable)] += 1
    return counts


def _requirements(school: SchoolSpec, main: bool) -> tuple[tuple[str, int], ...]:
    young = school.stage in (Stage.PRIMARY, Stage.NINE_YEAR)
    if main:
        volunteers = 3 if young and school.pupils >= 1500 else 2 if young else 1
        need = {
            ForceGroup.POLICE: 1,
            ForceGroup.GUARD: 1,
            ForceGroup.STAFF: 1,
            ForceGroup.VOLUNTEER: volunteers,
        }
    elif young:
        need = {ForceGroup.GUARD: 1, ForceGroup.VOLUNTEER: 2}
    else:
        need = {ForceGroup.STAFF: 1, ForceGroup.VOLUNTEER: 1}
    return tuple((str(g), n) for g, n in need.items())


def _posts(rng: random.Random, school: SchoolSpec, gates: int) -> list[PostSpec]:
    directions = ["南门", "东门", "北门", "西门"]
    main_faces = rng.choice(directions)
    others = [g for g in data.GATE_OFFSETS if g != main_faces]
    rng.shuffle(others)
    names = [(data.MAIN_GATE, main_faces), *((g, g) for g in others[: gates - 1])]
    posts = []
    lat0, lon0 = float(school.latitude), float(school.longitude)
    for index, (name, direction) in enumerate(names):
        north, east = data.GATE_OFFSETS[direction]
        lat, lon = offset(lat0, lon0, north + rng.uniform(-10, 10), east + rng.uniform(-10, 10))
        main = index == 0
        geofence = 200 if school.township else 150 if main else 100
        posts.append(
            PostSpec(
                school=school.key,
                name=name,
                latitude=_coordinate(lat),
                longitude=_coordinate(lon),
                geofence_m=geofence,
                windows=data.WINDOWS[school.stage],
                requirements=_requirements(school, main),
            )
        )
    return posts


def plan_places(seed: int) -> PlacesPlan:
    rng = random.Random(f"huxue-demo:{seed}:places")
    province_code, province_name = data.PROVINCE
    city_code, city_name = data.CITY
    regions = [
        RegionSpec(province_code, province_name, None),
        RegionSpec(city_code, city_name, province_code),
    ]
    regions += [RegionSpec(d.code, d.name, city_code) for d in data.DISTRICTS]

    units = [
        UnitSpec(BUREAU_KEY, Unit.Kind.BUREAU, data.BUREAU, city_code, None),
        UnitSpec(EDUCATION_KEY, Unit.Kind.EDUCATION, data.EDUCATION, city_code, None),
        UnitSpec(
            COMPANY_CITY_KEY,
            Unit.Kind.SECURITY_COMPANY,
            data.COMPANY_CITY,
            data.COMPANY_CITY_REGION,
            BUREAU_KEY,
        ),
    ]
    station_keys: dict[str, list[str]] = {}
    for district in data.DISTRICTS:
        parent = BUREAU_KEY
        if district.county:
            parent = county_bureau_key(district.code)
            units += [
                UnitSpec(parent, Unit.Kind.BUREAU, data.COUNTY_BUREAU, district.code, BUREAU_KEY),
                UnitSpec(
                    f"education:{district.code}",
                    Unit.Kind.EDUCATION,
                    data.COUNTY_EDUCATION,
                    district.code,
                    EDUCATION_KEY,
                ),
                UnitSpec(
                    company_key(district),
                    Unit.Kind.SECURITY_COMPANY,
                    data.COMPANY_COUNTY,
                    district.code,
                    parent,
                ),
            ]
        else:
            units.append(
                UnitSpec(
                    company_key(district),
                    Unit.Kind.SECURITY_COMPANY,
                    f"{data.COMPANY_CITY}{district.name.removesuffix('区')}分公司",
                    district.code,
                    COMPANY_CITY_KEY,
                )
            )
        keys = [f"station:{district.code}:{n}" for n in range(1, len(district.stations) + 1)]
        station_keys[district.code] = keys
        units += [
            UnitSpec(key, Unit.Kind.STATION, name, district.code, parent)
            for key, name in zip(keys, district.stations, strict=True)
        ]

    used_names: set[str] = set()
    schools: list[SchoolSpec] = []
    for district in data.DISTRICTS:
        drafts = _district_schools(rng, district, used_names)
        stations = _assign_stations(district, drafts, station_keys[district.code])
        for draft, station in zip(drafts, stations, strict=True):
            schools.append(
                SchoolSpec(
                    key=f"school:{len(schools) + 1:03d}",
                    name=draft.name,
                    stage=draft.stage,
                    station=station,
                    region=district.code,
                    pupils=draft.pupils,
                    address=draft.address,
                    latitude=_coordinate(draft.lat),
                    longitude=_coordinate(draft.lon),
                    township=bool(draft.township),
                    pilot=draft.pilot,
                )
            )

    gates = _gate_counts(rng, schools)
    posts = [p for school, n in zip(schools, gates, strict=True) for p in _posts(rng, school, n)]
    return PlacesPlan(
        regions=tuple(regions),
        units=tuple(units),
        schools=tuple(schools),
        posts=tuple(posts),
        gates={s.key: n for s, n in zip(schools, gates, strict=True)},
    )


# --- writing -----------------------------------------------------------------------------------


@dataclass
class Places:
    regions: dict[str, Region]
    units: dict[str, Unit]  # by plan key; schools' units too
    schools: dict[str, School]
    posts: int


def write_places(plan: PlacesPlan) -> Places:
    """Create the plan's rows through the services (each leaves its own audit line)."""
    regions: dict[str, Region] = {}
    for r in plan.regions:
        regions[r.code] = region_create(
            code=r.code, name=r.name, parent=regions[r.parent] if r.parent else None
        )
    units: dict[str, Unit] = {}
    for u in plan.units:
        units[u.key] = unit_create(
            kind=u.kind,
            name=u.name,
            region=regions[u.region],
            parent=units[u.parent] if u.parent else None,
        )
    schools: dict[str, School] = {}
    for s in plan.schools:
        school = school_create(
            actor=None,
            name=s.name,
            stage=s.stage,
            station=units[s.station],
            region=regions[s.region],
            latitude=s.latitude,
            longitude=s.longitude,
            pupils=s.pupils,
            address=s.address,
        )
        schools[s.key] = school
        units[s.key] = school.unit
    windows: dict[str, list[Window]] = {}
    for p in plan.posts:
        if p.windows not in windows:
            windows[p.windows] = parse_windows(p.windows)
        post_create(
            actor=None,
            school=schools[p.school],
            name=p.name,
            latitude=p.latitude,
            longitude=p.longitude,
            windows=windows[p.windows],
            requirements=dict(p.requirements),
            geofence_m=p.geofence_m,
        )
    return Places(regions=regions, units=units, schools=schools, posts=len(plan.posts))
