import numpy as np
import pytest

from modlab.training.labels import decode_labels, encode_labels, targets_for_fit
from modlab.training.review import review_dataset


def test_encode_single_label_names_indices_and_missing():
    Y, names, mask = encode_labels(["SPAM", None, "NEUTRAL", 1], ["NEUTRAL", "SPAM"])
    assert names == ["NEUTRAL", "SPAM"]
    assert mask.tolist() == [True, False, True, True]
    assert Y.tolist() == [[0, 1], [0, 0], [1, 0], [0, 1]]
    assert targets_for_fit(Y[mask], False).tolist() == [1, 0, 1]


def test_encode_multi_label_and_roundtrip():
    labels = [["A", "C"], [], ["B"], None]
    Y, names, mask = encode_labels(labels, multi_label=True)
    assert names == ["A", "B", "C"]
    assert Y.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert mask.tolist() == [True, True, True, False]
    assert decode_labels(Y[:3], names, True) == [["A", "C"], [], ["B"]]


def test_encode_rejects_unknown_label_and_lists_in_single_label():
    with pytest.raises(ValueError, match="unknown label"):
        encode_labels(["X"], ["A", "B"])
    with pytest.raises(ValueError, match="multi_label=True"):
        encode_labels([["A"]], ["A", "B"])
    with pytest.raises(ValueError, match="out of range"):
        encode_labels([2], ["A", "B"])


def test_review_counts_duplicates_and_lengths():
    texts = ["hello there", "Hello  there", "buy now", "abc", "", "buy now"]
    labels = ["NEUTRAL", "SPAM", "SPAM", None, "NEUTRAL", "SPAM"]
    r = review_dataset(texts, labels, ["NEUTRAL", "SPAM"], min_examples=2)
    assert (r.total, r.annotated, r.unannotated) == (6, 5, 1)
    assert r.label_counts == {"NEUTRAL": 2, "SPAM": 3}
    # "hello there" twice (case/space-insensitive) + "buy now" twice
    assert r.duplicate_texts == 2 and r.duplicate_groups == 2
    assert r.conflicting_duplicates == 1  # "hello there" is NEUTRAL once and SPAM once
    assert r.empty_texts == 1
    assert r.length_stats["max"] == 12 and r.length_stats["min"] == 0
    assert sum(r.length_histogram["counts"]) == 6
    assert r.imbalance_ratio == pytest.approx(1.5)
    assert not any("fewer than" in w for w in r.warnings)
    assert any("not annotated" in w for w in r.warnings)
    assert any("conflicting" in w for w in r.warnings)
    assert r.label_table().loc["SPAM", "examples"] == 3


def test_review_warns_on_small_labels_and_imbalance():
    texts = [f"t{i}" for i in range(1200)]
    labels = ["NEUTRAL"] * 1100 + ["SPAM"] * 100
    r = review_dataset(texts, labels)
    assert r.imbalance_ratio == pytest.approx(11.0)
    assert any("imbalanced" in w for w in r.warnings)
    assert not any("fewer than 100" in w for w in r.warnings)  # exactly 100 is enough

    r2 = review_dataset(texts[:1199], labels[:1199])
    assert any("'SPAM' has 99 examples" in w for w in r2.warnings)


def test_review_multilabel_and_plot():
    r = review_dataset(["a", "b", "c"], [["X"], ["X", "Y"], []], multi_label=True, min_examples=1)
    assert r.label_counts == {"X": 2, "Y": 1}
    fig = r.plot_lengths()
    assert len(fig.axes) == 1
    assert np.isclose(r.to_dict()["imbalance_ratio"], 2.0)
