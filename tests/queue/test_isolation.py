"""Project A's key never reads or acts on project B's queue, actions, webhooks or users."""

from __future__ import annotations

import pytest

from modlab.storage.queue import ActionLog, QueueItemState, Webhook

ADMIN = {"Authorization": "Bearer admin-secret-key-for-tests"}


@pytest.fixture
def world(client, make_project, moderate):
    """Project B with one of everything; A is an attacker with its own valid key."""
    a, b = make_project("alpha"), make_project("beta")
    item = moderate(b, "mail bob@example.com", authorId="b-user")
    action = client.post(
        "/api/v1/actions",
        headers=b.headers,
        json={"name": "Remove content", "queueBehaviour": "REMOVE"},
    ).json()["action"]
    hook = client.post(
        "/api/v1/webhooks", headers=b.headers, json={"url": "http://127.0.0.1:9/b"}
    ).json()["webhook"]
    queue = client.post("/api/v1/queues", headers=b.headers, json={"name": "B queue"}).json()[
        "queue"
    ]
    a_action = client.post("/api/v1/actions", headers=a.headers, json={"name": "A action"}).json()[
        "action"
    ]
    return {
        "a": a,
        "b": b,
        "item": item,
        "action": action,
        "hook": hook,
        "queue": queue,
        "a_action": a_action,
    }


# Every route of the module, with B's ids: (method, path template, json body or None).
ROUTES_ON_B = [
    ("GET", "/api/v1/queue/items/{item}", None),
    ("POST", "/api/v1/queue/items/{item}/actions", {"actionId": "{action}"}),
    ("POST", "/api/v1/queue/items/{item}/actions", {"actionId": "{a_action}"}),
    ("POST", "/api/v1/queue/items/{item}/complete", None),
    ("GET", "/api/v1/actions/{action}", None),
    ("DELETE", "/api/v1/actions/{action}", None),
    ("DELETE", "/api/v1/actions?id={action}", None),
    ("GET", "/api/v1/webhooks/{hook}", None),
    ("DELETE", "/api/v1/webhooks/{hook}", None),
    ("DELETE", "/api/v1/webhooks?id={hook}", None),
    ("GET", "/api/v1/webhooks/{hook}/deliveries", None),
    ("GET", "/api/v1/queues/{queue}", None),
    ("DELETE", "/api/v1/queues/{queue}", None),
    ("GET", "/api/v1/queue/items?queueId={queue}", None),
    ("GET", "/api/v1/users/b-user", None),
]


def _fill(template, world):
    ids = {k: (v["id"] if isinstance(v, dict) else v) for k, v in world.items() if k not in "ab"}
    if isinstance(template, dict):
        return {k: _fill(v, world) for k, v in template.items()}
    return template.format(**ids)


@pytest.mark.parametrize("method, path, body", ROUTES_ON_B)
def test_a_gets_404_on_every_route_with_b_ids(client, world, runtime, method, path, body):
    r = client.request(
        method,
        _fill(path, world),
        headers=world["a"].headers,
        json=_fill(body, world) if body else None,
    )
    assert r.status_code == 404, (method, path, r.text)
    assert r.json()["status"] == "error"
    # ...and nothing of B's changed.
    b = world["b"]
    assert (
        client.get(f"/api/v1/queue/items/{world['item']}", headers=b.headers).json()["item"][
            "status"
        ]
        == "open"
    )
    assert (
        client.get(f"/api/v1/actions/{world['action']['id']}", headers=b.headers).status_code == 200
    )
    assert (
        client.get(f"/api/v1/webhooks/{world['hook']['id']}", headers=b.headers).status_code == 200
    )
    assert (
        client.get(f"/api/v1/queues/{world['queue']['id']}", headers=b.headers).status_code == 200
    )
    with runtime.db.session() as s:
        assert s.query(ActionLog).count() == 0
        assert s.query(QueueItemState).count() == 0
        assert s.query(Webhook).count() == 1


@pytest.mark.parametrize(
    "path, key",
    [
        ("/api/v1/queue/items", "items"),
        ("/api/v1/queue/items?status=all", "items"),
        ("/api/v1/queue/items?authorId=b-user", "items"),
        ("/api/v1/actions", "actions"),
        ("/api/v1/webhooks", "webhooks"),
        ("/api/v1/queues", "queues"),
        ("/api/v1/users", "users"),
    ],
)
def test_lists_show_only_the_callers_project(client, world, path, key):
    a_rows = client.get(path, headers=world["a"].headers).json()[key]
    b_rows = client.get(path, headers=world["b"].headers).json()[key]
    assert b_rows  # B sees its own
    assert not {str(r.get("id", r.get("authorId"))) for r in a_rows} & {
        str(r.get("id", r.get("authorId"))) for r in b_rows
    }
    if key == "actions":
        assert [r["name"] for r in a_rows] == ["A action"]
    else:
        assert a_rows == []


def test_webhook_secret_is_per_project(client, world, runtime):
    sa = client.get("/api/v1/webhooks/secret", headers=world["a"].headers).json()["secret"]
    sb = client.get("/api/v1/webhooks/secret", headers=world["b"].headers).json()["secret"]
    assert sa != sb
    assert sb == runtime.projects.get(world["b"].id).webhook_secret


ALL_ROUTES = [
    ("GET", "/api/v1/queue/items"),
    ("GET", "/api/v1/queue/items/x"),
    ("POST", "/api/v1/queue/items/x/actions"),
    ("POST", "/api/v1/queue/items/x/complete"),
    ("GET", "/api/v1/queues"),
    ("POST", "/api/v1/queues"),
    ("GET", "/api/v1/queues/x"),
    ("DELETE", "/api/v1/queues/x"),
    ("GET", "/api/v1/actions"),
    ("POST", "/api/v1/actions"),
    ("GET", "/api/v1/actions/x"),
    ("DELETE", "/api/v1/actions/x"),
    ("DELETE", "/api/v1/actions?id=x"),
    ("GET", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/secret"),
    ("POST", "/api/v1/webhooks/secret/rotate"),
    ("GET", "/api/v1/webhooks/x"),
    ("DELETE", "/api/v1/webhooks/x"),
    ("DELETE", "/api/v1/webhooks?id=x"),
    ("GET", "/api/v1/webhooks/x/deliveries"),
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/users/x"),
]


@pytest.mark.parametrize("method, path", ALL_ROUTES)
def test_every_route_needs_a_project_key(client, method, path):
    assert client.request(method, path).status_code == 401
    bad = client.request(method, path, headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401
    admin = client.request(method, path, headers=ADMIN)
    assert admin.status_code == 403 and admin.json()["code"] == 403


def test_wrong_method_is_a_json_error(client, proj):
    r = client.put("/api/v1/actions", headers=proj.headers)
    assert r.status_code == 405 and r.json()["code"] == 405
