"""Webhook bodies and their ``modapi-signature``: hex HMAC-SHA256 of the raw body.

The receiver recomputes the HMAC with the project's webhook secret over the exact bytes it
received, compares in constant time and rejects bodies whose ``timestamp`` (epoch ms, set when
the attempt was sent) is older than five minutes, which defeats replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SIGNATURE_HEADER = "modapi-signature"
DEFAULT_MAX_AGE_S = 300.0


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def render_body(event: dict[str, Any], timestamp_ms: int | None = None) -> bytes:
    """The JSON body of one attempt: the stored event plus the time it is sent."""
    ts = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
    payload = {"id": event["id"], "type": event["type"], "timestamp": ts, "item": event["item"]}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify(
    body: bytes,
    signature: str,
    secret: str,
    max_age_s: float | None = DEFAULT_MAX_AGE_S,
    *,
    now_ms: int | None = None,
) -> bool:
    """True when ``signature`` is the body's HMAC and its ``timestamp`` is fresh.

    ``body`` must be the raw bytes as received (not re-serialised JSON). The comparison is
    constant-time. ``max_age_s=None`` skips the timestamp check; timestamps more than
    ``max_age_s`` in the future are rejected too (a forged or badly skewed clock).
    """
    if not isinstance(body, bytes | bytearray) or not signature or not secret:
        return False
    expected = sign(bytes(body), secret)
    provided = signature.strip().lower().encode("ascii", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), provided):
        return False
    if max_age_s is None:
        return True
    try:
        ts = json.loads(body)["timestamp"]
    except (ValueError, KeyError, TypeError):
        return False
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        return False
    now = int(time.time() * 1000) if now_ms is None else now_ms
    return abs(now - ts) <= max_age_s * 1000


__all__ = ["DEFAULT_MAX_AGE_S", "SIGNATURE_HEADER", "render_body", "sign", "verify"]
