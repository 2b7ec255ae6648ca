import numpy as np
import pytest

from modlab.training.labels import encode_labels
from modlab.training.splits import Split, kfold_splits, split_dataset


def _single(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.7, 0.25, 0.05])
    Y = np.eye(3, dtype=int)[y]
    texts = [f"text {i}" for i in range(n)]
    return texts, Y


def test_split_sizes_and_stratification_single_label():
    texts, Y = _single()
    s = split_dataset(texts, Y, val_size=0.15, test_size=0.15, seed=1)
    assert s.sizes() == {"train": 700, "val": 150, "test": 150}
    overall = Y.mean(axis=0)
    for part in (s.train, s.val, s.test):
        # every class share within 1.5 points of the overall share
        assert np.abs(Y[part].mean(axis=0) - overall).max() < 0.015


def test_split_stratification_multilabel_rare_label():
    rng = np.random.default_rng(3)
    Y = (rng.random((900, 4)) < [0.5, 0.2, 0.03, 0.1]).astype(int)
    s = split_dataset(None, Y, seed=0)
    for part in (s.val, s.test):
        assert np.abs(Y[part].mean(axis=0) - Y.mean(axis=0)).max() < 0.02
        assert Y[part, 2].sum() >= 3  # the 3% label reaches every split


def test_split_is_deterministic_by_seed():
    texts, Y = _single()
    a = split_dataset(texts, Y, seed=7)
    b = split_dataset(texts, Y, seed=7)
    c = split_dataset(texts, Y, seed=8)
    for k in ("train", "val", "test"):
        assert np.array_equal(getattr(a, k), getattr(b, k))
    assert not np.array_equal(a.test, c.test)


def test_no_leakage_and_duplicates_stay_together():
    texts, Y = _single(300)
    texts[10] = texts[200] = texts[250] = "Same text"
    texts[11] = "same   TEXT"  # duplicate after normalisation
    s = split_dataset(texts, Y, seed=0)
    parts = [set(s.train), set(s.val), set(s.test)]
    assert sum(len(p) for p in parts) == 300
    assert set().union(*parts) == set(range(300))
    assert all(not (a & b) for i, a in enumerate(parts) for b in parts[i + 1 :])
    where = [next(k for k, p in enumerate(parts) if i in p) for i in (10, 11, 200, 250)]
    assert len(set(where)) == 1
    # No text of the test split occurs (normalised) in train.
    norm = [" ".join(t.lower().split()) for t in texts]
    assert not {norm[i] for i in s.test} & {norm[i] for i in s.train}


def test_tiny_class_goes_to_train_first():
    Y, _, _ = encode_labels(["A"] * 20 + ["B"], ["A", "B"])
    s = split_dataset(None, Y, seed=0)
    assert 20 in set(s.train)


def test_kfold_covers_each_example_once():
    texts, Y = _single(200)
    folds = kfold_splits(texts, Y, n_splits=5, seed=0)
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(200))
    for tr, te in folds:
        assert not set(tr) & set(te)
        assert len(te) == 40
        assert abs(Y[te, 2].sum() - Y[:, 2].sum() / 5) <= 1


def test_split_roundtrip(tmp_path):
    texts, Y = _single(50)
    s = split_dataset(texts, Y, seed=0)
    s.extra = {"data_digest": "abc"}
    loaded = Split.load(s.save(tmp_path / "split.json"))
    assert np.array_equal(loaded.val, s.val) and loaded.extra == {"data_digest": "abc"}
    assert loaded.seed == 0


def test_bad_sizes_rejected():
    with pytest.raises(ValueError):
        split_dataset(None, np.eye(2, dtype=int), val_size=0.6, test_size=0.5)
