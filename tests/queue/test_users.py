"""The users view: per authorId counts, mean score, last seen, actions; sorting and paging."""

from __future__ import annotations

import pytest


def store(runtime, proj, rid, author, ts, *, flagged=False, score=None):
    runtime.requests.record(
        request_id=rid,
        timestamp=ts,
        project_id=proj.id,
        value=f"text {rid}",
        content=f"text {rid}",
        flagged=flagged,
        data_found=False,
        result={},
        label="TOXICITY" if score is not None else None,
        score=score,
        author_id=author,
    )


@pytest.fixture
def population(client, runtime, proj):
    # alice: 3 items, 2 flagged, scores 0.9/0.6/none -> mean 0.5, last seen 3000
    store(runtime, proj, "req_a1", "alice", 1000, flagged=True, score=0.9)
    store(runtime, proj, "req_a2", "alice", 2000, flagged=True, score=0.6)
    store(runtime, proj, "req_a3", "alice", 3000)
    # bob: 1 item, flagged, score 0.8, last seen 5000
    store(runtime, proj, "req_b1", "bob", 5000, flagged=True, score=0.8)
    # carol: 2 items, none flagged, last seen 4000
    store(runtime, proj, "req_c1", "carol", 3500)
    store(runtime, proj, "req_c2", "carol", 4000)
    store(runtime, proj, "req_anon", None, 6000, flagged=True, score=0.99)  # no author: no user
    action = client.post("/api/v1/actions", headers=proj.headers, json={"name": "Ban user"})
    aid = action.json()["action"]["id"]
    for item in ("req_a1", "req_a2", "req_c1"):
        r = client.post(
            f"/api/v1/queue/items/{item}/actions", headers=proj.headers, json={"actionId": aid}
        )
        assert r.status_code == 201
    return aid


def users(client, proj, **params):
    r = client.get("/api/v1/users", headers=proj.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_user_rows(client, proj, population):
    body = users(client, proj, sort="items")
    by_id = {u["authorId"]: u for u in body["users"]}
    assert set(by_id) == {"alice", "bob", "carol"}
    assert by_id["alice"] == {
        "authorId": "alice",
        "items": 3,
        "flaggedItems": 2,
        "meanScore": 0.5,
        "lastSeen": 3000,
        "firstSeen": 1000,
        "actionsTaken": 2,
    }
    assert by_id["bob"]["meanScore"] == 0.8 and by_id["bob"]["actionsTaken"] == 0
    assert by_id["carol"]["flaggedItems"] == 0 and by_id["carol"]["actionsTaken"] == 1
    assert body["pagination"]["total"] == 3


@pytest.mark.parametrize(
    "sort, order, expected",
    [
        ("items", "desc", ["alice", "carol", "bob"]),
        ("items", "asc", ["bob", "carol", "alice"]),
        ("flagged", "desc", ["alice", "bob", "carol"]),
        ("last_seen", "desc", ["bob", "carol", "alice"]),
        ("mean_score", "desc", ["bob", "alice", "carol"]),
        ("mean_score", "asc", ["carol", "alice", "bob"]),
    ],
)
def test_sorting(client, proj, population, sort, order, expected):
    body = users(client, proj, sort=sort, order=order)
    assert [u["authorId"] for u in body["users"]] == expected


def test_default_sort_is_last_seen_desc_and_paging(client, proj, population):
    assert [u["authorId"] for u in users(client, proj)["users"]] == ["bob", "carol", "alice"]
    page = users(client, proj, pageSize=2, pageNumber=2)
    assert [u["authorId"] for u in page["users"]] == ["alice"]
    assert page["pagination"] == {"total": 3, "pageSize": 2, "pageNumber": 2, "hasNextPage": False}


def test_bad_sort_is_400(client, proj):
    r = client.get("/api/v1/users", headers=proj.headers, params={"sort": "height"})
    assert r.status_code == 400 and "sort" in r.json()["message"]
    r = client.get("/api/v1/users", headers=proj.headers, params={"order": "sideways"})
    assert r.status_code == 400 and "order" in r.json()["message"]


def test_one_user(client, proj, population):
    r = client.get("/api/v1/users/alice", headers=proj.headers)
    assert r.status_code == 200
    user = r.json()["user"]
    assert user["items"] == 3 and user["actionsTaken"] == 2
    assert {a["itemId"] for a in user["actions"]} == {"req_a1", "req_a2"}
    assert client.get("/api/v1/users/nobody", headers=proj.headers).status_code == 404
    # Items of one user come from the queue route.
    items = client.get(
        "/api/v1/queue/items", headers=proj.headers, params={"authorId": "alice", "status": "all"}
    ).json()["items"]
    assert [i["id"] for i in items] == ["req_a3", "req_a2", "req_a1"]


def test_empty_project_has_no_users(client, proj):
    assert users(client, proj) == {
        "status": "success",
        "users": [],
        "pagination": {"total": 0, "pageSize": 50, "pageNumber": 1, "hasNextPage": False},
    }
