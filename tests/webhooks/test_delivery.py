"""Delivery against a real HTTP receiver: retries, backoff, timeouts, restarts, claims."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import update

from modlab.serving.runtime import Runtime
from modlab.storage.db import Database
from modlab.storage.queue import WebhookAttempt, WebhookDelivery
from modlab.webhooks import (
    SIGNATURE_HEADER,
    claim,
    deliver_due,
    outstanding,
    run_until_idle,
    start_worker,
    verify,
)

TEXT = "reach me at alice@example.com"


def deliveries(runtime) -> list[WebhookDelivery]:
    with runtime.db.session() as s:
        return s.query(WebhookDelivery).order_by(WebhookDelivery.created_at).all()


def attempts_of(runtime, delivery_id) -> list[WebhookAttempt]:
    with runtime.db.session() as s:
        return (
            s.query(WebhookAttempt)
            .filter_by(delivery_id=delivery_id)
            .order_by(WebhookAttempt.attempt)
            .all()
        )


def test_new_item_is_delivered_signed(runtime, proj, receiver, add_webhook, moderate):
    rec = receiver()
    created = add_webhook(proj, rec.url)
    rid = moderate(proj, TEXT, authorId="author-1", contextId="ctx", metadata={"a": 1})
    results = run_until_idle(runtime.db, runtime.settings, timeout_s=20)
    assert [r.ok for r in results] == [True]
    (got,) = rec.received
    assert verify(got.body, got.headers[SIGNATURE_HEADER], created["secret"])
    assert got.headers["content-type"] == "application/json"
    payload = json.loads(got.body)
    assert payload["type"] == "QUEUE_ITEM_NEW" and payload["id"].startswith("evt_")
    assert abs(payload["timestamp"] - time.time() * 1000) < 60_000
    item = payload["item"]
    assert item["id"] == rid and item["flagged"] is True and item["content"] == TEXT
    assert item["authorId"] == "author-1" and item["contextId"] == "ctx"
    assert item["metadata"] == {"a": 1} and item["queue"] is None and item["action"] is None
    assert {"label": "email", "score": 1.0, "flagged": True, "manual": False} in item["labels"]
    assert set(item) >= {"id", "flagged", "labels", "language", "content", "timestamp"}
    assert deliveries(runtime)[0].status == "delivered"


def test_do_not_store_fires_nothing(runtime, proj, receiver, add_webhook, moderate):
    rec = receiver()
    add_webhook(proj, rec.url)
    moderate(proj, TEXT, doNotStore=True)
    assert deliveries(runtime) == []
    assert run_until_idle(runtime.db, runtime.settings, timeout_s=5) == []
    assert rec.received == []


def test_fails_three_times_then_succeeds_after_four_tries(
    runtime, proj, receiver, add_webhook, moderate
):
    rec = receiver(["fail", "fail", "fail", "ok"], default="fail")
    add_webhook(proj, rec.url)
    moderate(proj, TEXT)
    results = run_until_idle(runtime.db, runtime.settings, timeout_s=30)
    assert [r.ok for r in results] == [False, False, False, True]
    assert len(rec.received) == 4
    assert [r.behaviour for r in rec.received].count("ok") == 1  # exactly one accepted
    (row,) = deliveries(runtime)
    assert row.status == "delivered" and row.attempts == 4 and row.delivered_at
    log = attempts_of(runtime, row.id)
    assert [a.status_code for a in log] == [500, 500, 500, 200]
    # Exponential backoff from the configured base (0.2 s): gaps >= 0.2, 0.4, 0.8 s.
    gaps = [b.at - a.at for a, b in zip(rec.received, rec.received[1:], strict=False)]
    for gap, expected in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert gap >= expected * 0.9, gaps
    # The same event each time (receivers dedupe by id), signed afresh.
    ids = {json.loads(r.body)["id"] for r in rec.received}
    assert len(ids) == 1
    secret = runtime.projects.get(proj.id).webhook_secret
    assert all(verify(r.body, r.headers[SIGNATURE_HEADER], secret) for r in rec.received)
    assert [r.headers["modlab-attempt"] for r in rec.received] == ["1", "2", "3", "4"]


@pytest.mark.slow
def test_receiver_slower_than_5s_is_retried(runtime, proj, receiver, add_webhook, moderate):
    assert runtime.settings.webhook_timeout_s == 5.0
    rec = receiver(["sleep:6", "ok"])
    add_webhook(proj, rec.url)
    moderate(proj, TEXT)
    started = time.monotonic()
    results = run_until_idle(runtime.db, runtime.settings, timeout_s=30)
    assert [r.ok for r in results] == [False, True]
    assert "5 s" in results[0].error and results[0].duration_ms >= 4900
    assert time.monotonic() - started < 8  # gave up at 5 s, did not wait for the 6 s answer
    (row,) = deliveries(runtime)
    assert row.status == "delivered" and row.attempts == 2


def test_receiver_that_never_answers_stops_after_five(
    settings, proj, receiver, add_webhook, moderate, runtime
):
    settings.webhook_timeout_s = 0.3  # the limit is configurable; keeps this test short
    rec = receiver(default="hang")
    add_webhook(proj, rec.url)
    moderate(proj, TEXT)
    results = run_until_idle(runtime.db, runtime.settings, timeout_s=30)
    assert len(results) == 5 and not any(r.ok for r in results)
    assert all("no answer" in r.error for r in results)
    (row,) = deliveries(runtime)
    assert row.status == "failed" and row.attempts == 5
    assert len(rec.received) == 5
    # Nothing more is ever sent for it.
    assert deliver_due(runtime.db, runtime.settings) == []
    time.sleep(0.2)
    assert len(rec.received) == 5 and outstanding(runtime.db) == 0


def test_receiver_that_always_fails_stops_after_five(
    runtime, proj, receiver, add_webhook, moderate
):
    rec = receiver(default="fail")
    add_webhook(proj, rec.url)
    moderate(proj, TEXT)
    results = run_until_idle(runtime.db, runtime.settings, timeout_s=30)
    assert [r.attempt for r in results] == [1, 2, 3, 4, 5]
    assert results[-1].status == "failed" and len(rec.received) == 5


def test_refused_connection_is_a_failed_attempt(runtime, proj, add_webhook, moderate):
    add_webhook(proj, "http://127.0.0.1:9/nothing-listens-here")
    moderate(proj, TEXT)
    (result,) = deliver_due(runtime.db, runtime.settings)
    assert not result.ok and result.status_code is None and result.status == "pending"
    assert "Connect" in result.error


def test_redirect_and_non_200_success_codes_are_failures(
    runtime, proj, receiver, add_webhook, moderate
):
    rec = receiver()
    add_webhook(proj, rec.url)
    moderate(proj, TEXT)
    # A 204 or 302 is not the HTTP 200 the contract asks for.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NoContent(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), NoContent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        add_webhook(proj, f"http://127.0.0.1:{server.server_address[1]}/")
        moderate(proj, TEXT)
        results = deliver_due(runtime.db, runtime.settings)
        codes = sorted(r.status_code for r in results if r.status_code)
        assert 204 in codes
        assert [r.ok for r in results if r.status_code == 204] == [False]
    finally:
        server.shutdown()
        server.server_close()


def test_restart_in_the_middle_loses_no_delivery(
    settings, runtime, proj, receiver, add_webhook, moderate, client
):
    rec = receiver(["fail"])  # the first try fails before the "crash"
    add_webhook(proj, rec.url)
    ids = [moderate(proj, f"{TEXT} #{n}") for n in range(3)]
    action = client.post("/api/v1/actions", headers=proj.headers, json={"name": "Approve"}).json()[
        "action"
    ]
    client.post(
        f"/api/v1/queue/items/{ids[0]}/actions",
        headers=proj.headers,
        json={"actionId": action["id"]},
    )
    # One attempt, then the process "dies": one delivery retrying, one claimed mid-flight,
    # the rest pending.
    (first,) = deliver_due(runtime.db, runtime.settings, limit=1)
    assert not first.ok
    in_flight = claim(runtime.db, runtime.settings, limit=1)  # claimed, never finished
    assert len(in_flight) == 1
    runtime.db.engine.dispose()
    del runtime

    # A new service process on the same database (a fresh engine, not the cached one).
    db2 = Database(settings.database).migrate()
    with db2.session() as s:  # ...started after the dead worker's lease ran out
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == in_flight[0].id)
            .values(claim_until=0)
        )
    settings.webhook_worker = True
    from modlab.moderation.log import RequestLogStore
    from modlab.projects import ProjectStore

    rt2 = Runtime(
        settings=settings, db=db2, projects=ProjectStore(db2), requests=RequestLogStore(db2)
    )
    rt2.warm_up()  # starts the delivery worker, as the service does
    try:
        assert rt2.webhook_worker is not None and rt2.webhook_worker.running
        deadline = time.monotonic() + 20
        while outstanding(db2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outstanding(db2) == 0
    finally:
        rt2.webhook_worker.stop()
    with db2.session() as s:
        rows = s.query(WebhookDelivery).all()
    assert len(rows) == 4 and {r.status for r in rows} == {"delivered"}
    accepted = [json.loads(r.body) for r in rec.received if r.behaviour == "ok"]
    assert sorted((p["type"], p["item"]["id"]) for p in accepted) == sorted(
        [("QUEUE_ITEM_NEW", i) for i in ids] + [("QUEUE_ITEM_ACTION", ids[0])]
    )
    assert len({p["id"] for p in accepted}) == 4  # each event accepted exactly once
    retried = next(r for r in rows if r.id == first.delivery_id)
    assert retried.attempts == 2
    crashed = next(r for r in rows if r.id == in_flight[0].id)
    assert crashed.attempts == 2  # the lost attempt counts towards the five


def test_two_workers_never_send_the_same_delivery(
    settings, runtime, proj, receiver, add_webhook, moderate
):
    rec = receiver(["sleep:0.05"] * 100)
    add_webhook(proj, rec.url)
    for n in range(24):
        moderate(proj, f"{TEXT} {n}")
    dbs = [Database(settings.database).migrate() for _ in range(2)]
    errors: list[BaseException] = []

    def work(db):
        try:
            while outstanding(db):
                deliver_due(db, settings)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    sent = [r.headers["modlab-delivery-id"] for r in rec.received]
    assert len(sent) == 24 and len(set(sent)) == 24
    assert {r.attempts for r in deliveries(runtime)} == {1}


def test_claims_are_exclusive(settings, runtime, proj, add_webhook, moderate):
    add_webhook(proj, "http://127.0.0.1:9/x")
    for n in range(3):
        moderate(proj, f"{TEXT} {n}")
    other = Database(settings.database).migrate()
    first = claim(runtime.db, settings, limit=2)
    second = claim(other, settings, limit=10)
    assert len(first) == 2 and len(second) == 1
    assert not {c.id for c in first} & {c.id for c in second}
    assert claim(runtime.db, settings) == []


def test_worker_thread_delivers_promptly(settings, runtime, proj, receiver, add_webhook, moderate):
    settings.webhook_poll_s = 5.0  # only the wake-up can make it fast
    rec = receiver()
    add_webhook(proj, rec.url)
    worker = start_worker(runtime.db, settings.model_copy(update={"webhook_worker": True}))
    try:
        time.sleep(0.2)  # the worker's first (empty) pass is done; it now sleeps 5 s
        started = time.monotonic()
        moderate(proj, TEXT)
        rec.wait_for(1, timeout=4)
        assert time.monotonic() - started < 4
    finally:
        worker.stop()
    assert not worker.running


def test_worker_off_by_setting(settings, runtime):
    assert start_worker(runtime.db, settings) is None  # tests' settings turn it off


def test_deleting_a_webhook_drops_its_pending_deliveries(
    runtime, client, proj, receiver, add_webhook, moderate
):
    rec = receiver()
    hook = add_webhook(proj, rec.url)["webhook"]
    moderate(proj, TEXT)
    assert outstanding(runtime.db) == 1
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=proj.headers).status_code == 200
    assert outstanding(runtime.db) == 0
    assert run_until_idle(runtime.db, runtime.settings, timeout_s=5) == []
    assert rec.received == []
