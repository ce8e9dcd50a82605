"""Roles and what each may do, as a table reviewed like code (not edited in a screen).

A role's scope follows one of two trees that meet at a school:
- "unit": the policing / ownership tree (bureau → station → schools; a school → itself);
- "region": the administrative tree (city → district) that education bureaus and inspectors cover;
- "self": only records linked to the user's own account (duty members);
- "all": no place limit; used by the three administrator roles, whose permissions name only
  administrative object types (users, units, memberships, the audit trail), never personal data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUREAU = "bureau", _("City / county police bureau")
    STATION = "station", _("Police station officer")
    EDUCATION = "education", _("Education bureau")
    SCHOOL_LEAD = "school_lead", _("School security lead")
    MEMBER = "member", _("Duty member")
    INSPECTOR = "inspector", _("Inspector")
    SYSADMIN = "sysadmin", _("System administrator")
    SECADMIN = "secadmin", _("Security administrator")
    AUDITOR = "auditor", _("Auditor")


ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

SCOPE_TREE: dict[str, str] = {
    Role.BUREAU: "unit",
    Role.STATION: "unit",
    Role.EDUCATION: "region",
    Role.SCHOOL_LEAD: "unit",
    Role.MEMBER: "self",
    Role.INSPECTOR: "region",
    Role.SYSADMIN: "all",
    Role.SECADMIN: "all",
    Role.AUDITOR: "all",
}

# Role → object type → the kinds of unit such records must sit under, within the subtree: the
# education bureau covers a whole region, but its people are the schools' people, not the
# officers of police stations or the guards of security companies.
UNIT_KINDS: dict[str, dict[str, frozenset[str]]] = {
    Role.EDUCATION: {"person": frozenset({"school"})},
}

# Actions: read (list and see), write (create, change, void), export, import,
# reveal (see a masked value in full, with a reason). Object types are model names.
_PEOPLE_ALL = frozenset({"read", "write", "export", "import", "reveal"})
_PLACES_ALL = frozenset({"read", "write", "export", "import"})
_READ_EXPORT = frozenset({"read", "export"})
_READ = frozenset({"read"})
_READ_WRITE = frozenset({"read", "write"})
# The school calendar: national arrangements (not placed: every city follows the same dates),
# terms set by a city's bureaus, closures of single schools.
_CALENDAR_KEEPER = {
    "holidayarrangement": _READ_WRITE,
    "term": _READ_WRITE,
    "closure": _READ_WRITE,
}
_CALENDAR_READER = {"holidayarrangement": _READ, "term": _READ, "closure": _READ}

# Rostering: who plans (writes shifts, runs the solver, publishes), who watches.
_ROSTER_PLANNER = {
    "shift": _READ_WRITE,
    "signup": _READ_WRITE,
    "availability": _READ_WRITE,
    "availabilityexception": _READ_WRITE,
    "assignment": _READ_WRITE,
    "rosterrun": _READ_WRITE,
    "rosterversion": _READ_WRITE,
    "family": _READ_WRITE,
}
_ROSTER_WATCHER = {
    "shift": _READ,
    "assignment": _READ,
    "rosterrun": _READ,
    "rosterversion": _READ,
}
# A member sees their school's shifts (to sign up) and writes only their own records.
_ROSTER_MEMBER = {
    "shift": _READ,
    "signup": _READ_WRITE,
    "availability": _READ_WRITE,
    "availabilityexception": _READ_WRITE,
    "assignment": _READ,
    "rosterversion": _READ,
}

# Duty at the gate: check-ins (a member writes their own; leads and officers take roll call and
# void), gap alerts raised by the watcher, call-outs of substitutes, each city's duty rules.
_READ_WRITE_EXPORT = frozenset({"read", "write", "export"})
_DUTY_KEEPER = {
    "checkin": _READ_WRITE_EXPORT,
    "gapalert": _READ,
    "callout": _READ_WRITE,
    "dutyrules": _READ,
}
_DUTY_WATCHER = {"checkin": _READ_EXPORT, "gapalert": _READ, "callout": _READ, "dutyrules": _READ}
_DUTY_MEMBER = {"checkin": _READ_WRITE, "callout": _READ_WRITE}

# Supervision (督导): who walks inspection rounds (inspectors, stations, bureaus; a school
# lead its own self-checks), who reads them; a city's bureau sets its checklist.
# Hazards: reported and worked on by all of them, the education bureau included (the steps
# each role may take are huxue.supervision.hazards.STEPS).
_HAZARDS = {"hazard": _READ_WRITE_EXPORT, "hazardstep": _READ_WRITE, "rectificationnotice": _READ}
_SUPERVISOR = {
    "checklisttemplate": _READ,
    "inspectionround": _READ_WRITE_EXPORT,
    "roundanswer": _READ_WRITE,
    **_HAZARDS,
}
_SUPERVISION_READER = {
    "checklisttemplate": _READ,
    "inspectionround": _READ_EXPORT,
    "roundanswer": _READ,
    **_HAZARDS,
}

PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.BUREAU: {
        "person": _PEOPLE_ALL,
        "school": _PLACES_ALL,
        "post": _PLACES_ALL,
        "unit": _READ,
        **_CALENDAR_KEEPER,
        **_ROSTER_PLANNER,
        "cityrules": _READ_WRITE,
        **_DUTY_KEEPER,
        "dutyrules": _READ_WRITE,
        **_SUPERVISOR,
        "checklisttemplate": _READ_WRITE,
    },
    Role.STATION: {
        "person": _PEOPLE_ALL,
        "school": _PLACES_ALL,
        "post": _PLACES_ALL,
        "unit": _READ,
        **_CALENDAR_READER,
        **_ROSTER_PLANNER,
        "cityrules": _READ,
        **_DUTY_KEEPER,
        **_SUPERVISOR,
    },
    # The education bureau works with schools and their members, but sees people masked only.
    Role.EDUCATION: {
        "person": _READ_EXPORT,
        "school": _PLACES_ALL,
        "post": _READ_EXPORT,
        "unit": _READ,
        **_CALENDAR_KEEPER,
        **_ROSTER_WATCHER,
        "cityrules": _READ_WRITE,
        **_DUTY_WATCHER,
        **_SUPERVISION_READER,
    },
    Role.SCHOOL_LEAD: {
        "person": _PEOPLE_ALL,
        "school": _READ,
        "post": _PLACES_ALL,
        "unit": _READ,
        **_CALENDAR_READER,
        "closure": _READ_WRITE,
        **_ROSTER_PLANNER,
        "cityrules": _READ,
        **_DUTY_KEEPER,
        **_SUPERVISOR,
    },
    Role.MEMBER: {"person": _READ, **_ROSTER_MEMBER, **_DUTY_MEMBER},
    Role.INSPECTOR: {
        "person": _READ,
        "school": _READ_EXPORT,
        "post": _READ_EXPORT,
        "unit": _READ,
        **_CALENDAR_READER,
        **_ROSTER_WATCHER,
        **_DUTY_WATCHER,
        **_SUPERVISOR,
    },
    # 三权分立: the system administrator runs accounts and the org tree, the security
    # administrator grants roles, the auditor reads the trail. None of them sees personal data.
    Role.SYSADMIN: {"user": frozenset({"read", "write"}), "unit": frozenset({"read", "write"})},
    Role.SECADMIN: {"user": _READ, "membership": frozenset({"read", "write"}), "unit": _READ},
    Role.AUDITOR: {"auditevent": _READ_EXPORT},
}


def allows(role: str, object_type: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, {}).get(object_type, frozenset())
