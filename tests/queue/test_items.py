"""Queue items: stored requests with their labels, filters, pagination, completion, saved queues."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from modlab.queue import labels_of, parse_time
from modlab.queue.items import QueueError

FLAGGED_TEXT = "write to me at bob.smith@example.com please"
CLEAN_TEXT = "what a lovely afternoon"


def items(client, who, **params):
    r = client.get("/api/v1/queue/items", headers=who.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_stored_requests_become_items_with_their_fields(client, proj, moderate):
    rid = moderate(
        proj, FLAGGED_TEXT, authorId="author-1", contextId="thread-9", metadata={"k": "v"}
    )
    moderate(proj, "not stored bob@example.com", doNotStore=True)
    body = items(client, proj)
    assert body["status"] == "success"
    assert [i["id"] for i in body["items"]] == [rid]
    item = body["items"][0]
    assert item["flagged"] is True
    assert item["content"] == FLAGGED_TEXT
    assert item["authorId"] == "author-1" and item["contextId"] == "thread-9"
    assert item["metadata"] == {"k": "v"}
    assert item["status"] == "open" and item["completedAt"] is None
    assert isinstance(item["timestamp"], int) and item["timestamp"] > 1_600_000_000_000
    email = next(lbl for lbl in item["labels"] if lbl["label"] == "email")
    assert email == {"label": "email", "score": 1.0, "flagged": True, "manual": False}
    phone = next(lbl for lbl in item["labels"] if lbl["label"] == "phone")
    assert phone["flagged"] is False
    assert body["pagination"] == {"total": 1, "pageSize": 50, "pageNumber": 1, "hasNextPage": False}

    one = client.get(f"/api/v1/queue/items/{rid}", headers=proj.headers)
    assert one.status_code == 200
    assert one.json()["item"]["id"] == rid and one.json()["item"]["actions"] == []


def test_language_and_scores_of_the_request_log_show(client, proj, runtime):
    # Requests stored by the pipeline with the language analyzer on carry its code.
    runtime.requests.record(
        request_id="req_lang",
        timestamp=1_700_000_000_000,
        project_id=proj.id,
        value="Guten Tag",
        content="Guten Tag",
        flagged=False,
        data_found=False,
        result={"language": {"code": "de", "label": "GERMAN", "score": 0.9}},
        language="de",
    )
    item = client.get("/api/v1/queue/items/req_lang", headers=proj.headers).json()["item"]
    assert item["language"] == "de" and item["labels"] == []


def test_filters_flagged_author_context_and_time(client, proj, moderate, runtime):
    a = moderate(proj, FLAGGED_TEXT, authorId="alice", contextId="c1")
    time.sleep(0.01)
    b = moderate(proj, CLEAN_TEXT, authorId="alice", contextId="c2")
    time.sleep(0.01)
    c = moderate(proj, CLEAN_TEXT, authorId="bob")
    ts = {i: runtime.requests.get(proj.id, i).timestamp for i in (a, b, c)}

    assert [i["id"] for i in items(client, proj)["items"]] == [c, b, a]  # newest first
    assert [i["id"] for i in items(client, proj, flagged="true")["items"]] == [a]
    assert [i["id"] for i in items(client, proj, flagged="false")["items"]] == [c, b]
    assert [i["id"] for i in items(client, proj, authorId="alice")["items"]] == [b, a]
    assert [i["id"] for i in items(client, proj, contextId="c2")["items"]] == [b]
    assert [i["id"] for i in items(client, proj, since=ts[b])["items"]] == [c, b]
    assert [i["id"] for i in items(client, proj, until=ts[b])["items"]] == [a]
    iso = datetime.fromtimestamp(ts[c] / 1000, UTC).isoformat()
    assert [i["id"] for i in items(client, proj, since=iso)["items"]] == [c]
    combined = items(client, proj, flagged="true", authorId="alice", since=ts[a])
    assert [i["id"] for i in combined["items"]] == [a]


def test_pagination(client, proj, moderate):
    ids = [moderate(proj, f"{CLEAN_TEXT} {n}") for n in range(5)]
    first = items(client, proj, pageSize=2)
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]
    assert first["pagination"] == {"total": 5, "pageSize": 2, "pageNumber": 1, "hasNextPage": True}
    last = items(client, proj, pageSize=2, pageNumber=3)
    assert [i["id"] for i in last["items"]] == [ids[0]]
    assert last["pagination"]["hasNextPage"] is False
    assert items(client, proj, pageSize=2, pageNumber=4)["items"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "not-a-time"}, "until"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 501}, "pageSize"),
        ({"pageNumber": 0}, "pageNumber"),
        ({"flagged": "maybe"}, "flagged"),
        ({"status": "archived"}, "status"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_field(client, proj, params, field):
    r = client.get("/api/v1/queue/items", headers=proj.headers, params=params)
    assert r.status_code == 400
    assert r.json()["code"] == 400 and field in r.json()["message"]


def test_unknown_item_is_404(client, proj):
    for method, path in [
        ("GET", "/api/v1/queue/items/req_nope"),
        ("POST", "/api/v1/queue/items/req_nope/complete"),
    ]:
        r = client.request(method, path, headers=proj.headers)
        assert r.status_code == 404 and r.json()["status"] == "error"


def test_complete_closes_the_item_and_is_idempotent(client, proj, moderate):
    rid = moderate(proj, FLAGGED_TEXT)
    other = moderate(proj, CLEAN_TEXT)
    r = client.post(f"/api/v1/queue/items/{rid}/complete", headers=proj.headers)
    assert r.status_code == 200
    done = r.json()["item"]
    assert done["status"] == "completed" and done["completedAt"] >= done["timestamp"]
    again = client.post(f"/api/v1/queue/items/{rid}/complete", headers=proj.headers)
    assert again.status_code == 200 and again.json()["item"]["completedAt"] == done["completedAt"]
    assert [i["id"] for i in items(client, proj)["items"]] == [other]  # the queue shows open ones
    assert [i["id"] for i in items(client, proj, status="completed")["items"]] == [rid]
    assert {i["id"] for i in items(client, proj, status="all")["items"]} == {rid, other}


def test_admin_key_and_missing_key(client, proj):
    admin = {"Authorization": "Bearer admin-secret-key-for-tests"}
    r = client.get("/api/v1/queue/items", headers=admin)
    assert r.status_code == 403 and "project key" in r.json()["message"]
    assert client.get("/api/v1/queue/items").status_code == 401


def test_saved_queues_filter_items(client, proj, moderate, runtime):
    flagged = moderate(proj, FLAGGED_TEXT, authorId="a")
    moderate(proj, CLEAN_TEXT, authorId="a")
    runtime.requests.record(  # flagged, but 40 days old: outside a 30-day window
        request_id="req_old",
        timestamp=int(time.time() * 1000) - 40 * 86_400_000,
        project_id=proj.id,
        value=FLAGGED_TEXT,
        content=FLAGGED_TEXT,
        flagged=True,
        data_found=True,
        result={},
        author_id="a",
    )
    r = client.post(
        "/api/v1/queues",
        headers=proj.headers,
        json={"name": "Flagged, 30 days", "filter": {"flagged": True, "windowDays": 30}},
    )
    assert r.status_code == 201, r.text
    queue = r.json()["queue"]
    assert queue["filter"] == {"flagged": True, "windowDays": 30, "status": "open"}
    listed = client.get("/api/v1/queues", headers=proj.headers).json()["queues"]
    assert [q["id"] for q in listed] == [queue["id"]]
    assert client.get(f"/api/v1/queues/{queue['id']}", headers=proj.headers).status_code == 200
    assert [i["id"] for i in items(client, proj, queueId=queue["id"])["items"]] == [flagged]
    assert [i["id"] for i in items(client, proj, queueId=queue["id"], since=0)["items"]] == [
        flagged
    ]
    assert len(items(client, proj, flagged="true")["items"]) == 2
    # Query parameters narrow a saved queue further.
    assert items(client, proj, queueId=queue["id"], authorId="b")["items"] == []

    dup = client.post("/api/v1/queues", headers=proj.headers, json={"name": "Flagged, 30 days"})
    assert dup.status_code == 400 and "already exists" in dup.json()["message"]
    bad = client.post(
        "/api/v1/queues", headers=proj.headers, json={"name": "x", "filter": {"colour": "red"}}
    )
    assert bad.status_code == 400 and "colour" in bad.json()["message"]
    assert (
        client.get(
            "/api/v1/queue/items", headers=proj.headers, params={"queueId": "q_x"}
        ).status_code
        == 404
    )

    assert client.delete(f"/api/v1/queues/{queue['id']}", headers=proj.headers).status_code == 200
    assert client.get(f"/api/v1/queues/{queue['id']}", headers=proj.headers).status_code == 404


def test_labels_from_analyzers_and_detectors():
    result = {
        "original": "x",
        "flagged": True,
        "email": {"found": False, "mode": "NORMAL", "matches": []},
        "nsfw": {
            "label": "UNSAFE",
            "score": 0.73,
            "label_scores": {"UNSAFE": 0.73, "SENSITIVE": 0.01, "NEUTRAL": 0.26},
            "flagged": True,
        },
        "toxicity": {
            "label": "TOXICITY",
            "score": 0.6,
            "flagged": True,
            "label_scores": {"TOXICITY": 0.6, "NEUTRAL": 0.4},
        },
        "quality": {"available": False, "message": "not installed", "flagged": False},
    }
    labels = labels_of(result, {"toxicity": {"enabled": True, "thresholds": {"TOXICITY": 0.7}}})
    by_name = {lbl["label"]: lbl for lbl in labels}
    assert set(by_name) == {"email", "nsfw/UNSAFE", "nsfw/SENSITIVE", "toxicity/TOXICITY"}
    assert by_name["nsfw/UNSAFE"] == {
        "label": "nsfw/UNSAFE",
        "score": 0.73,
        "flagged": True,
        "manual": False,
    }
    assert by_name["nsfw/SENSITIVE"]["flagged"] is False
    assert by_name["toxicity/TOXICITY"]["flagged"] is False  # below the project's threshold
    assert by_name["email"]["flagged"] is False


def test_parse_time_forms():
    assert parse_time(None) is None
    assert parse_time("1700000000000") == 1_700_000_000_000
    assert parse_time("1700000000") == 1_700_000_000_000  # seconds
    assert parse_time("2023-11-14T22:13:20Z") == 1_700_000_000_000
    assert parse_time("2023-11-14T22:13:20") == 1_700_000_000_000  # naive = UTC
    with pytest.raises(QueueError):
        parse_time("-5")
