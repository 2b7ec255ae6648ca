"""API keys: random, shown once, stored as SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "mlk_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe (no password KDF needed)
    # and keeps authentication to one indexed lookup.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 4]


def masked(prefix: str) -> str:
    return prefix + "…" + "*" * 8
