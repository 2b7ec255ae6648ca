"""``modlab.webhooks.verify``: HMAC-SHA256 of the raw body, constant-time, fresh timestamp."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from modlab.webhooks import render_body, sign, verify

SECRET = "whsec_test"
EVENT = {"id": "evt_1", "type": "QUEUE_ITEM_NEW", "item": {"id": "req_1", "flagged": True}}


def test_signature_is_hex_hmac_sha256_of_the_raw_body():
    body = render_body(EVENT)
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == expected
    assert verify(body, expected, SECRET)
    assert verify(body, expected.upper(), SECRET)  # hex case does not matter


def test_body_carries_the_send_time():
    before = int(time.time() * 1000)
    payload = json.loads(render_body(EVENT))
    assert payload["id"] == "evt_1" and payload["type"] == "QUEUE_ITEM_NEW"
    assert payload["item"] == EVENT["item"]
    assert before <= payload["timestamp"] <= int(time.time() * 1000)
    assert json.loads(render_body(EVENT, 123))["timestamp"] == 123


def test_rejects_wrong_secret_tampering_and_garbage():
    body = render_body(EVENT)
    sig = sign(body, SECRET)
    assert not verify(body, sig, "whsec_other")
    assert not verify(body.replace(b"true", b"false"), sig, SECRET)
    assert not verify(body, "", SECRET)
    assert not verify(body, "zz" * 32, SECRET)
    assert not verify(body, sig[:-1], SECRET)
    assert not verify(body, sig, "")
    garbage = b"not json"
    assert not verify(garbage, sign(garbage, SECRET), SECRET)  # no timestamp to check
    assert verify(garbage, sign(garbage, SECRET), SECRET, max_age_s=None)


def test_replays_older_than_five_minutes_are_rejected():
    now = int(time.time() * 1000)
    fresh = render_body(EVENT, now - 299_000)
    stale = render_body(EVENT, now - 301_000)
    future = render_body(EVENT, now + 301_000)
    assert verify(fresh, sign(fresh, SECRET), SECRET, now_ms=now)
    assert not verify(stale, sign(stale, SECRET), SECRET, now_ms=now)
    assert not verify(future, sign(future, SECRET), SECRET, now_ms=now)
    assert verify(stale, sign(stale, SECRET), SECRET, max_age_s=None)
    assert verify(stale, sign(stale, SECRET), SECRET, max_age_s=600, now_ms=now)


def test_non_numeric_timestamp_is_rejected():
    body = json.dumps({"id": "e", "type": "QUEUE_ITEM_NEW", "timestamp": "now"}).encode()
    assert not verify(body, sign(body, SECRET), SECRET)
