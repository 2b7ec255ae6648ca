"""Webhook routes, the delivery log, and the whole path: moderation, queue, action, webhook."""

from __future__ import annotations

import json

import pytest

from modlab.webhooks import SIGNATURE_HEADER, deliver_due, run_until_idle, verify


def test_webhook_crud(client, proj):
    r = client.post(
        "/api/v1/webhooks",
        headers=proj.headers,
        json={"url": "https://example.invalid/hook", "events": ["QUEUE_ITEM_ACTION"]},
    )
    assert r.status_code == 201
    body = r.json()
    hook = body["webhook"]
    assert hook["url"] == "https://example.invalid/hook" and hook["events"] == ["QUEUE_ITEM_ACTION"]
    assert body["secret"].startswith("whsec_")
    all_events = client.post(
        "/api/v1/webhooks", headers=proj.headers, json={"url": "http://127.0.0.1:1/"}
    ).json()["webhook"]
    assert all_events["events"] == ["QUEUE_ITEM_NEW", "QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED"]
    listed = client.get("/api/v1/webhooks", headers=proj.headers).json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"], all_events["id"]]
    assert (
        client.get(f"/api/v1/webhooks/{hook['id']}", headers=proj.headers).json()["webhook"] == hook
    )
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=proj.headers).status_code == 200
    assert (
        client.delete(
            "/api/v1/webhooks", headers=proj.headers, params={"id": all_events["id"]}
        ).status_code
        == 200
    )
    assert client.get("/api/v1/webhooks", headers=proj.headers).json()["webhooks"] == []
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=proj.headers).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "url"),
        ({"url": ""}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"url": "http://x/" + "a" * 2000}, "url"),
        ({"url": "http://127.0.0.1/", "events": []}, "events"),
        ({"url": "http://127.0.0.1/", "events": ["ITEM_EATEN"]}, "events"),
        ({"url": "http://127.0.0.1/", "secret": "mine"}, "secret"),
    ],
)
def test_invalid_webhook_bodies_are_400(client, proj, body, field):
    r = client.post("/api/v1/webhooks", headers=proj.headers, json=body)
    assert r.status_code == 400 and field in r.json()["message"]


def test_delivery_log(client, runtime, proj, receiver, add_webhook, moderate):
    rec = receiver(["fail", "ok"])
    hook = add_webhook(proj, rec.url, ["QUEUE_ITEM_NEW"])["webhook"]
    rid = moderate(proj, "mail x@example.com")
    run_until_idle(runtime.db, runtime.settings, timeout_s=20)
    r = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=proj.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["pagination"]["total"] == 1
    (d,) = body["deliveries"]
    assert d["type"] == "QUEUE_ITEM_NEW" and d["itemId"] == rid and d["webhookId"] == hook["id"]
    assert d["status"] == "delivered" and d["attempts"] == 2 and d["lastStatusCode"] == 200
    assert d["nextAttemptAt"] is None and d["deliveredAt"] >= d["createdAt"]
    assert [(a["attempt"], a["statusCode"], a["ok"]) for a in d["attemptLog"]] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert "HTTP 500" in d["attemptLog"][0]["error"]
    only_failed = client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries",
        headers=proj.headers,
        params={"status": "failed"},
    )
    assert only_failed.json()["deliveries"] == []
    bad = client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=proj.headers, params={"status": "lost"}
    )
    assert bad.status_code == 400


