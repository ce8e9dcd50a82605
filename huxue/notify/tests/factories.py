from __future__ import annotations

from typing import Any

from huxue.notify.models import Channel
from huxue.notify.services import channel_create
from huxue.orgs.models import Unit


def make_channel(
    unit: Unit,
    *,
    kind: str = Channel.Kind.WECOM,
    name: str = "护学岗群",
    address: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=TEST",
    **extra: Any,
) -> Channel:
    return channel_create(actor=None, unit=unit, kind=kind, name=name, address=address, **extra)
