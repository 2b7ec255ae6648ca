"""``apply_reviews`` without Argilla (the responses are stubbed): each item's first submitted
answer is applied once, unknown actions are skipped, new actions join the review model."""

from __future__ import annotations

import pytest

from modlab.annotation import argilla_sync
from modlab.data.store import ExampleStore
from modlab.queue.argilla_mirror import action_schema, apply_reviews, review_model
from modlab.storage.agents import ReviewMirror


@pytest.fixture
def responses(monkeypatch):
    rows: list[dict] = []
    monkeypatch.setattr(argilla_sync, "pull_responses", lambda *a, **k: list(rows))
    return rows


def _row(item: str, label: str, user: str = "mod1", text: str = "t") -> dict:
    return {"record_id": item, "user": user, "label": label, "status": "submitted", "text": text}


def test_apply_once_skip_unknown_and_grow_the_review_model(
    client, runtime, make_project, moderate, responses
) -> None:
    who = make_project(filter={"email": {"enabled": True, "mode": "NORMAL"}})
    h = who.headers
    ban = client.post("/api/v1/actions", headers=h, json={"name": "Ban user"}).json()["action"]
    first = moderate(who, "mail me: a@example.com")
    second = moderate(who, "mail me: b@example.com")
    project = runtime.projects.get(who.id)
    responses += [
        _row(first, "Ban user", "mod1", "mail me: a@example.com"),
        _row(first, "Ban user", "mod2", "mail me: a@example.com"),  # a second answer: ignored
        _row(second, "Shrug", "mod1"),
    ]
    report = apply_reviews(runtime.db, project, argilla=object())
    assert [(a["item"], a["reviewer"], a["actionId"]) for a in report["applied"]] == [
        (first, "mod1", ban["id"])
    ]
    assert report["skipped"] == [{"item": second, "reason": "no action named 'Shrug'"}]
    assert apply_reviews(runtime.db, project, argilla=object())["applied"] == []
    log = client.get(f"/api/v1/queue/items/{first}", headers=h).json()["item"]["actions"]
    assert [(x["name"], x["actor"]) for x in log] == [("Ban user", "argilla:mod1")]

    # A new action, chosen later, becomes a new label of the review model.
    client.post("/api/v1/actions", headers=h, json={"name": "Shrug"})
    report = apply_reviews(runtime.db, project, argilla=object())
    assert [a["item"] for a in report["applied"]] == [second]
    store = ExampleStore(runtime.db)
    names = store.get_schema(review_model(project)).names
    assert set(names) == {"Ban user", "Shrug", "NO_ACTION"}  # one action at first: + NO_ACTION
    labels = {ex.text: ex.label for ex in store.examples(review_model(project))}
    assert labels == {"mail me: a@example.com": "Ban user", "t": "Shrug"}
    with runtime.db.session() as s:
        row = s.get(ReviewMirror, (project.id, first))
        assert row.reviewer == "mod1" and row.action_id == ban["id"] and row.example_id


def test_action_schema_describes_behaviours(runtime, make_project) -> None:
    who = make_project()
    project = runtime.projects.get(who.id)
    schema = action_schema(
        project,
        [
            {"name": "Remove", "value": "spam", "queueBehaviour": "REMOVE"},
            {"name": "Keep", "value": None, "queueBehaviour": "NO_CHANGE"},
        ],
    )
    assert [lab.name for lab in schema.labels] == ["Remove", "Keep"]
    assert "completes the item" in schema.labels[0].description
    assert "spam" in schema.labels[0].description and not schema.multi_label
