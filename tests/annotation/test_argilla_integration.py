"""Push 50 records with suggestions to a real Argilla, answer as annotators over REST, pull back."""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass, field

import httpx
import pytest
from sklearn.metrics import cohen_kappa_score

from modlab.annotation import argilla_stack as argilla_stack_module
from modlab.annotation import argilla_sync
from modlab.annotation.testing import PENDING_FILTER
from modlab.settings import Settings

from .conftest import ANNOTATOR_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

LABELS = ["TOXICITY", "PROFANITY", "NEUTRAL"]
DESCRIPTIONS = {
    "TOXICITY": "Insults, threats or attacks on a person or group.",
    "PROFANITY": "Swear words without a target.",
    "NEUTRAL": "Nothing harmful.",
}


@dataclass
class Label:
    name: str
    description: str


@dataclass
class Schema:
    name: str = "toxicity"
    multi_label: bool = False
    labels: list[Label] = field(default_factory=lambda: [Label(n, DESCRIPTIONS[n]) for n in LABELS])


def annotator_client(settings: Settings, username: str) -> httpx.Client:
    """An HTTP client logged in as ``username`` (OAuth2 password form -> bearer token)."""
    http = httpx.Client(base_url=settings.argilla_url, timeout=60)
    token = http.post("/api/v1/token", data={"username": username, "password": ANNOTATOR_PASSWORD})
    token.raise_for_status()
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return http


def pending(http: httpx.Client, dataset_id: str) -> list[dict]:
    found = http.post(
        f"/api/v1/me/datasets/{dataset_id}/records/search?limit=100", json=PENDING_FILTER
    )
    found.raise_for_status()
    return [item["record"] for item in found.json()["items"]]


def test_stack_status(argilla_stack: Settings) -> None:
    result = argilla_stack_module.status(argilla_stack)
    assert result["ready"] is True
    assert all(c["running"] for c in result["components"].values())
    assert result["search_engine"] == "modlab-noida"
    assert argilla_stack_module.up(argilla_stack)["ready"] is True  # idempotent


def test_push_respond_pull(argilla_stack: Settings) -> None:
    settings = argilla_stack
    rng = random.Random(7)
    records = [
        {"id": f"ext-{i:03d}", "text": f"example message number {i}", "metadata": {"lang": "en"}}
        for i in range(50)
    ]
    model_labels = {r["id"]: LABELS[i % 3] for i, r in enumerate(records)}
    suggestions = {
        rid: {"label": label, "score": round(0.5 + rng.random() / 2, 3)}
        for rid, label in model_labels.items()
    }
    vectors = [[rng.random() for _ in range(16)] for _ in records]
    argilla = argilla_sync.client(settings)

    dataset = argilla_sync.push_records(
        "toxicity-review",
        Schema(),
        records,
        suggestions=suggestions,
        vectors=vectors,
        annotators=["ann1", "ann2"],
        annotator_password=ANNOTATOR_PASSWORD,
        min_submitted=2,
        source="queue",
        batch="batch-1",
        agent="toxicity-v1",
        argilla=argilla,
    )

    # Settings: descriptions on the options, guidelines, vectors, distribution.
    options = dataset.settings.questions["label"]._model.settings.options
    assert {o["value"]: o["description"] for o in options} == DESCRIPTIONS
    for description in DESCRIPTIONS.values():
        assert description in dataset.settings.guidelines
    assert dataset.settings.vectors["embedding"].dimensions == 16
    assert dataset.settings.distribution.min_submitted == 2

    # Records keep the external id, metadata, suggestion (value, score, agent) and vector.
    stored = list(dataset.records(with_suggestions=True, with_vectors=True))
    assert len(stored) == 50
    first = next(r for r in stored if r.id == "ext-000")
    assert first.metadata["source"] == "queue" and first.metadata["batch"] == "batch-1"
    suggestion = first.suggestions["label"]
    assert suggestion.value == model_labels["ext-000"]
    assert suggestion.agent == "toxicity-v1"
    assert suggestion.score == pytest.approx(suggestions["ext-000"]["score"])
    assert len(first.vectors["embedding"]) == 16

    # Annotators answer over the REST API, from their own "pending" queue.
    ann1, ann2 = annotator_client(settings, "ann1"), annotator_client(settings, "ann2")
    mine = ann1.get("/api/v1/me/datasets").json()["items"]
    dataset_id = next(d["id"] for d in mine if d["name"] == "toxicity-review")
    queue1 = pending(ann1, dataset_id)
    assert len(queue1) == 50
    answers: dict[tuple[str, str], str] = {}
    for record in queue1:
        label = model_labels[record["external_id"]]
        answers[("ann1", record["external_id"])] = label
        resp = ann1.post(
            f"/api/v1/records/{record['id']}/responses",
            json={"values": {"label": {"value": label}}, "status": "submitted"},
        )
        assert resp.status_code == 201, resp.text
    assert pending(ann1, dataset_id) == []
    metrics = ann1.get(f"/api/v1/me/datasets/{dataset_id}/metrics").json()["responses"]
    assert metrics["submitted"] == 50 and metrics["pending"] == 0

    # ann2 answers 30 records, disagreeing with ann1 on every fifth one.
    queue2 = sorted(pending(ann2, dataset_id), key=lambda r: r["external_id"])
    assert len(queue2) == 50
    for n, record in enumerate(queue2[:30]):
        label = model_labels[record["external_id"]]
        if n % 5 == 0:
            label = LABELS[(LABELS.index(label) + 1) % 3]
        answers[("ann2", record["external_id"])] = label
        resp = ann2.post(
            f"/api/v1/records/{record['id']}/responses",
            json={"values": {"label": {"value": label}}, "status": "submitted"},
        )
        assert resp.status_code == 201, resp.text
    assert len(pending(ann2, dataset_id)) == 20
    metrics2 = ann2.get(f"/api/v1/me/datasets/{dataset_id}/metrics").json()["responses"]
    assert metrics2["submitted"] == 30 and metrics2["pending"] == 20

    # Pull back: one row per (record, annotator), with usernames and external ids.
    rows = argilla_sync.pull_responses("toxicity-review", argilla=argilla)
    assert len(rows) == 80
    assert {(r["user"], r["record_id"]): r["label"] for r in rows} == answers
    assert {r["status"] for r in rows} == {"submitted"}

    # Agreement and conflicts over the 30 doubly-annotated records.
    shared = sorted(rid for (user, rid) in answers if user == "ann2")
    expected = cohen_kappa_score(
        [answers[("ann1", r)] for r in shared], [answers[("ann2", r)] for r in shared]
    )
    result = argilla_sync.agreement(rows)
    assert result["method"] == "cohen_kappa"
    assert result["annotators"] == ["ann1", "ann2"]
    assert result["n_records"] == 30
    assert result["value"] == pytest.approx(expected)
    found = argilla_sync.conflicts(rows)
    assert {c["record_id"] for c in found} == {r for n, r in enumerate(shared) if n % 5 == 0}
    assert all(c["majority"] is None and c["agreement"] == 0.5 for c in found)

    # Records answered by both annotators are complete (overlap distribution, 2 answers).
    progress = httpx.get(
        f"{settings.argilla_url}/api/v1/datasets/{dataset_id}/progress",
        headers={"X-Argilla-Api-Key": settings.argilla_api_key.get_secret_value()},
    ).json()
    assert progress["completed"] == 30 and progress["pending"] == 20


