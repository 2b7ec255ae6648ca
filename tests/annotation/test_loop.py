"""The annotation loop: store -> Argilla (suggestions, vectors, metadata) -> annotators -> store."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pytest

from modlab.annotation import argilla_sync, loop
from modlab.annotation.loop import Decision, decide, pull_annotations, push_for_annotation
from modlab.annotation.testing import submit_as
from modlab.data import ExampleStore
from modlab.settings import Settings

from .conftest import ANNOTATOR_PASSWORD

SPAMMY = ("win", "prize", "free", "claim", "cash", "call now")
TEXTS = [
    "WIN a free prize now, call now to claim",
    "are we still on for lunch tomorrow?",
    "claim your cash reward today",
    "can you pick up milk on the way home",
    "free entry: win tickets, text WIN to 80086",
    "running late, start without me",
    "you have won a prize, claim it",
    "see you at the station at six",
    "cash bonus waiting, reply YES",
    "did you finish the report?",
    "free ringtones, call now",
    "happy birthday! have a great day",
]


class FakePredictor:
    """Predictor-shaped: P(SPAM) from keyword counts (deterministic, no training)."""

    labels_ = ["HAM", "SPAM"]
    multi_label_ = False

    def predict_proba(self, texts):
        out = []
        for text in texts:
            hits = sum(word in text.lower() for word in SPAMMY)
            p = min(0.95, 0.3 + 0.2 * hits)
            out.append([1 - p, p])
        return np.array(out)


def gold(text: str) -> str:
    return "SPAM" if any(w in text.lower() for w in SPAMMY) else "HAM"


@pytest.fixture
def store(tmp_path) -> ExampleStore:
    store = ExampleStore(f"sqlite:///{tmp_path / 'modlab.db'}")
    store.create_model(
        "spam",
        {
            "HAM": "Personal or expected messages.",
            "SPAM": "Unsolicited advertising, prize bait, scams.",
        },
        neutral="HAM",
    )
    store.import_texts("spam", TEXTS)
    store.import_texts("spam", ["already labelled, not for annotation"], ["HAM"])
    return store


@pytest.fixture
def fake_vectors(monkeypatch):
    """Deterministic 8-d vectors instead of loading the sentence encoder."""
    from modlab.annotation import embeddings

    def encode(texts, **kwargs):
        rng = np.random.default_rng(len(texts))
        return rng.random((len(texts), 8)).astype(np.float32)

    monkeypatch.setattr(embeddings, "encode", encode)


# --------------------------------------------------------------------------- decisions (unit)


@pytest.mark.parametrize(
    ("answers", "policy", "need", "expected"),
    [
        ({}, "majority", 1, Decision("awaiting")),
        ({"a": "SPAM"}, "majority", 2, Decision("awaiting")),
        ({"a": "SPAM"}, "any", 2, Decision("agreed", "SPAM", ("a",))),
        ({"a": "SPAM", "b": "SPAM"}, "unanimous", 2, Decision("agreed", "SPAM", ("a", "b"))),
        ({"a": "SPAM", "b": "HAM"}, "majority", 2, Decision("conflict")),
        ({"a": "SPAM", "b": "HAM"}, "any", 2, Decision("conflict")),
        (
            {"a": "SPAM", "b": "HAM", "c": "SPAM"},
            "majority",
            2,
            Decision("majority", "SPAM", ("a", "c")),
        ),
        ({"a": "SPAM", "b": "HAM", "c": "SPAM"}, "unanimous", 2, Decision("conflict")),
        (
            {"a": ["X", "Y"], "b": ["Y", "X"]},
            "majority",
            2,
            Decision("agreed", ["X", "Y"], ("a", "b")),
        ),
    ],
)
def test_decide(answers, policy, need, expected) -> None:
    assert decide(answers, policy, need) == expected


def test_decide_rejects_unknown_policy() -> None:
    with pytest.raises(ValueError, match="policy"):
        decide({"a": "X"}, "vote")


# --------------------------------------------------------------------------- with Argilla


def _dataset() -> str:
    return f"loop-{uuid.uuid4().hex[:8]}"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_push_answer_pull_roundtrip(
    argilla_stack: Settings, store: ExampleStore, fake_vectors
) -> None:
    settings, name = argilla_stack, _dataset()
    argilla = argilla_sync.client(settings)
    by_id = {ex.id: ex.text for ex in store.unlabelled("spam")}

    report = push_for_annotation(
        store,
        "spam",
        name,
        limit=8,
        strategy="uncertain",
        suggest_with=FakePredictor(),
        annotators=["ann1", "ann2"],
        annotator_password=ANNOTATOR_PASSWORD,
        min_submitted=2,
        settings=settings,
        argilla=argilla,
    )
    assert report.pushed == 8 and report.candidates == 12 and report.strategy == "uncertain"
    assert report.suggestions == 8 and report.agent == "model:spam"
    assert report.vector_dimensions == 8
    assert report.url.startswith(settings.argilla_url) and "/dataset/" in report.url
    assert "already labelled" not in " ".join(by_id[i] for i in report.example_ids)
    # The most uncertain come first: P(SPAM) 0.5 (one keyword) before 0.3 (none).
    first = report.frame().iloc[0]
    assert first["uncertainty"] == pytest.approx(1.0)
    assert report.frame()["uncertainty"].is_monotonic_decreasing

    # Argilla has the records under the example ids, with suggestion, metadata and vector.
    dataset = argilla.datasets(name=name, workspace="modlab")
    records = {r.id: r for r in dataset.records(with_suggestions=True, with_vectors=True)}
    assert set(records) == {str(i) for i in report.example_ids}
    some = records[str(report.example_ids[0])]
    assert some.metadata["source"] == "records" and some.metadata["batch"]
    assert some.suggestions["label"].agent == "model:spam"
    assert some.suggestions["label"].value in ("HAM", "SPAM")
    assert 0.0 < some.suggestions["label"].score <= 1.0
    assert len(some.vectors["embedding"]) == 8
    options = dataset.settings.questions["label"]._model.settings.options
    assert {o["value"]: o["description"] for o in options}["SPAM"].startswith("Unsolicited")
    # The store remembers the push and keeps the suggestions.
    assert all(name in store.get_example(i).meta["argilla"] for i in report.example_ids)
    assert store.stats("spam").suggested_examples == 8

    # Two annotators: ann1 answers the gold label, ann2 disagrees on two records.
    disputed = sorted(report.example_ids)[:2]
    got1 = submit_as(
        "ann1",
        {str(i): gold(by_id[i]) for i in report.example_ids},
        dataset=name,
        password=ANNOTATOR_PASSWORD,
        settings=settings,
    )
    flip = {"SPAM": "HAM", "HAM": "SPAM"}
    got2 = submit_as(
        "ann2",
        lambda r: (
            flip[gold(r["fields"]["text"])]
            if int(r["external_id"]) in disputed
            else gold(r["fields"]["text"])
        ),
        dataset=name,
        password=ANNOTATOR_PASSWORD,
        settings=settings,
    )
    assert len(got1) == len(got2) == 8

    pulled = pull_annotations(store, "spam", name, settings=settings, argilla=argilla)
    assert pulled.min_submitted == 2 and pulled.responses == {"submitted": 16}
    assert pulled.records == 8 and len(pulled.labelled) == 6 and pulled.unchanged == 0
    assert sorted(c["example_id"] for c in pulled.unresolved) == disputed
    assert pulled.agreement["method"] == "cohen_kappa"
    assert pulled.agreement["annotators"] == ["ann1", "ann2"]
    assert pulled.agreement["n_records"] == 8
    assert -1.0 <= pulled.agreement["value"] < 1.0
    assert len(pulled.agreement_frame()) == 2
    assert list(pulled.conflicts_frame().columns) == [
        "example_id",
        "text",
        "ann1",
        "ann2",
        "resolved",
    ]
    for example_id in report.example_ids:
        ex = store.get_example(example_id)
        if example_id in disputed:
            assert not ex.labelled  # conflicts are left for review
        else:
            assert ex.labels == [gold(ex.text)]
            assert ex.label_source == "argilla" and ex.annotator == "ann1,ann2"
    assert store.stats("spam").by_label_source["argilla"] == 6

    # Idempotent: a second pull changes nothing.
    history = {i: len(store.label_history(i)) for i in report.example_ids}
    again = pull_annotations(store, "spam", name, settings=settings, argilla=argilla)
    assert again.changed == 0 and again.unchanged == 6 and len(again.unresolved) == 2
    assert {i: len(store.label_history(i)) for i in report.example_ids} == history

    # The next push leaves out what is already in the dataset (conflicts included).
    more = push_for_annotation(
        store,
        "spam",
        name,
        limit=10,
        strategy="unlabelled",
        suggest_with=False,
        with_vectors=False,
        settings=settings,
        argilla=argilla,
    )
    assert more.already_pushed == 2 and more.candidates == 4 and more.pushed == 4
    assert not set(more.example_ids) & set(report.example_ids)
    assert more.suggestions == 0


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_policies_kept_labels_and_fallbacks(
    argilla_stack: Settings, store: ExampleStore, fake_vectors
) -> None:
    settings, name = argilla_stack, _dataset()
    argilla = argilla_sync.client(settings)
    # A stored auto-label suggestion is used when no suggester is given and nothing is trained.
    first = store.unlabelled("spam")[0]
    store.add_suggestion(first.id, "SPAM", agent="similarity:test", score=0.8)

    report = push_for_annotation(
        store,
        "spam",
        name,
        limit=4,
        strategy="uncertain",
        annotators=["ann1", "ann2"],
        annotator_password=ANNOTATOR_PASSWORD,
        min_submitted=2,
        settings=settings,
        argilla=argilla,
    )
    assert report.strategy == "unlabelled" and any("uncertainty" in n for n in report.notes)
    assert report.example_ids == [ex.id for ex in store.unlabelled("spam")[:4]]
    assert report.suggestions == 1 and report.agent == "similarity:test"
    ids = report.example_ids

    # Only ann1 answers: with min_submitted=2 the majority policy waits, "any" accepts.
    submit_as(
        "ann1",
        {str(i): "SPAM" for i in ids},
        dataset=name,
        password=ANNOTATOR_PASSWORD,
        settings=settings,
    )
    store.set_label(ids[3], "HAM", source="manual", annotator="lead")  # fixed meanwhile
    waiting = pull_annotations(store, "spam", name, settings=settings, argilla=argilla)
    assert sorted(waiting.awaiting) == sorted(ids) and waiting.changed == 0
    assert math.isnan(waiting.agreement["value"])
    anyone = pull_annotations(store, "spam", name, policy="any", settings=settings)
    assert [d["example_id"] for d in anyone.labelled] == ids[:3]
    assert anyone.kept == [ids[3]]
    assert store.get_example(ids[3]).labels == ["HAM"]  # not overwritten
    assert store.get_example(ids[0]).annotator == "ann1"

    # ann2 disagrees on ids[0]: the earlier label becomes a conflict and is cleared.
    submit_as(
        "ann2",
        {str(ids[0]): "HAM", str(ids[1]): "SPAM", str(ids[2]): "SPAM"},
        dataset=name,
        password=ANNOTATOR_PASSWORD,
        settings=settings,
    )
    after = pull_annotations(store, "spam", name, policy="any", settings=settings)
    assert after.cleared == [ids[0]] and not store.get_example(ids[0]).labelled
    assert {d["example_id"] for d in after.labelled} == {ids[1], ids[2]}  # now by both
    assert store.get_example(ids[1]).annotator == "ann1,ann2"
    final = pull_annotations(store, "spam", name, policy="any", settings=settings)
    assert final.changed == 0

    with pytest.raises(LookupError):
        pull_annotations(store, "spam", "no-such-dataset", settings=settings, argilla=argilla)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_cli_push_and_pull(argilla_stack: Settings, tmp_path, monkeypatch, fake_vectors) -> None:
    from typer.testing import CliRunner

    from modlab.annotation.loop_cli import annotate_app
    from modlab.settings import get_settings

    for key in ("argilla_url", "argilla_engine_port", "argilla_redis_port"):
        monkeypatch.setenv(f"MODLAB_{key.upper()}", str(getattr(argilla_stack, key)))
    monkeypatch.setenv("MODLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    store = ExampleStore()
    store.create_model("cli-spam", {"SPAM": "Ads.", "HAM": "The rest."}, neutral="HAM")
    store.import_texts("cli-spam", TEXTS[:5])
    name, annotator = _dataset(), f"cli{uuid.uuid4().hex[:8]}"

    runner = CliRunner()
    pushed = runner.invoke(
        annotate_app,
        ["push", "cli-spam", "--dataset", name, "-n", "3", "--suggest", "none", "-a", annotator],
    )
    assert pushed.exit_code == 0, pushed.output
    assert "Pushed 3 of 5" in pushed.output and "/dataset/" in pushed.output
    submit_as(annotator, lambda r: "SPAM", dataset=name, settings=get_settings())
    pulled = runner.invoke(annotate_app, ["pull", "cli-spam", "--dataset", name])
    assert pulled.exit_code == 0, pulled.output
    assert "labelled      3" in pulled.output
    assert store.count("cli-spam", labelled=True) == 3
    bad = runner.invoke(annotate_app, ["push", "cli-spam", "--strategy", "best"])
    assert bad.exit_code == 1


def test_push_validates_arguments(store: ExampleStore) -> None:
    with pytest.raises(ValueError, match="strategy"):
        push_for_annotation(store, "spam", strategy="best")
    with pytest.raises(ValueError, match="limit"):
        push_for_annotation(store, "spam", limit=0)
    with pytest.raises(ValueError, match="policy"):
        pull_annotations(store, "spam", policy="vote")
    assert loop.STRATEGIES == ("uncertain", "unlabelled", "random")


# --------------------------------------------------------------------------- push without Argilla


class _FakeDataset:
    id = "0000"


@pytest.fixture
def fake_argilla(monkeypatch):
    """Capture what would be sent to Argilla (selection and suggestion logic only)."""
    sent: dict = {}

    def push_records(name, schema, records, **kwargs):
        sent.update(name=name, schema=schema, records=records, **kwargs)
        return _FakeDataset()

    monkeypatch.setattr(loop, "_client", lambda settings, argilla: object())
    monkeypatch.setattr(loop, "_lookup_dataset", lambda argilla, name, workspace: None)
    monkeypatch.setattr(argilla_sync, "push_records", push_records)
    return sent


def test_random_strategy_is_repeatable(store: ExampleStore, fake_argilla) -> None:
    first = push_for_annotation(
        store,
        "spam",
        "a",
        limit=5,
        strategy="random",
        seed=3,
        suggest_with=False,
        with_vectors=False,
    )
    assert first.strategy == "random" and len(first.example_ids) == 5
    assert [r["id"] for r in fake_argilla["records"]] == [str(i) for i in first.example_ids]
    assert fake_argilla["suggestions"] == {} and fake_argilla["vectors"] is None
    other = push_for_annotation(
        store,
        "spam",
        "b",
        limit=5,
        strategy="random",
        seed=3,
        suggest_with=False,
        with_vectors=False,
    )
    assert other.example_ids == first.example_ids  # same seed, other dataset: same sample
    rest = push_for_annotation(
        store,
        "spam",
        "a",
        limit=50,
        strategy="random",
        seed=3,
        suggest_with=False,
        with_vectors=False,
    )
    assert rest.pushed == 7 and not set(rest.example_ids) & set(first.example_ids)


def test_champion_suggests_once_trained(store: ExampleStore, fake_argilla, monkeypatch) -> None:
    import sys
    import types

    import modlab.training

    calls = []

    def load_champion(model):
        calls.append(model)
        return FakePredictor(), {}, ["HAM", "SPAM"], 3

    # A stand-in for modlab.training.tracking (importing MLflow takes long).
    fake = types.SimpleNamespace(load_champion=load_champion)
    monkeypatch.setitem(sys.modules, "modlab.training.tracking", fake)
    monkeypatch.setattr(modlab.training, "tracking", fake, raising=False)
    untrained = push_for_annotation(store, "spam", "x", limit=2, with_vectors=False)
    assert calls == [] and untrained.strategy == "unlabelled" and untrained.suggestions == 0
    store.mark_trained("spam", 1)
    trained = push_for_annotation(store, "spam", "y", limit=3, with_vectors=False)
    assert calls == ["spam"] and trained.strategy == "uncertain"
    assert trained.agent == "model:spam@v3" and trained.suggestions == 3
    spec = fake_argilla["suggestions"][str(trained.example_ids[0])]
    assert spec["label"] in ("HAM", "SPAM") and 0.5 <= spec["score"] <= 0.95
    assert fake_argilla["records"][0]["metadata"]["uncertainty"] == pytest.approx(1.0)


class FakeMultiPredictor:
    labels_ = ["LINK", "PRIZE"]
    multi_label_ = True

    def predict_proba(self, texts):
        return np.array(
            [[0.9 if "call" in t else 0.1, 0.8 if "prize" in t else 0.2] for t in texts]
        )

    def flags(self, texts):
        return self.predict_proba(texts) >= 0.5


def test_multi_label_suggestions(tmp_path, fake_argilla) -> None:
    store = ExampleStore(f"sqlite:///{tmp_path / 'multi.db'}")
    store.create_model(
        "promo", {"LINK": "Has a call to action.", "PRIZE": "Prize bait."}, multi_label=True
    )
    store.import_texts("promo", ["win a prize, call now", "a prize for you", "hello there"])
    report = push_for_annotation(
        store,
        "promo",
        strategy="unlabelled",
        suggest_with=FakeMultiPredictor(),
        with_vectors=False,
    )
    got = {r["text"]: fake_argilla["suggestions"].get(r["id"]) for r in fake_argilla["records"]}
    assert got["win a prize, call now"]["label"] == ["LINK", "PRIZE"]
    assert got["win a prize, call now"]["score"] == pytest.approx([0.9, 0.8])
    assert got["a prize for you"]["label"] == ["PRIZE"]
    assert got["hello there"] is None  # nothing applies: no suggestion
    assert report.suggestions == 2
    stored = store.suggestions("promo")
    assert [s.labels for s in stored] == [["LINK", "PRIZE"], ["PRIZE"]]


def test_vectors_skipped_with_a_note(store: ExampleStore, fake_argilla, monkeypatch) -> None:
    from modlab.annotation import embeddings

    def broken(texts, **kwargs):
        raise RuntimeError("no encoder here")

    monkeypatch.setattr(embeddings, "encode", broken)
    report = push_for_annotation(store, "spam", limit=2, suggest_with=False)
    assert report.vector_dimensions is None and fake_argilla["vectors"] is None
    assert any("no vectors" in note for note in report.notes)


def test_pull_decides_without_argilla(store: ExampleStore, monkeypatch) -> None:
    """Pull logic on canned responses: majority of three, tie, schema-foreign answer, unknown."""
    from types import SimpleNamespace

    ids = [ex.id for ex in store.unlabelled("spam")[:3]]
    rows = []

    def answer(record_id, user, label, status="submitted"):
        rows.append(
            {
                "record_id": str(record_id),
                "user": user,
                "label": label,
                "status": status,
                "text": f"text {record_id}",
            }
        )

    for user, label in (("a", "SPAM"), ("b", "SPAM"), ("c", "HAM")):
        answer(ids[0], user, label)
    answer(ids[1], "a", "SPAM")
    answer(ids[1], "b", "HAM")
    answer(ids[2], "a", "EGGS")
    answer(ids[2], "b", "EGGS")
    answer(999_999, "a", "SPAM")
    answer(ids[0], "d", None, status="draft")
    dataset = SimpleNamespace(
        settings=SimpleNamespace(distribution=SimpleNamespace(min_submitted=2))
    )
    monkeypatch.setattr(loop, "_client", lambda settings, argilla: object())
    monkeypatch.setattr(loop, "_lookup_dataset", lambda argilla, name, workspace: dataset)
    monkeypatch.setattr(argilla_sync, "pull_responses", lambda name, **kw: list(rows))

    report = pull_annotations(store, "spam")
    assert report.responses == {"submitted": 8, "draft": 1}
    assert report.labelled == [
        {"example_id": ids[0], "labels": ["SPAM"], "annotators": ["a", "b"], "decision": "majority"}
    ]
    assert store.get_example(ids[0]).annotator == "a,b"
    assert [(c["example_id"], c["resolved"]) for c in report.conflicts] == [
        (ids[0], "SPAM"),
        (ids[1], None),
    ]
    assert [i["example_id"] for i in report.invalid] == [ids[2]]
    assert report.unknown_records == ["999999"]
    assert report.agreement["method"] == "krippendorff_alpha"
    assert "majority" in report.summary() or "labelled      1" in report.summary()
    assert pull_annotations(store, "spam").changed == 0
    unanimous = pull_annotations(store, "spam", policy="unanimous")
    assert unanimous.cleared == [ids[0]] and not store.get_example(ids[0]).labelled
