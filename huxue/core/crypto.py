"""Field encryption (AES-256-GCM) and keyed blind indexes for personal data.

Ciphertexts look like ``v1:<base64 nonce+ciphertext>``. The key id lets keys rotate: the first key
in HUXUE_FIELD_KEYS encrypts, every listed key decrypts. The field's name is bound in as
associated data, so a ciphertext copied from one column into another does not decrypt.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    pass


@functools.cache
def _keyring(spec: str) -> tuple[str, dict[str, AESGCM]]:
    ring: dict[str, AESGCM] = {}
    primary = ""
    for item in spec.split(","):
        key_id, _, b64 = item.strip().partition(":")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ValueError(f"field key {key_id!r} must be 32 bytes (base64)")
        ring[key_id] = AESGCM(key)
        primary = primary or key_id
    if not primary:
        raise ValueError("HUXUE_FIELD_KEYS holds no key")
    return primary, ring


@functools.cache
def _index_key(spec: str) -> bytes:
    key = base64.b64decode(spec)
    if len(key) < 32:
        raise ValueError("HUXUE_BLIND_INDEX_KEY must be at least 32 bytes (base64)")
    return key


def encrypt(plaintext: str, *, context: str) -> str:
    primary, ring = _keyring(settings.HUXUE_FIELD_KEYS)
    nonce = os.urandom(12)
    sealed = ring[primary].encrypt(nonce, plaintext.encode(), context.encode())
    return f"v{primary}:" + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, *, context: str) -> str:
    _, ring = _keyring(settings.HUXUE_FIELD_KEYS)
    key_part, _, body = token.partition(":")
    aead = ring.get(key_part[1:])
    if not key_part.startswith("v") or aead is None:
        raise DecryptionError("unknown key id")
    raw = base64.b64decode(body)
    try:
        return aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
    except Exception as exc:  # InvalidTag: wrong key, wrong column or tampered bytes
        raise DecryptionError("ciphertext does not authenticate") from exc


def blind_index(value: str, *, context: str) -> str:
    """A keyed hash for equality lookups: same value and context, same index; no key, no guess."""
    key = _index_key(settings.HUXUE_BLIND_INDEX_KEY)
    return hmac.new(key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()
