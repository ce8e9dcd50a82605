"""Writes to the org tree, users and roles. Each runs in one transaction and leaves an audit line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from huxue.core import audit
from huxue.orgs import access
from huxue.orgs.models import Membership, Region, Unit, User
from huxue.orgs.roles import ADMIN_ROLES, SCOPE_TREE, Role


@transaction.atomic
def region_create(*, code: str, name: str, parent: Region | None = None) -> Region:
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationError(_("A GB/T 2260 region code is six digits."), code="region_code")
    region = Region(code=code, name=name, parent=parent)
    region.path = (parent.path if parent else "/") + f"{code}/"
    region.save()
    return region


@transaction.atomic
def unit_create(
    *, kind: str, name: str, region: Region, parent: Unit | None = None, actor: Any = None
) -> Unit:
    unit = Unit.objects.create(kind=kind, name=name, region=region, parent=parent, path="")
    unit.path = (parent.path if parent else "/") + f"{unit.pk}/"
    unit.save(update_fields=["path"])
    audit.record(action="unit.create", actor=actor, obj=unit, detail={"kind": kind})
    return unit


@transaction.atomic
def unit_rename(*, actor: Any, unit: Unit, name: str) -> Unit:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Enter the unit's name.")]})
    old = Unit.objects.filter(pk=unit.pk).values_list("name", flat=True).first()  # as stored
    unit.name = name
    unit.save(update_fields=["name", "updated_at"])
    audit.record(action="unit.update", actor=actor, obj=unit, detail={"from": old, "to": name})
    return unit


@transaction.atomic
def user_save(*, actor: Any, user: User, changed: list[str], creating: bool) -> User:
    """The back office's account edits (name, e-mail, active); a new account has no password
    until its owner sets one."""
    if creating:
        user.set_unusable_password()
    user.save()
    audit.record(
        action="user.create" if creating else "user.update",
        actor=actor,
        obj=user,
        detail={"changed": changed},
    )
    return user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    actor: Any = None,
    check_password: bool = True,
) -> User:
    user = User(username=username, display_name=display_name, email=email)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(action="user.create", actor=actor, obj=user)
    return user


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    unit: Unit | None = None,
    region: Region | None = None,
    actor: Any = None,
) -> Membership:
    """Grant a role. The three administrator roles are exclusive: such an account holds one role."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # serialise grants per user
    membership_check(user=user, role=role, unit=unit, region=region)
    membership = Membership.objects.create(user=user, role=role, unit=unit, region=region)
    if role in ADMIN_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    access.forget(user)
    audit.record(
        action="role.grant",
        actor=actor,
        obj=user,
        detail={
            "role": role,
            "unit": unit.pk if unit else None,
            "region": region.code if region else None,
        },
    )
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: Any = None) -> None:
    user = membership.user
    detail = {"role": membership.role, "unit": membership.unit_id}
    membership.delete()
    if not user.memberships.filter(role__in=list(ADMIN_ROLES)).exists() and user.is_staff:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    access.forget(user)
    audit.record(action="role.revoke", actor=actor, obj=user, detail=detail)


def membership_check(
    *, user: User, role: str, unit: Unit | None = None, region: Region | None = None
) -> None:
    """Raises ValidationError if the grant would break a rule (admin exclusivity, anchors)."""
    held = set(user.memberships.values_list("role", flat=True))
    if role in held and user.memberships.filter(role=role, unit=unit).exists():
        raise ValidationError(_("This account already holds that role there."), code="duplicate")
    if role in ADMIN_ROLES and held - {role}:
        raise ValidationError(
            _("An administrator account (system, security or audit) cannot hold any other role."),
            code="admin_exclusive",
        )
    if held & ADMIN_ROLES and role not in held:
        raise ValidationError(
            _("This account holds an administrator role, which cannot be combined with another."),
            code="admin_exclusive",
        )
    if SCOPE_TREE[role] in {"unit", "self"} and unit is None:
        raise ValidationError(_("This role is held on a unit: choose one."), code="unit_required")
    if unit is None and region is None:
        raise ValidationError(
            _("Choose the unit or region this role covers."), code="anchor_required"
        )


def role_label(role: str) -> str:
    return str(Role(role).label)
