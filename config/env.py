"""Tiny typed readers of the environment, so settings.py reads as a list of decisions."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def dev_secrets(path: Path) -> dict[str, str]:
    """Secrets for development, generated once per checkout and never committed.

    Production sets every secret in the environment; this file only exists so that a fresh
    clone runs with zero set-up. It lives under var/, which git ignores.
    """
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HUXUE_FIELD_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "HUXUE_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(generated, indent=2))
    path.chmod(0o600)
    return generated
