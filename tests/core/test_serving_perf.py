"""The lean service path: batched request log, key cache, shared rate limits, worker count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from modlab.moderation.log import PendingWrite, RequestLogStore, billing_units, current_month
from modlab.projects import ProjectStore
from modlab.serving.app import create_app
from modlab.serving.ratelimit import RateLimiter, SharedRateLimiter
from modlab.serving.runtime import CachedProjectStore, Runtime
from modlab.settings import Settings
from modlab.storage.models import RequestLog
from modlab.storage.queue import WebhookDelivery


def _row(store: RequestLogStore, project_id: str, i: int, text: str) -> None:
    store.record(
        request_id=f"req_{i:06d}",
        timestamp=1_700_000_000_000 + i,
        project_id=project_id,
        value=text,
        content=text,
        flagged=i % 2 == 0,
        data_found=False,
        result={"i": i},
        metadata={"n": i},
        usage_text=text,
    )


@pytest.fixture
def service_runtime(settings):
    runtime = Runtime.create(settings.model_copy(update={"service_workers": "1"}), service=True)
    yield runtime
    runtime.close()


def test_writer_stores_every_row_and_counts_usage_once(runtime):
    project, _ = runtime.projects.create("batched")
    store = RequestLogStore(runtime.db)
    writer = store.start_writer(flush_s=0.02, max_rows=7)
    long_text = "x" * 2500  # 3 billing units

    def submit(offset: int) -> None:
        for i in range(offset, offset + 50):
            _row(store, project.id, i, long_text if i % 10 == 0 else "short")
            store.count_usage(project.id, "usage only")  # doNotStore: usage, no row
        store.count_usage_many(project.id, ["a", "b"])

    threads = [threading.Thread(target=submit, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.flush(timeout=30)
    assert writer.pending == 0
    with runtime.db.session() as s:
        rows = list(s.scalars(select(RequestLog).where(RequestLog.project_id == project.id)))
    assert len(rows) == 200 and len({r.id for r in rows}) == 200
    sample = next(r for r in rows if r.id == "req_001003")
    assert sample.meta == {"n": 1003} and sample.result == {"i": 1003} and not sample.flagged
    # 200 stored + 200 usage-only + 4 x 2 batch texts; units: 20 long rows count 3 each.
    expected_units = 20 * billing_units(long_text) + 180 + 200 + 8
    assert store.usage(project.id) == (408, expected_units)
    store.close()


def test_writer_close_writes_what_is_buffered(runtime):
    project, _ = runtime.projects.create("closing")
    store = RequestLogStore(runtime.db)
    store.start_writer(flush_s=60.0, max_rows=10_000)  # would not write on its own for a minute
    for i in range(25):
        _row(store, project.id, i, "hello")
    store.close()
    plain = RequestLogStore(runtime.db)  # another reader, no writer: sees the committed rows
    assert len(plain.list(project.id, limit=100)) == 25
    assert plain.usage(project.id) == (25, 25)
    _row(store, project.id, 99, "after close")  # written through, not lost
    assert plain.usage(project.id) == (26, 26)


def test_writer_keeps_other_rows_when_one_fails(runtime):
    project, _ = runtime.projects.create("partial")
    stored: list[str] = []
    store = RequestLogStore(runtime.db)
    store.start_writer(
        flush_s=0.01, on_stored=lambda ws: stored.extend(w.row["id"] for w in ws if w.row)
    )
    _row(store, project.id, 1, "one")
    _row(store, "no-such-project", 2, "orphan")  # foreign key: this row cannot be stored
    _row(store, project.id, 3, "three")
    assert store.flush(timeout=30)
    assert sorted(r.id for r in store.list(project.id)) == ["req_000001", "req_000003"]
    assert sorted(stored) == ["req_000001", "req_000003"]
    assert store.usage(project.id) == (2, 2)
    store.close()


def test_usage_is_counted_in_the_month_of_the_request(runtime):
    project, _ = runtime.projects.create("months")
    store = RequestLogStore(runtime.db)
    writer = store.start_writer(flush_s=0.01)
    writer.submit(PendingWrite(project.id, "2020-01", 3, 4))
    writer.submit(PendingWrite(project.id, current_month(), 1, 1))
    store.flush()
    assert store.usage(project.id, "2020-01") == (3, 4)
    assert store.usage(project.id) == (1, 1)
    store.close()


def test_service_runtime_reads_its_own_writes_through_the_api(service_runtime, make_project):
    assert service_runtime.requests.writer is not None
    client = TestClient(create_app(service_runtime), raise_server_exceptions=False)
    proj = make_project()
    hook = client.post(
        "/api/v1/webhooks",
        headers=proj.headers,
        json={"url": "http://127.0.0.1:1/", "events": ["QUEUE_ITEM_NEW"]},
    )
    assert hook.status_code in (200, 201), hook.text
    ids = []
    for i in range(5):
        r = client.post(
            "/api/v1/moderation/text",
            headers={**proj.headers, "x-request-id": f"trace-{i}"},
            json={"value": f"mail me at user{i}@example.com", "authorId": "u1"},
        )
        assert r.status_code == 200 and r.headers["x-request-id"] == f"trace-{i}"
        ids.append(r.json()["request"]["id"])
    client.post(
        "/api/v1/moderation/text",
        headers=proj.headers,
        json={"value": "not stored", "doNotStore": True},
    )
    # A read route waits for the buffered rows: no sleep needed.
    account = client.get("/api/v1/account", headers=proj.headers).json()
    assert account["text_api_usage_this_month"] == 6
    items = client.get("/api/v1/queue/items", headers=proj.headers).json()["items"]
    assert {item["id"] for item in items} == set(ids)
    with service_runtime.db.session() as s:
        events = list(s.scalars(select(WebhookDelivery.event_type)))
    assert events == ["QUEUE_ITEM_NEW"] * 5  # enqueued after the batch was committed


def test_key_cache_forgets_rotated_keys_and_updated_filters(
    service_runtime, make_project, monkeypatch
):
    projects = service_runtime.projects
    assert isinstance(projects, CachedProjectStore)
    proj = make_project()
    assert projects.authenticate(proj.key).id == proj.project.id
    calls = []
    original = ProjectStore.authenticate

    def counting(self, key):
        calls.append(key)
        return original(self, key)

    monkeypatch.setattr(ProjectStore, "authenticate", counting)
    for _ in range(5):
        assert projects.authenticate(proj.key) is not None
    assert calls == []  # answered from memory
    projects.update(proj.project.id, filter_patch={"email": {"mode": "SUSPICIOUS"}})
    assert projects.authenticate(proj.key).filter["email"]["mode"] == "SUSPICIOUS"
    new_key = projects.rotate_key(proj.project.id)
    assert projects.authenticate(proj.key) is None
    assert projects.authenticate(new_key).id == proj.project.id


def test_a_change_in_one_worker_reaches_the_others_key_cache(runtime, settings, tmp_path):
    stamp = tmp_path / "projects.stamp"
    worker_a = CachedProjectStore(runtime.db, ttl_s=60.0, stamp=stamp)
    worker_b = CachedProjectStore(runtime.db, ttl_s=60.0, stamp=stamp)
    project, key = worker_a.create("shared")
    assert worker_b.authenticate(key).filter == project.filter
    worker_a.update(project.id, filter_patch={"email": {"mode": "SUSPICIOUS"}})
    assert worker_b.authenticate(key).filter["email"]["mode"] == "SUSPICIOUS"
    # A change that bypasses the stamp (the CLI) is seen once the entry expires.
    short = CachedProjectStore(runtime.db, ttl_s=0.2)
    assert short.authenticate(key) is not None
    ProjectStore(runtime.db).rotate_key(project.id)
    time.sleep(0.25)
    assert short.authenticate(key) is None


def test_shared_rate_limit_counts_all_workers(tmp_path):
    path = tmp_path / "ratelimit.db"
    worker_a, worker_b = SharedRateLimiter(path), SharedRateLimiter(path)
    assert worker_a.check("p1", 3, 60.0) is None
    assert worker_b.check("p1", 3, 60.0) is None
    assert worker_a.check("p1", 3, 60.0) is None
    wait = worker_b.check("p1", 3, 60.0)
    assert wait is not None and 59.0 < wait <= 60.0
    assert worker_b.check("p2", 3, 60.0) is None  # per project
    assert worker_a.check("p3", 0, 60.0) is None  # no limit: never counted
    assert worker_a.check("p4", 1, 0.2) is None
    assert worker_b.check("p4", 1, 0.2) is not None
    time.sleep(0.25)
    assert worker_b.check("p4", 1, 0.2) is None  # the window slid


def test_service_runtime_picks_the_limiter_by_worker_count(settings):
    one = Runtime.create(settings.model_copy(update={"service_workers": "1"}), service=True)
    two = Runtime.create(settings.model_copy(update={"service_workers": "2"}), service=True)
    try:
        assert isinstance(one.limiter, RateLimiter)
        assert isinstance(two.limiter, SharedRateLimiter)
    finally:
        one.close()
        two.close()


def test_service_workers_setting(monkeypatch):
    monkeypatch.setenv("MODLAB_SERVICE_WORKERS", "3")
    assert Settings().service_worker_count() == 3
    monkeypatch.setenv("MODLAB_SERVICE_WORKERS", "cpu_count")
    assert Settings().service_worker_count() == len(os.sched_getaffinity(0))
    monkeypatch.delenv("MODLAB_SERVICE_WORKERS")
    assert Settings().service_worker_count() >= 1
    monkeypatch.setenv("MODLAB_SERVICE_WORKERS", "many")
    with pytest.raises(ValueError, match="MODLAB_SERVICE_WORKERS must be a number"):
        Settings().service_worker_count()


def test_bentoml_service_is_declared_with_the_configured_workers(tmp_path):
    code = "from modlab.serving.service import Modlab; print(Modlab.config['workers'])"
    env = {**os.environ, "MODLAB_SERVICE_WORKERS": "3", "MODLAB_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "3"
