"""The notebook-06 views over recipes, held-out sets and evaluation results (synthetic data)."""

from __future__ import annotations

import json
import math

import pandas as pd

from modlab.builtin import report as rp
from modlab.builtin.datasets import BUILDABLE, NO_DATA_LABELS, EvalSet, Recipe


def _toxicity() -> Recipe:
    return Recipe(
        name="toxicity",
        label_names=("TOXICITY", "PROFANITY", "DISCRIMINATION", "NEUTRAL"),
        multi_label=True,
        neutral_label="NEUTRAL",
        texts=["you idiot", "damn idiot", "they are vermin", "hello there", "nice day", "x" * 300],
        labels=[
            ["TOXICITY"],
            ["TOXICITY", "PROFANITY"],
            ["TOXICITY", "DISCRIMINATION"],
            ["NEUTRAL"],
            ["NEUTRAL"],
            ["TOXICITY"],
        ],
        sources=["davidson", "davidson", "toxigen", "hard_negative", "tweets", "davidson"],
    )


def _quality() -> Recipe:
    return Recipe(
        name="quality",
        label_names=("SPAM", "INCOHERENT", "UNSUBSTANTIAL", "NEUTRAL"),
        multi_label=False,
        neutral_label="NEUTRAL",
        texts=["WIN now", "asdf qwer", "ok", "see you at 5"],
        labels=["SPAM", "INCOHERENT", "UNSUBSTANTIAL", "NEUTRAL"],
        sources=["sms", "generated", "replies", "sms"],
    )


def test_label_counts_per_recipe_and_side_by_side():
    tox = rp.label_counts_frame(_toxicity())
    assert tox["examples"].to_dict() == {
        "TOXICITY": 4,
        "PROFANITY": 1,
        "DISCRIMINATION": 1,
        "NEUTRAL": 2,
    }
    assert tox.loc["TOXICITY", "share of rows"] == round(4 / 6, 3)
    assert not tox["no data"].any()

    table = rp.label_counts_table({"toxicity": _toxicity(), "quality": _quality()})
    assert list(table.columns) == ["toxicity", "quality"]
    assert list(table.index[:4]) == ["TOXICITY", "PROFANITY", "DISCRIMINATION", "NEUTRAL"]
    assert table.loc["(rows)"].tolist() == [6, 4]
    assert table.loc["NEUTRAL"].tolist() == [2, 1]  # shared label, one row
    assert pd.isna(table.loc["SPAM", "toxicity"]) and table.loc["SPAM", "quality"] == 1
    assert rp.label_counts_table({}).empty


def test_labels_without_data_are_marked():
    r = Recipe(
        name="sightengine",
        label_names=("sexual", "discriminatory", "insulting", "violent", "toxic"),
        multi_label=True,
        neutral_label=None,
        texts=["a", "b"],
        labels=[["insulting", "toxic"], []],
        sources=["davidson", "hard_negative"],
    )
    frame = rp.label_counts_frame(r)
    assert frame["no data"].to_dict() == {
        "sexual": True,
        "discriminatory": True,  # no rows here, though the real recipe has them
        "insulting": False,
        "violent": True,
        "toxic": False,
    }
    table = rp.source_table(r)
    assert table.loc["hard_negative", "(none)"] == 1  # a row with no label at all
    assert table.loc["davidson", "insulting"] == 1 and table.loc["davidson", "rows"] == 1


def test_source_table_counts_rows_per_source_and_label():
    table = rp.source_table(_toxicity())
    assert list(table.columns) == ["TOXICITY", "PROFANITY", "DISCRIMINATION", "NEUTRAL", "rows"]
    assert table.index[0] == "davidson"  # most rows first
    assert table.loc["davidson"].to_dict() == {
        "TOXICITY": 3,
        "PROFANITY": 1,
        "DISCRIMINATION": 0,
        "NEUTRAL": 0,
        "rows": 3,
    }
    single = rp.source_table(_quality())
    assert single.loc["sms", "SPAM"] == 1 and single.loc["sms", "rows"] == 2


