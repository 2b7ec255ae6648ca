"""Model definitions and label schemas: validation, parsing, versions, freezing."""

from __future__ import annotations

import pytest

from modlab.data import (
    ExampleStore,
    FrozenLabelsError,
    LabelError,
    LabelSchema,
    LabelSpec,
    SchemaError,
    UnknownModelError,
    get_schema,
    mark_trained,
)


def test_single_label_model_gets_an_explicit_neutral_label(store):
    schema = store.create_model(
        "toxic",
        [
            {"name": "TOXIC", "description": "Insults and threats", "examples": ["you idiot"]},
            ("PROFANE", "Swearing"),
        ],
    )
    assert schema.names == ["TOXIC", "PROFANE", "NEUTRAL"]  # appended last: indices kept
    assert schema.neutral == "NEUTRAL" and schema.flag_labels == ["TOXIC", "PROFANE"]
    assert schema.labels[0] == LabelSpec("TOXIC", "Insults and threats", ("you idiot",))
    assert schema.version == 1 and not schema.frozen and schema.type == "single-label"
    assert schema.name == "toxic"
    assert store.get_schema("toxic") == schema


def test_neutral_can_be_one_of_the_labels_or_absent(store):
    s1 = store.create_model("spam", ["ham", "spam"], neutral="HAM")
    assert s1.names == ["ham", "spam"] and s1.neutral == "ham"
    s2 = store.create_model("lang-style", ["FORMAL", "INFORMAL"], neutral=None)
    assert s2.names == ["FORMAL", "INFORMAL"] and s2.neutral is None


def test_multi_label_neutral_is_the_empty_set(store):
    schema = store.create_model("topics", ["SPORT", "MONEY"], multi_label=True)
    assert schema.names == ["SPORT", "MONEY"] and schema.neutral == "NEUTRAL"
    assert schema.parse("NEUTRAL") == [] and schema.parse([]) == []
    with pytest.raises(SchemaError, match="no 'NEUTRAL' label"):
        store.create_model("topics2", ["SPORT", "NEUTRAL"], multi_label=True)


@pytest.mark.parametrize(
    ("name", "labels", "match"),
    [
        ("Bad Name", ["A", "B"], "invalid model name"),
        ("toxicity", ["A", "B"], "reserved"),
        ("ok", ["A", "a"], "duplicate label"),
        ("ok", ["A", "2"], "would read as a label index"),
        ("ok", ["A,B"], "invalid label name"),
        ("ok", [], "at least one label"),
        ("ok", "A,B", "list of names"),
        ("ok", [{"name": "A", "colour": "red"}], "unknown label field"),
    ],
)
def test_invalid_definitions(store, name, labels, match):
    with pytest.raises(SchemaError, match=match):
        store.create_model(name, labels)


def test_builtin_builds_may_use_reserved_names(store):
    assert store.create_model("toxicity", ["TOXICITY", "PROFANITY"], builtin=True).names == [
        "TOXICITY",
        "PROFANITY",
        "NEUTRAL",
    ]


def test_model_names_are_unique(store):
    store.create_model("spam", ["SPAM"])
    with pytest.raises(SchemaError, match="already exists"):
        store.create_model("spam", ["OTHER"])
    with pytest.raises(UnknownModelError, match="no model 'nope'; models: spam"):
        store.get_schema("nope")


def test_label_parsing():
    schema = LabelSchema("m", 1, False, (LabelSpec("HAM"), LabelSpec("SPAM")), neutral="HAM")
    assert schema.parse(0) == ["HAM"]
    assert schema.parse("1") == ["SPAM"]
    assert schema.parse(1.0) == ["SPAM"]
    assert schema.parse(" spam ") == ["SPAM"]
    assert schema.parse(["SPAM"]) == ["SPAM"]
    for empty in (None, "", "  ", float("nan")):
        assert schema.parse(empty) is None
    for bad, match in [
        (2, "out of range 0..1"),
        (-1, "out of range"),
        (0.5, "not a whole number"),
        ("eggs", "unknown label 'eggs'"),
        (True, "boolean"),
        (["HAM", "SPAM"], "2 labels given to a single-label model"),
    ]:
        with pytest.raises(LabelError, match=match):
            schema.parse(bad)
    import numpy as np
    import pandas as pd

    assert schema.parse(np.int64(1)) == ["SPAM"]
    assert schema.parse(pd.NA) is None