class _Label:
    def __init__(self, name: str, description: str) -> None:
        self.name, self.description = name, description


class _Schema:
    name = "quality"
    multi_label = True
    labels = [_Label("SPAM", "Ads and scams."), _Label("NEUTRAL", "")]


def test_dataset_settings_carry_label_descriptions(argilla_stack: Settings) -> None:
    settings = argilla_sync.dataset_settings(
        _Schema(),
        vector_dimensions=8,
        min_submitted=2,
        argilla=argilla_sync.client(argilla_stack),
    )
    question = settings.questions["label"]
    assert question._model.settings.type == "multi_label_selection"
    assert question._model.settings.options == [
        {"value": "SPAM", "text": "SPAM", "description": "Ads and scams."},
        {"value": "NEUTRAL", "text": "NEUTRAL", "description": None},
    ]
    assert "**SPAM**: Ads and scams." in argilla_sync.guidelines_for(_Schema())
    assert settings.vectors["embedding"].dimensions == 8
    assert settings.distribution.min_submitted == 2


ENGINE_CHECK = r"""
import json, uuid
from types import SimpleNamespace
from argilla_server.search_engine import SearchEngine
from argilla_server.search_engine.base import ResponseFilterScope, TermsFilter
import modlab_noida_engine as m

engine = SearchEngine.registered_classes["modlab-noida"].__new__(
    SearchEngine.registered_classes["modlab-noida"]
)
user = SimpleNamespace(id=uuid.UUID(int=7))
scope = ResponseFilterScope(property="status", user=user)
print(json.dumps({
    "pending": engine._response_status_filter_to_es_filter(TermsFilter(scope, ["pending"])),
    "mixed": engine._response_status_filter_to_es_filter(
        TermsFilter(scope, ["pending", "draft"])
    ),
}))
"""


def test_engine_rewrites_pending_as_nested_must_not() -> None:
    """The pending queue must not read nested fields from the root document."""
    cfg = argilla_stack_module.config()
    argilla_stack_module.install_venv(cfg)
    out = subprocess.run(
        [str(cfg.python), "-c", ENGINE_CHECK],
        env={"PYTHONPATH": str(argilla_stack_module.ENGINE_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    queries = json.loads(out.stdout.strip().splitlines()[-1])
    user_term = {"term": {"responses.user_id": "00000000-0000-0000-0000-000000000007"}}
    assert queries["pending"] == {
        "bool": {
            "must_not": {"nested": {"path": "responses", "query": user_term, "score_mode": "avg"}}
        }
    }
    mixed = queries["mixed"]["bool"]
    assert mixed["minimum_should_match"] == 1
    assert mixed["should"][0] == queries["pending"]
    assert mixed["should"][1]["nested"]["path"] == "responses"
