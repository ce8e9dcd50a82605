"""API tokens: exchange a username and password for a token; give it back.

The password goes through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts failures and locks the account exactly as for the login page, and the login signals write
the audit lines (failure from ``authenticate``; success from the ``user_logged_in`` we send).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huxue.api.authentication import TokenAuthentication
from huxue.core import audit


@transaction.atomic
def token_issue(*, user: Any) -> Token:
    """The user's token (one per account, shared by their devices until revoked)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_revoke(*, user: Any) -> None:
    deleted, _detail = Token.objects.filter(user=user).delete()
    if deleted:
        audit.record(action="api.token.revoke", actor=user, obj=user)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as the header `Authorization: Token <token>`.")


class TokenView(APIView):
    """API tokens for scripts and apps; the web pages use the session instead."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def perform_authentication(self, request: Request) -> None:
        # Obtaining a token looks at no credentials but the body's: a stale token header or a
        # session without its CSRF token must not stand in the way of logging in.
        if request.method != "POST":
            super().perform_authentication(request)

    @extend_schema(
        tags=["auth"],
        summary="Get an API token for a username and password",
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(
                description="Too many failed logins: the account is locked for a while."
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # Answer in JSON here; left set, AxesMiddleware would swap in the HTML lockout page.
            cast(Any, http_request).axes_locked_out = False
            return Response(
                {
                    "detail": _(
                        "Too many failed logins: this account is locked for a while. Try again later."
                    )
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}
            )
        token = token_issue(user=user)
        # The same signal as a page login: audit line, last_login, and axes' reset of failures.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response({"token": token.key})

    @extend_schema(
        tags=["auth"], summary="Revoke your API token", request=None, responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
