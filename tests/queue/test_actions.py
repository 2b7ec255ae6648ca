"""Actions: definitions, taking them on items (who/when/value), queue behaviour."""

from __future__ import annotations

import pytest

from modlab.storage.queue import WebhookDelivery

TEXT = "contact bob@example.com for details"


def create_action(client, who, **body):
    r = client.post("/api/v1/actions", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()["action"]


def test_create_list_get_delete(client, proj):
    remove = create_action(
        client, proj, name="Remove content", value="spam", queueBehaviour="REMOVE"
    )
    approve = create_action(client, proj, name="Approve")
    assert remove["name"] == "Remove content" and remove["value"] == "spam"
    assert remove["queueBehaviour"] == "REMOVE" and remove["id"].startswith("act_")
    assert approve["value"] is None and approve["queueBehaviour"] == "NO_CHANGE"
    listed = client.get("/api/v1/actions", headers=proj.headers).json()["actions"]
    assert [a["name"] for a in listed] == ["Remove content", "Approve"]
    got = client.get(f"/api/v1/actions/{approve['id']}", headers=proj.headers).json()["action"]
    assert got == approve

    r = client.delete(f"/api/v1/actions/{approve['id']}", headers=proj.headers)
    assert r.status_code == 200 and r.json()["deleted"] is True
    r = client.delete("/api/v1/actions", headers=proj.headers, params={"id": remove["id"]})
    assert r.status_code == 200
    assert client.get("/api/v1/actions", headers=proj.headers).json()["actions"] == []
    assert (
        client.delete(f"/api/v1/actions/{approve['id']}", headers=proj.headers).status_code == 404
    )
    missing_id = client.delete("/api/v1/actions", headers=proj.headers)
    assert missing_id.status_code == 400 and "id" in missing_id.json()["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ban", "queueBehaviour": "DESTROY"}, "queueBehaviour"),
        ({"name": "Ban", "value": "v" * 501}, "value"),
        ({"name": "Ban", "colour": "red"}, "colour"),
    ],
)
def test_invalid_action_bodies_are_400(client, proj, body, field):
    r = client.post("/api/v1/actions", headers=proj.headers, json=body)
    assert r.status_code == 400 and field in r.json()["message"]


def test_duplicate_action_name_is_400(client, proj):
    create_action(client, proj, name="Ban user")
    r = client.post("/api/v1/actions", headers=proj.headers, json={"name": "Ban user"})
    assert r.status_code == 400 and "already exists" in r.json()["message"]


def test_taking_an_action_records_who_when_and_value(client, proj, moderate):
    rid = moderate(proj, TEXT, authorId="u1")
    ban = create_action(client, proj, name="Ban user", value="7 days")
    r = client.post(
        f"/api/v1/queue/items/{rid}/actions", headers=proj.headers, json={"actionId": ban["id"]}
    )
    assert r.status_code == 201, r.text
    entry = r.json()["action"]
    assert entry["actionId"] == ban["id"] and entry["name"] == "Ban user"
    assert entry["value"] == "7 days"  # the action's value by default
    assert entry["actor"] == f"key:{proj.project.key_prefix}"
    assert entry["itemId"] == rid and entry["timestamp"] > 0
    r2 = client.post(
        f"/api/v1/queue/items/{rid}/actions",
        headers=proj.headers,
        json={"actionId": ban["id"], "value": "forever"},
    )
    assert r2.json()["action"]["value"] == "forever"
    item = client.get(f"/api/v1/queue/items/{rid}", headers=proj.headers).json()["item"]
    assert [a["value"] for a in item["actions"]] == ["7 days", "forever"]
    assert item["status"] == "open"  # NO_CHANGE
    # The log outlives the action's definition.
    client.delete(f"/api/v1/actions/{ban['id']}", headers=proj.headers)
    item = client.get(f"/api/v1/queue/items/{rid}", headers=proj.headers).json()["item"]
    assert [a["name"] for a in item["actions"]] == ["Ban user", "Ban user"]


def test_queue_behaviour_remove_and_add(client, proj, moderate):
    rid = moderate(proj, TEXT)
    remove = create_action(client, proj, name="Remove content", queueBehaviour="REMOVE")
    restore = create_action(client, proj, name="Restore", queueBehaviour="ADD")
    path = f"/api/v1/queue/items/{rid}/actions"
    r = client.post(path, headers=proj.headers, json={"actionId": remove["id"]})
    assert r.json()["item"]["status"] == "completed"
    open_ids = [
        i["id"] for i in client.get("/api/v1/queue/items", headers=proj.headers).json()["items"]
    ]
    assert rid not in open_ids
    r = client.post(path, headers=proj.headers, json={"actionId": restore["id"]})
    assert r.json()["item"]["status"] == "open"
    # "Action taken" filter.
    by_action = client.get(
        "/api/v1/queue/items", headers=proj.headers, params={"actionId": remove["id"]}
    ).json()["items"]
    assert [i["id"] for i in by_action] == [rid]


def test_action_errors(client, proj, moderate):
    rid = moderate(proj, TEXT)
    approve = create_action(client, proj, name="Approve")
    unknown = client.post(
        f"/api/v1/queue/items/{rid}/actions", headers=proj.headers, json={"actionId": "act_nope"}
    )
    assert unknown.status_code == 404 and "act_nope" in unknown.json()["message"]
    no_item = client.post(
        "/api/v1/queue/items/req_nope/actions",
        headers=proj.headers,
        json={"actionId": approve["id"]},
    )
    assert no_item.status_code == 404
    no_body = client.post(f"/api/v1/queue/items/{rid}/actions", headers=proj.headers, json={})
    assert no_body.status_code == 400 and "actionId" in no_body.json()["message"]


def test_actions_enqueue_webhook_events_in_the_same_transaction(client, proj, moderate, runtime):
    hook = client.post(
        "/api/v1/webhooks",
        headers=proj.headers,
        json={
            "url": "http://127.0.0.1:9/hook",
            "events": ["QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED"],
        },
    )
    assert hook.status_code == 201
    rid = moderate(proj, TEXT)  # no QUEUE_ITEM_NEW subscription: nothing enqueued
    remove = create_action(
        client, proj, name="Remove content", value="spam", queueBehaviour="REMOVE"
    )
    client.post(
        f"/api/v1/queue/items/{rid}/actions", headers=proj.headers, json={"actionId": remove["id"]}
    )
    client.post(f"/api/v1/queue/items/{rid}/complete", headers=proj.headers)  # already closed
    with runtime.db.session() as s:
        rows = s.query(WebhookDelivery).order_by(WebhookDelivery.created_at).all()
        types = sorted(r.event_type for r in rows)
        action_payload = next(r.payload for r in rows if r.event_type == "QUEUE_ITEM_ACTION")
    assert types == ["QUEUE_ITEM_ACTION", "QUEUE_ITEM_COMPLETED"]
    assert action_payload["item"]["action"] == {
        "id": remove["id"],
        "name": "Remove content",
        "value": "spam",
    }
    assert action_payload["item"]["id"] == rid
