"""Each sender speaks its platform's real message format and reports failures instead of raising."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from django.core import mail

from huxue.notify.channels import (
    ConsoleSender,
    DingTalkSender,
    EmailSender,
    FeishuSender,
    Message,
    WeComSender,
    dingtalk_sign,
    feishu_sign,
    wecom_body,
)

MESSAGE = Message(subject="明天 07:00 护学岗", body="市第六小学 南门，请提前 10 分钟到岗。")


def test_wecom_posts_markdown_to_the_robot_url(robot) -> None:
    delivery = WeComSender().send(Message(MESSAGE.subject, MESSAGE.body, address=robot.url))

    assert delivery.ok
    [request] = robot.requests
    assert request.path == "/robot/send" and request.query == {"key": ["KEY-123"]}
    assert request.content_type.startswith("application/json")
    assert request.body == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{MESSAGE.subject}**\n{MESSAGE.body}"},
    }


def test_wecom_content_is_cut_to_4096_bytes() -> None:
    content = wecom_body(Message("s", "护" * 5000))["markdown"]["content"]
    assert len(content.encode()) <= 4096


def test_dingtalk_posts_markdown_with_a_title(robot) -> None:
    robot.reply = {"errcode": 0, "errmsg": "ok"}
    assert DingTalkSender().send(Message(MESSAGE.subject, MESSAGE.body, address=robot.url)).ok

    [request] = robot.requests
    assert request.query == {"key": ["KEY-123"]}  # no signature without a secret
    assert request.body["msgtype"] == "markdown"
    assert request.body["markdown"]["title"] == MESSAGE.subject
    assert MESSAGE.body in request.body["markdown"]["text"]


def test_dingtalk_signs_the_url_when_a_secret_is_set(robot) -> None:
    secret = "SECabc123"
    before = int(time.time() * 1000)
    assert DingTalkSender().send(Message("s", "b", address=robot.url, secret=secret)).ok

    query = robot.requests[0].query
    timestamp = int(query["timestamp"][0])
    assert before <= timestamp <= int(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    # parse_qs has already URL-decoded the sign, as DingTalk does.
    assert query["sign"] == [expected]
    assert query["key"] == ["KEY-123"]


def test_dingtalk_sign_matches_the_documented_recipe() -> None:
    digest = hmac.new(b"s3cret", b"1700000000000\ns3cret", hashlib.sha256).digest()
    assert dingtalk_sign("s3cret", 1700000000000) == base64.b64encode(digest).decode()


def test_feishu_posts_text(robot) -> None:
    robot.reply = {"code": 0, "msg": "success", "data": {}}
    assert FeishuSender().send(Message(MESSAGE.subject, MESSAGE.body, address=robot.url)).ok

    body = robot.requests[0].body
    assert body == {
        "msg_type": "text",
        "content": {"text": f"{MESSAGE.subject}\n{MESSAGE.body}"},
    }


def test_feishu_signs_the_body_when_a_secret_is_set(robot) -> None:
    robot.reply = {"code": 0, "msg": "success"}
    secret = "feishu-secret"
    assert FeishuSender().send(Message("s", "b", address=robot.url, secret=secret)).ok

    body = robot.requests[0].body
    timestamp = int(body["timestamp"])
    assert abs(timestamp - time.time()) < 5
    key = f"{timestamp}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu_sign(secret, timestamp) == body["sign"]
    assert robot.requests[0].query == {"key": ["KEY-123"]}


@pytest.mark.parametrize(
    "sender,reply,error",
    [
        (WeComSender(), {"errcode": 93000, "errmsg": "invalid webhook url"}, "errcode 93000"),
        (DingTalkSender(), {"errcode": 310000, "errmsg": "sign not match"}, "errcode 310000"),
        (FeishuSender(), {"code": 19021, "msg": "sign match fail"}, "code 19021"),
    ],
)
def test_a_platform_error_code_is_a_failure(robot, sender, reply, error) -> None:
    robot.reply = reply
    delivery = sender.send(Message("s", "b", address=robot.url))
    assert not delivery.ok
    assert error in delivery.error


def test_a_non_2xx_status_is_a_failure(robot) -> None:
    robot.status = 500
    delivery = WeComSender().send(Message("s", "b", address=robot.url))
    assert not delivery.ok and delivery.error == "HTTP 500"


def test_an_unreachable_robot_is_a_failure_without_the_url_in_the_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nobody listens there
    delivery = WeComSender().send(Message("s", "b", address=f"http://127.0.0.1:{port}/?key=K1"))
    assert not delivery.ok
    assert delivery.error.startswith("network:")
    assert "K1" not in delivery.error


def test_only_http_urls_are_posted_to() -> None:
    delivery = WeComSender().send(Message("s", "b", address="file:///etc/passwd"))
    assert not delivery.ok


def test_email_goes_through_django_mail(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "huxue@example.org"
    delivery = EmailSender().send(
        Message(MESSAGE.subject, MESSAGE.body, address="lead@example.org")
    )
    assert delivery.ok
    [sent] = mail.outbox
    assert sent.subject == MESSAGE.subject
    assert sent.body == MESSAGE.body
    assert sent.to == ["lead@example.org"]
    assert sent.from_email == "huxue@example.org"


def test_an_smtp_error_is_a_failure(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing answers SMTP there
    settings.EMAIL_TIMEOUT = 2
    delivery = EmailSender().send(Message("s", "b", address="lead@example.org"))
    assert not delivery.ok and delivery.error.startswith("e-mail:")


def test_the_console_logs_the_message(caplog) -> None:
    caplog.set_level("INFO", logger="huxue.notify")
    assert ConsoleSender().send(Message("主题", "正文", address="volunteer")).ok
    assert "主题" in caplog.text and "正文" in caplog.text
