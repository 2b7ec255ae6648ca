"""End to end with a real Argilla: moderation request -> queue item -> mirrored to Argilla ->
a moderator's response over Argilla's REST API -> ``apply_reviews`` -> the action is recorded,
a signed webhook reaches a real local receiver, and the decision is a labelled example."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from modlab.annotation.testing import PENDING_FILTER
from modlab.data.store import ExampleStore
from modlab.queue.argilla_mirror import apply_reviews, dataset_name, mirror_flagged, review_model
from modlab.settings import Settings
from modlab.webhooks import SIGNATURE_HEADER, run_until_idle, verify

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

MODERATOR = "mod1"
PASSWORD = "moderator-pass-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def argilla_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A real Argilla stack on free ports in its own data dir (stopped at the end)."""
    from modlab.annotation import argilla_stack

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("argilla-queue"),
        argilla_url=f"http://127.0.0.1:{_free_port()}",
        argilla_engine_port=_free_port(),
        argilla_redis_port=_free_port(),
    )
    try:
        argilla_stack.up(settings)
        yield settings
    finally:
        argilla_stack.down(settings)


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that keeps each body and its headers."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        me = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                me.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _moderator(settings: Settings) -> httpx.Client:
    http = httpx.Client(base_url=settings.argilla_url, timeout=60)
    token = http.post("/api/v1/token", data={"username": MODERATOR, "password": PASSWORD})
    token.raise_for_status()
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return http


def test_flagged_request_to_argilla_action_and_signed_webhook(
    argilla_settings, client, runtime, make_project, moderate, receiver
) -> None:
    who = make_project(filter={"email": {"enabled": True, "mode": "NORMAL"}})
    h = who.headers
    remove = client.post(
        "/api/v1/actions",
        headers=h,
        json={"name": "Remove content", "value": "contact details", "queueBehaviour": "REMOVE"},
    ).json()["action"]
    client.post("/api/v1/actions", headers=h, json={"name": "Approve"})
    hook = client.post("/api/v1/webhooks", headers=h, json={"url": receiver.url})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    flagged_id = moderate(who, "write to me at bob@example.com", authorId="u-7")
    moderate(who, "what a lovely day")  # not flagged: not mirrored
    project = runtime.projects.get(who.id)

    # Mirror: one record (the flagged item); again: nothing new.
    pushed = mirror_flagged(
        runtime.db,
        project,
        settings=argilla_settings,
        annotators=[MODERATOR],
        annotator_password=PASSWORD,
    )
    assert pushed == {"dataset": dataset_name(project), "pushed": [flagged_id]}
    assert mirror_flagged(runtime.db, project, settings=argilla_settings)["pushed"] == []

    # The moderator answers in Argilla (REST, as the UI does) from their pending queue.
    mod = _moderator(argilla_settings)
    datasets = mod.get("/api/v1/me/datasets").json()["items"]
    ds = next(d for d in datasets if d["name"] == dataset_name(project))
    questions = mod.get(f"/api/v1/datasets/{ds['id']}/questions").json()["items"]
    options = [o["value"] for o in questions[0]["settings"]["options"]]
    assert options == ["Remove content", "Approve"]
    found = mod.post(f"/api/v1/me/datasets/{ds['id']}/records/search?limit=10", json=PENDING_FILTER)
    records = [x["record"] for x in found.json()["items"]]
    assert [r["external_id"] for r in records] == [flagged_id]
    assert records[0]["fields"]["text"] == "write to me at bob@example.com"
    assert records[0]["metadata"]["author"] == "u-7" and "email" in records[0]["metadata"]["labels"]
    resp = mod.post(
        f"/api/v1/records/{records[0]['id']}/responses",
        json={"values": {"label": {"value": "Remove content"}}, "status": "submitted"},
    )
    assert resp.status_code == 201, resp.text

    # Apply: the action is taken once.
    report = apply_reviews(runtime.db, project, settings=argilla_settings)
    assert [(a["item"], a["action"], a["reviewer"]) for a in report["applied"]] == [
        (flagged_id, "Remove content", MODERATOR)
    ]
    again = apply_reviews(runtime.db, project, settings=argilla_settings)
    assert again["applied"] == [] and again["skipped"] == []

    item = client.get(f"/api/v1/queue/items/{flagged_id}", headers=h).json()["item"]
    assert item["status"] == "completed"
    assert [(a["actionId"], a["actor"]) for a in item["actions"]] == [
        (remove["id"], f"argilla:{MODERATOR}")
    ]

    # The webhooks (NEW, ACTION, COMPLETED) reach the receiver, signed with the project's secret.
    run_until_idle(runtime.db, runtime.settings, timeout_s=30)
    events = {}
    for body, headers in receiver.received:
        assert verify(body, headers[SIGNATURE_HEADER.lower()], secret)
        payload = json.loads(body)
        events.setdefault(payload["type"], []).append(payload)
    assert sorted(events) == ["QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED", "QUEUE_ITEM_NEW"]
    action_event = events["QUEUE_ITEM_ACTION"][0]["item"]
    assert action_event["id"] == flagged_id
    assert action_event["action"] == {
        "id": remove["id"],
        "name": "Remove content",
        "value": "contact details",
    }

    # The decision is a labelled example for the next training round.
    store = ExampleStore(runtime.db)
    examples = store.examples(review_model(project))
    assert len(examples) == 1
    ex = examples[0]
    assert ex.text == "write to me at bob@example.com" and ex.label == "Remove content"
    assert ex.source == "review" and ex.annotator == MODERATOR
    assert report["applied"][0]["example"] == ex.id
    assert set(store.get_schema(review_model(project)).names) == {"Remove content", "Approve"}