def test_example_rows_are_deterministic_and_cut():
    r = _toxicity()
    rows = rp.example_rows(r, per_label=2, seed=3, max_chars=20)
    assert rows.equals(rp.example_rows(r, per_label=2, seed=3, max_chars=20))
    assert rows["label"].value_counts().to_dict() == {
        "TOXICITY": 2,
        "PROFANITY": 1,
        "DISCRIMINATION": 1,
        "NEUTRAL": 2,
    }
    assert rows["text"].str.len().max() <= 20
    assert set(rp.example_rows(_quality(), per_label=5)["label"]) == set(_quality().label_names)


def test_plot_label_counts_has_a_panel_per_recipe():
    fig = rp.plot_label_counts({"toxicity": _toxicity(), "quality": _quality()})
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("toxicity")


def test_concept_map_table_lists_mapped_and_missing_labels():
    table = rp.concept_map_table(
        {"x": {"A": ("hate",), "B": ("offensive", "profane")}}, {"x": ("C",)}
    )
    assert table.to_dict("records") == [
        {"analyzer": "x", "label": "A", "positive when": "hate"},
        {"analyzer": "x", "label": "B", "positive when": "offensive or profane"},
        {"analyzer": "x", "label": "C", "positive when": "no data (scores 0)"},
    ]
    real = rp.concept_map_table()
    for name, labels in NO_DATA_LABELS.items():
        rows = real[(real.analyzer == name) & real["positive when"].str.startswith("no data")]
        assert set(rows.label) == set(labels)


def test_analyzer_overview_marks_analyzers_without_recipe():
    overview = rp.analyzer_overview(buildable=("toxicity",))
    assert overview.loc["toxicity", "recipe"] == "yes"
    assert overview.loc["quality", "recipe"] == rp.NEEDS_LLM_DATA
    default = rp.analyzer_overview()
    assert set(default.index[default.recipe == "yes"]) == set(BUILDABLE)


def test_llm_label_descriptions_and_label_count(tmp_path):
    assert rp.llm_label_descriptions(tmp_path / "missing.json").empty
    assert rp.count_llm_labels(tmp_path / "missing.jsonl") == 0
    schemas = {
        "about": "x",
        "schemas": {
            "content": {
                "multi_label": True,
                "labels": [
                    {"name": "SEXUAL", "description": "explicit", "examples": ["a", "b"]},
                    {"name": "NONE"},
                ],
            },
            "sentiment": {"labels": ["POSITIVE"]},
        },
    }
    path = tmp_path / "llm_schemas.json"
    path.write_text(json.dumps(schemas))
    table = rp.llm_label_descriptions(path)
    assert table.to_dict("records") == [
        {"schema": "content", "label": "SEXUAL", "description": "explicit", "examples": 2},
        {"schema": "content", "label": "NONE", "description": "", "examples": 0},
        {"schema": "sentiment", "label": "POSITIVE", "description": "", "examples": 0},
    ]
    labels = tmp_path / "llm_labels.jsonl"
    labels.write_text('{"text": "a"}\n\n{"text": "b"}\n')
    assert rp.count_llm_labels(labels) == 2


def test_sample_eval_sets_keeps_shared_texts_aligned():
    texts = [f"t{i}" for i in range(50)]
    sets = {
        "hate": EvalSet("hate", texts, [int(i % 10 == 0) for i in range(50)], "hate", "a"),
        "off": EvalSet("off", texts, [int(i % 2 == 0) for i in range(50)], "offensive"),
        "small": EvalSet("small", ["x", "y"], [0, 1], "spam"),
    }
    sample = rp.sample_eval_sets(sets, n=10, seed=1)
    assert sample["hate"].texts == sample["off"].texts and len(sample["hate"].texts) == 10
    assert sample["hate"].y == [int(int(t[1:]) % 10 == 0) for t in sample["hate"].texts]
    assert sample["small"].texts == ["x", "y"] and sample["hate"].anchor == "a"
    assert rp.sample_eval_sets(sets, n=10, seed=1)["off"].texts == sample["off"].texts

    table = rp.eval_sets_table(sets)
    assert table.loc["hate", "positives"] == 5 and table.loc["hate", "positive share"] == 0.1
    assert table.loc["small", "concept"] == "spam"


