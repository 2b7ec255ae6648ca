import numpy as np
import pytest

from modlab.training.thresholds import (
    calibrate_thresholds,
    decide,
    find_threshold,
    flag_matrix,
)

Y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
S = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.1])


def test_max_f1():
    c = find_threshold(Y, S, "f1")
    # at 0.6: TP 4, FP 1 → P 0.8, R 1, F1 8/9 (better than 0.8: P 1, R 0.75, F1 6/7)
    assert c.threshold == pytest.approx(0.5)  # halfway between 0.6 and the next score 0.4
    assert c.f1 == pytest.approx(8 / 9)
    assert (c.precision, c.recall) == pytest.approx((0.8, 1.0))
    assert c.achieved


def test_target_precision_takes_most_recall():
    c = find_threshold(Y, S, "precision", 1.0)
    assert c.threshold == pytest.approx(0.75) and c.recall == pytest.approx(0.75) and c.achieved
    assert find_threshold(Y, S, "precision", 0.8).threshold == pytest.approx(0.5)


def test_target_recall_takes_most_precision_and_highest_threshold_on_ties():
    assert find_threshold(Y, S, "recall", 1.0).threshold == pytest.approx(0.5)
    c = find_threshold(Y, S, "recall", 0.5)
    assert c.threshold == pytest.approx(0.85) and c.precision == 1.0


def test_unreachable_precision_is_reported():
    c = find_threshold([0, 1], [0.9, 0.1], "precision", 0.9)
    assert not c.achieved
    assert c.threshold == 0.1 and c.precision == pytest.approx(0.5)  # lowest score: kept


def test_reported_figures_are_what_the_threshold_gives():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    for objective, target in [("f1", None), ("precision", 0.9), ("recall", 0.8)]:
        c = find_threshold(y, s, objective, target)
        pred = s >= c.threshold
        tp = (pred & (y == 1)).sum()
        assert c.precision == pytest.approx(tp / pred.sum())
        assert c.recall == pytest.approx(tp / y.sum())


def test_no_positives_keeps_default():
    c = find_threshold([0, 0, 0], [0.9, 0.2, 0.1], "f1")
    assert c.threshold == 0.5 and not c.achieved and c.support == 0


def test_target_required():
    with pytest.raises(ValueError, match="target"):
        find_threshold(Y, S, "precision")


def test_calibrate_thresholds_skips_neutral_and_uses_per_label_targets():
    names = ["NEUTRAL", "SPAM", "SCAM"]
    Yv = np.stack([1 - Y, Y, Y], axis=1)
    proba = np.stack([1 - S, S, S], axis=1)
    out = calibrate_thresholds(Yv, proba, names, targets={"SCAM": ("precision", 1.0)})
    assert set(out) == {"SPAM", "SCAM"}
    assert out["SPAM"].threshold == pytest.approx(0.5)
    assert out["SCAM"].threshold == pytest.approx(0.75)
    assert out["SCAM"].label == "SCAM"
    with pytest.raises(ValueError, match="never thresholded"):
        calibrate_thresholds(Yv, proba, names, targets={"NEUTRAL": "f1"})


def test_flag_rule_is_greater_or_equal_and_never_neutral():
    names = ["NEUTRAL", "SPAM"]
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7]])
    flags = flag_matrix(proba, names, {"SPAM": 0.6})
    assert flags.tolist() == [[False, False], [False, True], [False, True]]


def test_decide_single_label_with_thresholds():
    names = ["NEUTRAL", "TOXIC", "SPAM"]
    proba = np.array([[0.5, 0.3, 0.2], [0.2, 0.35, 0.45], [0.1, 0.5, 0.4], [0.6, 0.1, 0.3]])
    pred = decide(proba, names, False, {"TOXIC": 0.3, "SPAM": 0.5})
    # row0: TOXIC passes (0.3 ≥ 0.3) → TOXIC; row1: only TOXIC passes → TOXIC;
    # row2: TOXIC passes → TOXIC; row3: nothing passes → NEUTRAL
    assert pred.argmax(axis=1).tolist() == [1, 1, 1, 0]
    assert decide(proba, names, False).argmax(axis=1).tolist() == [0, 2, 1, 0]


def test_decide_multilabel_neutral_column_when_nothing_flags():
    names = ["A", "NEUTRAL", "B"]
    proba = np.array([[0.7, 0.9, 0.2], [0.1, 0.1, 0.1]])
    assert decide(proba, names, True).tolist() == [[1, 0, 0], [0, 1, 0]]
