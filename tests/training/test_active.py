import numpy as np
import pytest

from modlab.training.active import (
    find_label_issues,
    rank_for_labelling,
    suggest_examples,
    uncertainty,
)
from modlab.training.trainers import LinearTrainer

from .conftest import make_multilabel, make_spam


def test_uncertainty_values():
    p = np.array([[0.5, 0.5], [1.0, 0.0], [0.7, 0.3]])
    assert uncertainty(p, method="margin") == pytest.approx([1.0, 0.0, 0.6])
    assert uncertainty(p, method="least_confident") == pytest.approx([0.5, 0.0, 0.3])
    assert uncertainty(np.full((1, 3), 1 / 3), method="entropy") == pytest.approx([1.0])
    assert uncertainty(np.array([[0.7, 0.2, 0.1]]))[0] == pytest.approx(0.5)
    multi = np.array([[0.5, 0.9], [0.9, 0.1]])
    assert uncertainty(multi, multi_label=True) == pytest.approx([1.0, 0.2])
    assert uncertainty(multi, multi_label=True, method="entropy")[0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        uncertainty(p, method="random")


def test_rank_orders_by_uncertainty():
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3]])
    ranked = rank_for_labelling(proba)
    assert ranked["row"].tolist() == [1, 2, 0]
    assert ranked["uncertainty"].tolist() == pytest.approx([0.9, 0.6, 0.2])
    assert rank_for_labelling(proba, k=1)["row"].tolist() == [1]


def test_rank_breaks_ties_by_diversity():
    proba = np.full((4, 2), 0.5)  # all equally uncertain
    feats = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.99, 0.0]])
    ranked = rank_for_labelling(proba, features=feats)
    # after row 0, the least similar is row 2, not its near-copies 1 and 3
    assert ranked["row"].tolist()[:2] == [0, 2]


def test_suggest_examples_with_a_trainer():
    texts, labels = make_spam(150)
    t = LinearTrainer(labels=["NEUTRAL", "SPAM"]).fit(texts, labels)
    pool, _ = make_spam(60, seed=5)
    out = suggest_examples(t, pool, k=10)
    assert len(out) == 10 and out["row"].is_unique
    assert set(out.columns) >= {"row", "text", "uncertainty", "score_SPAM"}
    u = uncertainty(t.predict_proba(pool))
    # the first pick is the most uncertain example in the pool
    assert out["uncertainty"].iloc[0] == pytest.approx(u.max())
    assert out["text"].iloc[0] == pool[out["row"].iloc[0]]


def test_find_label_issues_recovers_flipped_labels():
    texts, labels = make_spam(400, noise=0.05, seed=2)
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(labels), size=15, replace=False)
    noisy = list(labels)
    for i in flipped:
        noisy[i] = "NEUTRAL" if labels[i] == "SPAM" else "SPAM"
    noisy[3] = None  # unannotated rows are skipped, row numbers still refer to the input
    issues = find_label_issues(texts, noisy, ["NEUTRAL", "SPAM"], cv=5)
    found = set(issues["row"]) & set(flipped.tolist())
    assert len(found) >= 12
    assert len(issues) <= 30  # mostly the flipped ones
    assert 3 not in set(issues["row"])
    row = issues.iloc[0]
    assert row["suggested"] == labels[row["row"]] and row["given"] == noisy[row["row"]]
    assert issues["self_confidence"].is_monotonic_increasing


def test_find_label_issues_multilabel():
    texts, labels, names = make_multilabel(300, seed=4)
    noisy = [list(lab) for lab in labels]
    dropped = [i for i, lab in enumerate(labels) if "TOXICITY" in lab][:8]
    for i in dropped:
        noisy[i].remove("TOXICITY")
    issues = find_label_issues(texts, noisy, names, multi_label=True, cv=4)
    hits = issues[issues["suggested"] == "add TOXICITY"]
    assert len(set(hits["row"]) & set(dropped)) >= 6