def test_versions_rename_and_removal(store):
    store.create_model("tox", ["TOXIC", "RUDE"])
    ids = [store.add_example("tox", "you fool", "RUDE"), store.add_example("tox", "hi", 2)]
    v2 = store.update_labels(
        "tox", [("TOXIC", "Hurtful"), ("INSULT", "Name-calling")], rename={"rude": "INSULT"}
    )
    assert v2.version == 2 and v2.names == ["TOXIC", "INSULT", "NEUTRAL"]
    assert store.get_example(ids[0]).labels == ["INSULT"]
    assert store.get_schema("tox", version=1).names == ["TOXIC", "RUDE", "NEUTRAL"]
    assert [s.version for s in store.schema_versions("tox")] == [1, 2]
    # No change: no new version.
    assert store.update_labels("tox", list(v2.labels)).version == 2
    # A label still used by examples cannot silently disappear.
    with pytest.raises(SchemaError, match=r"INSULT \(1 examples\)"):
        store.update_labels("tox", ["TOXIC"])
    assert store.get_schema("tox").version == 2


def test_trained_labels_are_frozen(store, db_url):
    store.create_model("spam", {"SPAM": "ads", "HAM": "the rest"}, neutral="HAM")
    frozen = mark_trained("spam", 1, run_id="run-123", db=db_url)
    assert frozen.trained and frozen.training_run == "run-123" and frozen.frozen
    assert get_schema("spam", db=db_url).frozen
    for labels, kwargs in [
        (["SPAM", "HAM", "SCAM"], {}),  # adding
        (["HAM", "SPAM"], {}),  # reordering (indices would change)
        (["JUNK", "HAM"], {"rename": {"SPAM": "JUNK"}}),  # renaming
        (["SPAM", "HAM"], {"neutral": None}),  # dropping the neutral label
    ]:
        with pytest.raises(FrozenLabelsError, match="derive_model"):
            store.update_labels("spam", labels, **kwargs)
    # Descriptions may still be refined: a new version with the same labels.
    v2 = store.update_labels("spam", {"SPAM": "Unsolicited ads and scams", "HAM": "the rest"})
    assert v2.version == 2 and v2.names == ["SPAM", "HAM"] and v2.frozen and not v2.trained
    with pytest.raises(SchemaError, match="no label schema v7"):
        store.mark_trained("spam", 7)


def test_derive_model_maps_labels(store):
    store.create_model("spam", ["SPAM", "SCAM"], neutral="HAM")
    a = store.add_example("spam", "win a prize", "SPAM")
    store.add_example("spam", "send your PIN", "SCAM")
    store.add_example("spam", "lunch?", "HAM")
    store.add_example("spam", "unlabelled text")
    store.mark_trained("spam", 1)
    new = store.derive_model(
        "spam", "spam-v2", labels=["JUNK", "HAM"], rename={"SPAM": "JUNK"}, neutral="HAM"
    )
    assert new.names == ["JUNK", "HAM"] and not new.frozen
    got = {e.text: e.labels for e in store.examples("spam-v2")}
    assert got == {
        "win a prize": ["JUNK"],
        "send your PIN": None,  # SCAM has no counterpart: back to unlabelled
        "lunch?": ["HAM"],
        "unlabelled text": None,
    }
    derived = store.find_example("spam-v2", "win a prize")
    assert derived.meta["derived_from"] == {"model": "spam", "example_id": a}
    assert store.get_example(a).labels == ["SPAM"]  # the source is untouched


def test_list_and_delete_models(store):
    store.create_model("b-model", ["X", "Y"], neutral=None)
    store.create_model("a-model", ["X"], multi_label=True)
    store.add_example("a-model", "text", ["X"])
    infos = store.list_models()
    assert [m.name for m in infos] == ["a-model", "b-model"]
    assert infos[0].type == "multi-label" and infos[0].examples == 1 and infos[0].labelled == 1
    store.delete_model("a-model")
    assert [m.name for m in store.list_models()] == ["b-model"]


def test_store_uses_settings_database(monkeypatch, tmp_path):
    from modlab.settings import get_settings

    monkeypatch.setenv("MODLAB_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    get_settings.cache_clear()
    store = ExampleStore()
    store.create_model("spam", ["SPAM"])
    assert (tmp_path / "env.db").exists()
    assert mark_trained("spam", 1).trained
