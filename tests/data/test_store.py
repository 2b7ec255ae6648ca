"""The ExampleStore API used by training, annotation and auto-labelling."""

from __future__ import annotations

import pytest

from modlab.data import DuplicateExampleError, LabelError


def test_manual_add_edit_and_delete(store, spam):
    ex_id = store.add_example(spam, "  see you at eight ", "HAM", annotator="kim", meta={"k": 1})
    ex = store.get_example(ex_id)
    assert ex.text == "see you at eight" and ex.labels == ["HAM"] and ex.label == "HAM"
    assert ex.label_source == "manual" and ex.annotator == "kim" and ex.source == "manual"
    assert ex.meta == {"k": 1} and ex.created_at is not None

    with pytest.raises(DuplicateExampleError) as info:
        store.add_example(spam, "See you at  EIGHT")
    assert info.value.example_id == ex_id
    with pytest.raises(ValueError, match="longer than 10,000"):
        store.add_example(spam, "x" * 10_001)
    with pytest.raises(LabelError):
        store.add_example(spam, "other", "EGGS")

    other = store.add_example(spam, "call now")
    edited = store.update_example(other, text="Call now for a prize", meta={"edited": True})
    assert edited.text == "Call now for a prize" and edited.meta == {"edited": True}
    with pytest.raises(DuplicateExampleError):
        store.update_example(other, text="see you at eight")
    store.delete_example(other)
    assert [e.id for e in store.examples(spam)] == [ex_id]
    with pytest.raises(KeyError):
        store.get_example(other)


def test_set_label_sources_and_history(store, spam):
    store.import_texts(spam, ["a text", "b text", "c text"])
    a, b, c = (e.id for e in store.unlabelled(spam))
    store.set_label(a, "SPAM", source="argilla", annotator="ann")
    store.set_label(a, 0, source="manual", annotator="bob")  # a correction, by index
    store.set_labels([(b, "spam"), (c, None)], source="autolabel")
    assert store.get_example(a).labels == ["HAM"]
    assert store.get_example(a).label_source == "manual"
    assert store.get_example(b).label_source == "autolabel"
    assert store.get_example(c).labels is None
    history = store.label_history(a)
    assert [(h["labels"], h["source"], h["annotator"]) for h in history] == [
        (["SPAM"], "argilla", "ann"),
        (["HAM"], "manual", "bob"),
    ]
    with pytest.raises(ValueError, match="unknown label source"):
        store.set_label(a, "SPAM", source="guess")
    store.clear_label(a)
    assert [e.id for e in store.unlabelled(spam)] == [a, c]


def test_set_labels_is_all_or_nothing(store, spam):
    store.import_texts(spam, ["a text", "b text"])
    a, b = (e.id for e in store.unlabelled(spam))
    with pytest.raises(LabelError):
        store.set_labels([(a, "SPAM"), (b, "EGGS")])
    assert store.count(spam, labelled=True) == 0


def test_training_data_single_label(store, spam):
    store.import_texts(spam, ["win cash", "lunch at one", "no label yet"], [1, "ham", None])
    texts, labels = store.training_data(spam)
    assert texts == ["win cash", "lunch at one"] and labels == ["SPAM", "HAM"]
    ts = store.training_set(spam)
    assert ts.label_names == ["HAM", "SPAM"] and ts.neutral == "HAM" and ts.schema_version == 1
    assert ts.label_indices() == [1, 0] and len(ts) == 2 and len(ts.example_ids) == 2
    # Only human labels (leave out accepted auto-labels):
    store.set_label(ts.example_ids[0], "SPAM", source="autolabel")
    assert store.training_data(spam, label_sources=["import", "manual", "argilla"])[0] == [
        "lunch at one"
    ]


def test_training_data_multi_label(store, topics):
    store.import_records(
        topics,
        [("goal!", "SPORT"), ("rates up", "MONEY,POLITICS"), ("a poem", "NEUTRAL"), ("?", None)],
    )
    texts, labels = store.training_data(topics)
    assert texts == ["goal!", "rates up", "a poem"]
    assert labels == [["SPORT"], ["POLITICS", "MONEY"], []]
    assert store.training_set(topics).label_indices() == [[0], [1, 2], []]
    assert [e.text for e in store.unlabelled(topics)] == ["?"]
    assert [e.text for e in store.examples(topics, label="money")] == ["rates up"]


def test_suggestions_are_kept_apart_until_accepted(store, spam):
    store.import_texts(spam, ["win a free cruise", "dinner at 7?"])
    a, b = (e.id for e in store.unlabelled(spam))
    ids = store.add_suggestions(
        [
            {"example_id": a, "label": "SPAM", "score": 0.93, "rationale": "prize offer"},
            {"example_id": b, "labels": ["HAM"], "score": 0.8, "label_scores": {"ham": 0.8}},
        ],
        agent="llm:qwen2.5-1.5b",
    )
    other = store.add_suggestion(a, 0, agent="zero-shot", score=0.6)
    assert store.get_example(a).labels is None  # not a human label
    assert store.count(spam, labelled=True) == 0
    sug = store.suggestions(spam, example_id=a)
    assert [(s.label, s.agent, s.score) for s in sug] == [
        ("SPAM", "llm:qwen2.5-1.5b", 0.93),
        ("HAM", "zero-shot", 0.6),
    ]
    assert sug[0].rationale == "prize offer"
    assert store.suggestions(spam, agent="llm:qwen2.5-1.5b")[1].label_scores == {"HAM": 0.8}
    accepted = store.accept_suggestion(ids[0], annotator="reviewer")
    assert accepted.labels == ["SPAM"] and accepted.label_source == "autolabel"
    assert [s.example_id for s in store.suggestions(spam, pending_only=True)] == [b]
    assert other in [s.id for s in store.suggestions(spam)]
    with pytest.raises(ValueError, match="agent is required"):
        store.add_suggestion(a, "SPAM", agent="")


def test_stats(store, spam):
    store.import_texts(spam, ["win cash", "lunch at one", "later"], [1, 0, None])
    store.add_example(spam, "by hand", "HAM")
    stats = store.stats(spam)
    assert (stats.examples, stats.labelled, stats.unlabelled) == (4, 3, 1)
    assert stats.label_distribution == {"HAM": 2, "SPAM": 1}
    assert stats.by_source == {"manual": 1, "records": 3}
    assert stats.by_label_source == {"import": 2, "manual": 1}
    assert stats.imports == 1 and not stats.trained
    assert "fewer than 100" in stats.summary()
    df = store.to_dataframe(spam)
    assert list(df.columns)[:3] == ["id", "text", "labels"] and len(df) == 4