def test_end_to_end_moderation_queue_action_signed_webhook(
    settings, runtime, client, proj, receiver
):
    """A moderation request becomes a queue item; a moderator's action reaches the receiver."""
    rec = receiver()
    # Set everything up through the API, as an integrator would.
    hook = client.post("/api/v1/webhooks", headers=proj.headers, json={"url": rec.url}).json()
    secret = hook["secret"]
    assert client.get("/api/v1/webhooks/secret", headers=proj.headers).json()["secret"] == secret
    action = client.post(
        "/api/v1/actions",
        headers=proj.headers,
        json={"name": "Remove content", "value": "spam", "queueBehaviour": "REMOVE"},
    ).json()["action"]
    queue = client.post(
        "/api/v1/queues",
        headers=proj.headers,
        json={"name": "Flagged", "filter": {"flagged": True}},
    ).json()["queue"]
    # The service's delivery worker (started by warm_up, as in the real service).
    runtime.settings.webhook_worker = True
    runtime.warm_up()
    assert runtime.webhook_worker is not None

    moderation = client.post(
        "/api/v1/moderation/text",
        headers=proj.headers,
        json={
            "value": "buy now, write to deals@spam.example.com",
            "authorId": "spammer-1",
            "contextId": "thread-42",
            "metadata": {"post": 7},
        },
    ).json()
    assert moderation["flagged"] is True
    rid = moderation["request"]["id"]

    listed = client.get(
        "/api/v1/queue/items",
        headers=proj.headers,
        params={"flagged": "true", "authorId": "spammer-1", "queueId": queue["id"]},
    ).json()["items"]
    assert [i["id"] for i in listed] == [rid]

    taken = client.post(
        f"/api/v1/queue/items/{rid}/actions", headers=proj.headers, json={"actionId": action["id"]}
    )
    assert taken.status_code == 201 and taken.json()["item"]["status"] == "completed"

    got = rec.wait_for(3, timeout=20)
    payloads = []
    for r in got:
        assert verify(r.body, r.headers[SIGNATURE_HEADER], secret)
        payloads.append(json.loads(r.body))
    by_type = {p["type"]: p for p in payloads}
    assert set(by_type) == {"QUEUE_ITEM_NEW", "QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED"}
    new, act, done = (
        by_type[t] for t in ("QUEUE_ITEM_NEW", "QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED")
    )
    assert new["item"]["id"] == act["item"]["id"] == done["item"]["id"] == rid
    assert act["item"]["action"] == {"id": action["id"], "name": "Remove content", "value": "spam"}
    assert act["item"]["queue"] == {"id": queue["id"], "name": "Flagged"}
    assert new["item"]["queue"] == {"id": queue["id"], "name": "Flagged"}
    assert act["item"]["authorId"] == "spammer-1" and act["item"]["contextId"] == "thread-42"
    assert act["item"]["metadata"] == {"post": 7}
    assert act["item"]["content"] == "buy now, write to deals@spam.example.com"
    assert done["item"]["status"] == "completed"
    assert len({p["id"] for p in payloads}) == 3

    # The moderator and time are on the item; the user's view counts the action.
    item = client.get(f"/api/v1/queue/items/{rid}", headers=proj.headers).json()["item"]
    assert item["actions"][0]["actor"].startswith("key:") and item["actions"][0]["timestamp"] > 0
    users = client.get("/api/v1/users", headers=proj.headers).json()["users"]
    assert users[0]["authorId"] == "spammer-1" and users[0]["actionsTaken"] == 1


def test_rotating_the_secret_signs_later_attempts_with_the_new_one(
    client, runtime, proj, receiver, add_webhook, moderate
):
    rec = receiver(["fail", "ok"])
    old = add_webhook(proj, rec.url)["secret"]
    moderate(proj, "mail x@example.com")
    deliver_due(runtime.db, runtime.settings)  # first try, signed with the old secret
    r = client.post("/api/v1/webhooks/secret/rotate", headers=proj.headers)
    assert r.status_code == 200
    new = r.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert client.get("/api/v1/webhooks/secret", headers=proj.headers).json()["secret"] == new
    run_until_idle(runtime.db, runtime.settings, timeout_s=20)
    first, second = rec.received
    assert verify(first.body, first.headers[SIGNATURE_HEADER], old)
    assert verify(second.body, second.headers[SIGNATURE_HEADER], new)
    assert not verify(second.body, second.headers[SIGNATURE_HEADER], old)
