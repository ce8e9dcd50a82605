"""How API callers authenticate: DRF's classes, the token's user read with their member record.

Its own module, without views: DRF imports the authentication classes named in the settings
while it loads its views.
"""

from __future__ import annotations

from rest_framework import authentication

from huxue.api.models import MemberToken


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (``Authorization: Token <key>``); the user comes with their
    member record (``MemberToken``), in the same query."""

    model = MemberToken
