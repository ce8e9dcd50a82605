"""The ways a message leaves Huxue: the in-app inbox, console, e-mail and the group robots of
WeCom, DingTalk and Feishu.

Every sender has one method, ``send(message) -> Delivery``; it never raises for a delivery problem
(network, timeout, a platform's error code) but reports it, so the dispatcher can retry. Webhooks
use urllib from the standard library with a timeout; each platform's own error code in a 200
response counts as a failure, as a non-2xx status does. Error texts never include the URL, which
carries the robot's key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from huxue.notify.models import InboxMessage

logger = logging.getLogger("huxue.notify")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    address: str = ""  # an e-mail address or a robot's webhook URL; empty for the console
    secret: str = ""  # a robot's signing secret, if the group has signing on
    # For the in-app inbox: the addressee's account, the outbox row (one inbox copy per row) and
    # the page of the app the message is about.
    user_id: int | None = None
    notification_id: int | None = None
    link: str = ""


@dataclass(frozen=True)
class Delivery:
    ok: bool
    error: str = ""


class Sender(Protocol):
    def send(self, message: Message) -> Delivery: ...


def _clip(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary (the platforms count bytes)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


class ConsoleSender:
    """Development: the message goes to the log (and so to the terminal running `serve`)."""

    def send(self, message: Message) -> Delivery:
        logger.info(
            "notification to %s: %s\n%s", message.address or "-", message.subject, message.body
        )
        return Delivery(ok=True)


class InboxSender:
    """The in-app inbox (消息): the message is kept for its addressee to read in the app.

    Idempotent per outbox row, so a row retried because another way failed is not copied twice.
    """

    def send(self, message: Message) -> Delivery:
        if message.user_id is None or message.notification_id is None:
            return Delivery(ok=False, error="the in-app inbox needs a person and an outbox row")
        InboxMessage.objects.get_or_create(
            notification_id=message.notification_id,
            defaults={
                "user_id": message.user_id,
                "subject": message.subject[:200],
                "body": message.body,
                "link": message.link[:300],
                "delivered_at": timezone.now(),
            },
        )
        return Delivery(ok=True)


class EmailSender:
    def send(self, message: Message) -> Delivery:
        if not message.address:
            return Delivery(ok=False, error="no e-mail address")
        try:
            send_mail(
                subject=message.subject,
                message=message.body,
                from_email=None,  # DEFAULT_FROM_EMAIL
                recipient_list=[message.address],
            )
        except Exception as exc:  # SMTP, socket and TLS errors: all worth a retry
            return Delivery(ok=False, error=f"e-mail: {type(exc).__name__}: {exc}"[:500])
        return Delivery(ok=True)


def post_json(url: str, body: dict[str, Any], *, timeout: float) -> tuple[dict[str, Any], str]:
    """POST `body` as JSON; returns (the response's JSON object, "") or ({}, an error text)."""
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        return {}, "the webhook URL must start with https://"
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        return {}, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return {}, f"network: {type(reason).__name__}: {reason}"[:500]
    try:
        parsed = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}, "the response was not JSON"
    if not isinstance(parsed, dict):
        return {}, "the response was not a JSON object"
    return parsed, ""


def _timeout() -> float:
    return float(settings.HUXUE_NOTIFY_WEBHOOK_TIMEOUT)


def wecom_body(message: Message) -> dict[str, Any]:
    # 企业微信群机器人: markdown content at most 4096 bytes.
    content = _clip(f"**{message.subject}**\n{message.body}", 4096)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), URL-encoded by the caller."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    query = urllib.parse.urlencode(
        {"timestamp": timestamp_ms, "sign": dingtalk_sign(secret, timestamp_ms)}
    )
    return f"{url}{'&' if '?' in url else '?'}{query}"


def dingtalk_body(message: Message) -> dict[str, Any]:
    text = _clip(f"### {message.subject}\n\n{message.body}", 18000)
    return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书签名校验: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=empty))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def feishu_body(message: Message, *, timestamp_s: int | None = None) -> dict[str, Any]:
    text = _clip(f"{message.subject}\n{message.body}", 18000)
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
    if message.secret:
        timestamp_s = timestamp_s if timestamp_s is not None else int(time.time())
        body["timestamp"] = str(timestamp_s)
        body["sign"] = feishu_sign(message.secret, timestamp_s)
    return body


def _platform_result(response: dict[str, Any], error: str, *, code_field: str) -> Delivery:
    if error:
        return Delivery(ok=False, error=error)
    code = response.get(code_field, response.get("StatusCode", 0))
    if code not in (0, "0"):
        text = response.get("errmsg") or response.get("msg") or ""
        return Delivery(ok=False, error=f"{code_field} {code}: {text}"[:500])
    return Delivery(ok=True)


class WeComSender:
    def send(self, message: Message) -> Delivery:
        response, error = post_json(message.address, wecom_body(message), timeout=_timeout())
        return _platform_result(response, error, code_field="errcode")


class DingTalkSender:
    def send(self, message: Message) -> Delivery:
        url = dingtalk_url(message.address, message.secret)
        response, error = post_json(url, dingtalk_body(message), timeout=_timeout())
        return _platform_result(response, error, code_field="errcode")


class FeishuSender:
    def send(self, message: Message) -> Delivery:
        response, error = post_json(message.address, feishu_body(message), timeout=_timeout())
        return _platform_result(response, error, code_field="code")


SENDERS: dict[str, Sender] = {
    "inapp": InboxSender(),
    "console": ConsoleSender(),
    "email": EmailSender(),
    "wecom": WeComSender(),
    "dingtalk": DingTalkSender(),
    "feishu": FeishuSender(),
}


def sender_for(kind: str) -> Sender:
    return SENDERS[kind]