def _results() -> dict:
    score = {
        "eval_set": "sms_spam",
        "analyzer": "quality",
        "labels": ["SPAM"],
        "n": 100,
        "positives": 10,
        "macro_f1": 0.98,
        "f1": 0.975,
        "precision": 1.0,
        "recall": 0.95,
        "auprc": 0.99,
        "ece": 0.01,
    }
    return {"quality": {"built": True, "sets": [score]}, "toxicity": {"built": False}}


def test_eval_results_file_and_tables(tmp_path):
    assert rp.load_eval_results(tmp_path / "absent.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert rp.load_eval_results(bad) is None
    good = tmp_path / "eval_builtin.json"
    good.write_text(json.dumps(_results()))
    results = rp.load_eval_results(good)
    assert results == _results()

    frame = rp.eval_results_frame(results)
    assert frame.to_dict("records")[0]["labels"] == "SPAM" and len(frame) == 1
    targets = rp.targets_frame(results).set_index("eval set")
    assert targets.loc["sms_spam", "value"] == 0.975 and bool(targets.loc["sms_spam", "met"])
    assert math.isnan(targets.loc["tweeteval_hate", "value"])  # toxicity not built
    assert targets.loc["tweeteval_hate", "met"] is None
    assert rp.eval_results_frame({}).empty


def test_build_metrics_frame_reads_build_json():
    info = {
        "labels": ["SPAM", "NEUTRAL", "OTHER"],
        "no_data_labels": ["OTHER"],
        "thresholds": {"SPAM": 0.4123},
        "metrics": {"f1.SPAM": 0.9, "support.SPAM": 20.0, "ece.SPAM": 0.01, "f1.NEUTRAL": 0.95},
    }
    frame = rp.build_metrics_frame(info)
    assert frame.loc["SPAM", "f1"] == 0.9 and frame.loc["SPAM", "threshold"] == 0.412
    assert math.isnan(frame.loc["NEUTRAL", "threshold"])
    assert bool(frame.loc["OTHER", "no data"]) and not bool(frame.loc["SPAM", "no data"])
    assert rp.build_metrics_frame({}).empty


def test_reliability_figure_draws_a_line_per_curve():
    fig = rp.reliability_figure(
        {"a": ([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), "empty": ([], []), "b": ([1, 0], [0.6, 0.4])}
    )
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0] == "perfectly calibrated" and len(labels) == 3
    assert labels[1].startswith("a (ECE ")


def test_robustness_frame_has_a_row_per_harm_analyzer():
    results = {
        "quality": {"built": True, "sets": []},  # no everyday figures: not a harm analyzer
        "openai": {
            "built": True,
            "everyday": {"sms_ham": {"n": 10, "flagged": 0.0361, "labels": {}},
                         "prose": {"n": 5, "flagged": 0.0, "labels": {}}},
            "long_texts": {"window_chars": 140,
                           "whole": {"seeds_in_prose_f1": 0.03},
                           "windows": {"seeds_in_prose_f1": 0.2904}},
            "evasions": {"clean": 0.57, "leet": 0.4591},
        },
    }  # fmt: skip
    frame = rp.robustness_frame(results)
    assert frame["analyzer"].tolist() == ["openai"]
    row = frame.iloc[0]
    assert row["sms_ham flagged"] == 0.036 and row["prose flagged"] == 0.0
    assert row["whole: seeds_in_prose_f1"] == 0.03 and row["windows: seeds_in_prose_f1"] == 0.29
    assert row["seeds F1, leet"] == 0.459 and row["seeds F1, clean"] == 0.57
    assert "window_chars" not in " ".join(frame.columns)
    assert rp.robustness_frame({}).empty
