"""How long a signed-in session lasts.

Staff who can see other people's records keep the short idle timeout (``HUXUE_IDLE_MINUTES``).
An account that is only a duty member sees nothing but its own shifts and check-ins, and stands at
a gate for an hour or more between taps, often offline: its session lasts
``HUXUE_MEMBER_SESSION_DAYS`` (renewed on use), so a check-out or a queued check-in still goes
through afterwards.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from huxue.orgs import access
from huxue.orgs.roles import Role


@receiver(user_logged_in)
def _member_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    roles = access.roles_of(user)
    if roles and roles <= {Role.MEMBER}:
        session.set_expiry(settings.HUXUE_MEMBER_SESSION_DAYS * 86400)
