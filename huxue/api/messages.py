"""The caller's own inbox (消息) over the API: the messages the outbox delivered to them in the
app. Only the addressee reads or marks a message; anyone else's is "not found", whatever their
roles, as on the page (``huxue.notify.selectors``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from huxue.api.base import ScopedViewSet
from huxue.notify.models import InboxMessage
from huxue.notify.selectors import inbox_message_for, inbox_of
from huxue.notify.services import inbox_mark_read


class MessageFilter(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only the unread ones."
    )


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        source="notification.kind",
        help_text='What the message is about: "shift.reminder", "roster.changed", "callout", '
        '"callout.answer", "gap_alert"…',
    )
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField(help_text="A path of this site the message is about, or empty.")
    delivered_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class MessageViewSet(ScopedViewSet):
    """Your messages, newest first."""

    serializer_class = MessageSerializer

    @extend_schema(
        tags=["messages"], parameters=[MessageFilter], responses=MessageSerializer(many=True)
    )
    def list(self, request: Request) -> Response:
        f = self.parse_query(MessageFilter)
        qs = inbox_of(request.user).select_related("notification")
        if f.get("unread") is not None:
            qs = qs.filter(read_at__isnull=f["unread"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        tags=["messages"],
        summary="Mark one of your messages read (the first reading's time is kept)",
        request=None,
        responses={200: MessageSerializer, 404: None},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        message: InboxMessage = inbox_message_for(request.user, pk)
        inbox_mark_read(user=request.user, message=message)  # type: ignore[arg-type]
        return Response(MessageSerializer(message).data)


router = SimpleRouter()
router.register("messages", MessageViewSet, basename="message")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
