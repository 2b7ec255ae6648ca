"""Label hierarchies: a subcategory's score never exceeds its parent's."""

from __future__ import annotations

import numpy as np
import pytest

from modlab.analyzers.builtin import BUILTIN_LABELS
from modlab.training import train_model
from modlab.training.hierarchy import apply_parents, check_parents, slash_parents
from modlab.training.predictor import Predictor


def test_slash_names_point_at_their_nearest_labelled_ancestor():
    parents = slash_parents(BUILTIN_LABELS["openai"])
    assert parents == {
        "sexual/minors": "sexual",
        "harassment/threatening": "harassment",
        "hate/threatening": "hate",
        "self-harm/intent": "self-harm",
        "self-harm/instructions": "self-harm",
        "violence/graphic": "violence",
    }
    assert slash_parents(["a", "a/b", "a/b/c", "x/y"]) == {"a/b": "a", "a/b/c": "a/b"}
    assert slash_parents(["a", "a/b/c"]) == {"a/b/c": "a"}  # skips a missing level
    assert slash_parents(["TOXICITY", "NEUTRAL"]) == {}


@pytest.mark.parametrize(
    ("parents", "message"),
    [
        ({"a/b": "z"}, "unknown labels \\['z'\\]"),
        ({"a/b": "NEUTRAL"}, "neutral label"),
        ({"a": "a"}, "its own parent"),
        ({"a": "a/b", "a/b": "a"}, "cycle"),
    ],
)
def test_bad_hierarchies_are_refused_with_the_reason(parents, message):
    with pytest.raises(ValueError, match=message):
        check_parents(parents, ["a", "a/b", "NEUTRAL"], "NEUTRAL")


def test_parents_are_raised_to_their_highest_descendant():
    labels = ["a", "a/b", "a/b/c", "d"]
    proba = np.array([[0.1, 0.2, 0.9, 0.3], [0.8, 0.1, 0.05, 0.4]])
    out = apply_parents(proba, labels, slash_parents(labels))
    assert out.tolist() == [[0.9, 0.9, 0.9, 0.3], [0.8, 0.1, 0.05, 0.4]]
    assert proba[0, 0] == 0.1  # the input is left alone
    assert apply_parents(proba, labels, {}) is proba


THREATS = ("I will break your legs", "I am going to hurt you badly", "you will bleed tonight",
           "I will burn your house down", "watch your back, I am coming for you")  # fmt: skip
INSULTS = ("you are a disgusting idiot", "what a stupid moron you are", "shut up you clown",
           "you are pathetic and useless", "nobody likes you, loser")  # fmt: skip
HARMLESS = ("the weather is nice today", "I bought bread and milk", "the meeting moved to noon",
            "see you at the station at five", "thanks for the lovely dinner",
            "the train was late again", "my sister visits on sunday",
            "we painted the kitchen")  # fmt: skip
LABELS = ["harassment", "harassment/threatening", "NEUTRAL"]


def _train(**kwargs):
    rows = ([(t, ["harassment", "harassment/threatening"]) for t in THREATS] * 5
            + [(t, ["harassment"]) for t in INSULTS] * 5
            + [(t, ["NEUTRAL"]) for t in HARMLESS] * 5)  # fmt: skip
    return train_model(
        "harassment", [t for t, _ in rows], [y for _, y in rows], LABELS, multi_label=True,
        log=False, register=False, test_size=0.2, val_size=0.2, **kwargs,
    )  # fmt: skip


def test_a_trained_hierarchy_raises_the_parent_in_thresholds_and_the_saved_model(tmp_path):
    result = _train(label_parents=slash_parents(LABELS))
    predictor = result.predictor
    assert predictor.label_parents == {"harassment/threatening": "harassment"}
    assert '"harassment/threatening": "harassment"' in result.params["label_parents"]
    texts = [*THREATS, *INSULTS, "I will find you", "see you tomorrow", "hurt"]
    flat = Predictor(predictor.model, predictor.calibrator, predictor.thresholds)
    raw, scored = flat.predict_proba(texts), predictor.predict_proba(texts)
    parent, child = LABELS.index("harassment"), LABELS.index("harassment/threatening")
    assert np.allclose(scored[:, parent], np.maximum(raw[:, parent], raw[:, child]))
    assert np.array_equal(scored[:, child], raw[:, child])
    assert (scored[:, parent] >= scored[:, child]).all()
    loaded = Predictor.load(predictor.save(tmp_path / "m"))
    assert loaded.label_parents == predictor.label_parents
    assert loaded.predict_proba(texts).tolist() == scored.tolist()
    meta = tmp_path / "m" / "predictor.json"  # a hand-edited hierarchy fails on load
    meta.write_text(meta.read_text().replace('"harassment/threatening": "harassment"',
                                             '"harassment/threatening": "abuse"'))  # fmt: skip
    with pytest.raises(ValueError, match="unknown labels \\['abuse'\\]"):
        Predictor.load(tmp_path / "m")


def test_a_hierarchy_needs_a_multi_label_model_and_known_labels():
    texts = [*THREATS, *INSULTS, *HARMLESS] * 3
    labels = ["harassment/threatening"] * 15 + ["harassment"] * 15 + ["NEUTRAL"] * 24
    with pytest.raises(ValueError, match="multi-label"):
        train_model("x", texts, labels, LABELS, log=False, register=False,
                    label_parents=slash_parents(LABELS))  # fmt: skip
    with pytest.raises(ValueError, match="unknown labels"):
        _train(label_parents={"harassment/threatening": "threats"})
