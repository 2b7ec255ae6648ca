import numpy as np
import pytest

from modlab.training.calibration import ece_noise_floor, expected_calibration_error
from modlab.training.evaluation import evaluate

NAMES = ["NEUTRAL", "SPAM"]
# 3 spam, 5 neutral; SPAM scores below.
TRUE = np.array([1, 1, 1, 0, 0, 0, 0, 0])
SPAM = np.array([0.9, 0.6, 0.3, 0.8, 0.2, 0.1, 0.4, 0.05])


def _binary():
    Y = np.stack([1 - TRUE, TRUE], axis=1)
    proba = np.stack([1 - SPAM, SPAM], axis=1)
    return Y, proba


def test_metrics_match_hand_computed_values():
    Y, proba = _binary()
    r = evaluate(Y, proba, NAMES, multi_label=False, texts=[f"t{i}" for i in range(8)])
    # argmax: SPAM predicted for rows 0, 1, 3 → TP 2, FP 1, FN 1
    assert r.per_label.loc["SPAM", "precision"] == pytest.approx(2 / 3)
    assert r.per_label.loc["SPAM", "recall"] == pytest.approx(2 / 3)
    assert r.per_label.loc["SPAM", "f1"] == pytest.approx(2 / 3)
    assert r.per_label.loc["NEUTRAL", "f1"] == pytest.approx(0.8)
    assert r.per_label.loc["SPAM", "support"] == 3
    assert r.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert r.micro_f1 == pytest.approx(0.75)
    assert r.accuracy == pytest.approx(0.75)
    # AP = 1/3·1 + 1/3·2/3 + 1/3·3/5 ; AUROC = 12 of 15 pairs ordered correctly
    assert r.per_label.loc["SPAM", "auprc"] == pytest.approx(1 / 3 + 2 / 9 + 1 / 5)
    assert r.per_label.loc["SPAM", "auroc"] == pytest.approx(0.8)
    assert r.confusion.tolist() == [[4, 1], [1, 2]]
    assert r.flag == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})


def test_thresholds_change_decisions():
    Y, proba = _binary()
    r = evaluate(Y, proba, NAMES, multi_label=False, thresholds={"SPAM": 0.7})
    # SPAM flagged for rows 0 and 3 only → TP 1, FP 1, FN 2
    assert r.per_label.loc["SPAM", "precision"] == pytest.approx(0.5)
    assert r.per_label.loc["SPAM", "recall"] == pytest.approx(1 / 3)
    assert r.per_label.loc["SPAM", "f1"] == pytest.approx(0.4)
    assert r.per_label.loc["SPAM", "threshold"] == 0.7
    assert np.isnan(r.per_label.loc["NEUTRAL", "threshold"])
    m = r.metrics()
    assert m["f1.SPAM"] == pytest.approx(0.4) and "threshold" not in m


def test_worst_errors_are_most_confident_mistakes_first():
    Y, proba = _binary()
    r = evaluate(Y, proba, NAMES, multi_label=False, texts=[f"t{i}" for i in range(8)])
    errors = r.worst_errors()
    assert errors["text"].tolist() == ["t3", "t2"]  # 0.8 on a neutral, then 0.3 on a spam
    assert errors["error"].tolist() == pytest.approx([0.8, 0.7])
    assert errors["true"].tolist() == ["NEUTRAL", "SPAM"]


def test_ece_hand_computed():
    y = np.array([1, 0, 1, 1])
    p = np.array([0.15, 0.15, 0.85, 0.95])
    # bins: [0.1,0.2): |0.5-0.15|·2/4 ; [0.8,0.9): 0.15/4 ; [0.9,1]: 0.05/4
    assert expected_calibration_error(y, p) == pytest.approx(0.175 + 0.0375 + 0.0125)
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_report_carries_the_ece_noise_floor_of_its_scores():
    Y, proba = _binary()
    single = evaluate(Y, proba, NAMES, multi_label=False)
    assert single.ece_floor == pytest.approx(ece_noise_floor(proba.max(axis=1)))
    assert single.metrics()["ece_floor"] == pytest.approx(single.ece_floor)
    multi = evaluate(Y, proba, NAMES, multi_label=True)
    floors = [ece_noise_floor(proba[:, j]) for j in range(2)]
    assert multi.ece_floor == pytest.approx(np.mean(floors))


def test_multilabel_metrics_and_plots(tmp_path):
    names = ["A", "B"]
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    proba = np.array([[0.9, 0.2], [0.6, 0.4], [0.2, 0.7], [0.7, 0.1]])
    r = evaluate(Y, proba, names, multi_label=True)
    # A: predicted rows 0,1,3 → TP 2 FP 1 FN 0 ; B: predicted row 2 → TP 1 FN 1
    assert r.per_label.loc["A", "precision"] == pytest.approx(2 / 3)
    assert r.per_label.loc["A", "recall"] == pytest.approx(1.0)
    assert r.per_label.loc["B", "recall"] == pytest.approx(0.5)
    assert r.micro_f1 == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert r.accuracy == pytest.approx(0.5)  # rows 0 and 2 exactly right
    assert r.confusion.shape == (2, 2, 2)
    paths = r.save_plots(tmp_path)
    assert [p.name for p in paths] == ["confusion_matrix.png", "pr_curves.png", "reliability.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)


def test_single_class_label_gives_nan_auc_not_error():
    Y = np.array([[1, 0], [1, 0]])
    proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    r = evaluate(Y, proba, NAMES, multi_label=False)
    assert np.isnan(r.per_label.loc["SPAM", "auroc"])
    assert "auroc.SPAM" not in r.metrics()


def test_shape_mismatch_rejected():
    with pytest.raises(ValueError, match="shapes"):
        evaluate(np.eye(2, dtype=int), np.ones((2, 3)), NAMES, False)
