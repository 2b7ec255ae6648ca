"""Stratified, seed-fixed train/validation/test splits (multi-label aware) and k-fold.

Stratification uses *iterative stratification* (Sechidis, Tsoumakas & Vlahavas 2011):
take the label with the fewest unassigned examples, hand each of its examples to the split
that still wants that label most, repeat. For single-label data this reduces to ordinary
per-class stratification; for multi-label data it keeps every label's share close to the
requested ratios without needing each label *combination* to be frequent.

Exact duplicates (after lower-casing and whitespace folding) are kept in the same split, so
a text seen in training never reappears in validation or test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """The key used to detect duplicates: case- and whitespace-insensitive."""
    return _SPACE.sub(" ", str(text)).strip().lower()


@dataclass
class Split:
    """Row indices (into the annotated data the split was made from) for each part."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    seed: int
    method: str = "iterative"
    extra: dict[str, Any] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "train": self.train.tolist(),
            "val": self.val.tolist(),
            "test": self.test.tolist(),
            "seed": self.seed,
            "method": self.method,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        return cls(
            train=np.asarray(data["train"], dtype=np.int64),
            val=np.asarray(data["val"], dtype=np.int64),
            test=np.asarray(data["test"], dtype=np.int64),
            seed=int(data["seed"]),
            method=data.get("method", "iterative"),
            extra=data.get("extra", {}),
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Split:
        return cls.from_dict(json.loads(Path(path).read_text()))


def duplicate_groups(texts: Sequence[str]) -> np.ndarray:
    """Group id per text; identical normalised texts share an id (ids in first-seen order)."""
    ids: dict[str, int] = {}
    return np.asarray([ids.setdefault(normalise_text(t), len(ids)) for t in texts], np.int64)


def iterative_assign(
    label_counts: np.ndarray,
    sizes: np.ndarray,
    ratios: Sequence[float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Assign items (rows of ``label_counts``, each of weight ``sizes[i]``) to folds.

    ``label_counts[i, j]`` is how many examples of label ``j`` item ``i`` carries. Returns the
    fold index per item.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    ratios = ratios / ratios.sum()
    n_items, _ = label_counts.shape
    want = ratios * sizes.sum()
    want_label = np.outer(ratios, label_counts.sum(axis=0)).astype(np.float64)
    fold = np.full(n_items, -1, dtype=np.int64)
    has = label_counts > 0
    left = has.copy()

    def give(i: int, candidates: np.ndarray) -> None:
        f = int(rng.choice(candidates)) if len(candidates) > 1 else int(candidates[0])
        fold[i] = f
        want[f] -= sizes[i]
        want_label[f] -= label_counts[i]

    while True:
        remaining = left.sum(axis=0)
        live = np.flatnonzero(remaining)
        if len(live) == 0:
            break
        label = live[np.argmin(remaining[live])]
        items = np.flatnonzero(left[:, label])
        for i in rng.permutation(items):
            best = want_label[:, label]
            cands = np.flatnonzero(best == best.max())
            if len(cands) > 1:
                sub = want[cands]
                cands = cands[sub == sub.max()]
            give(int(i), cands)
            left[i] = False
    for i in rng.permutation(np.flatnonzero(fold < 0)):
        cands = np.flatnonzero(want == want.max())
        give(int(i), cands)
    return fold


def _grouped(texts: Sequence[str] | None, Y: np.ndarray, group_duplicates: bool):
    n = len(Y)
    if texts is not None and len(texts) != n:
        raise ValueError(f"{len(texts)} texts but {n} label rows")
    groups = duplicate_groups(texts) if (group_duplicates and texts is not None) else np.arange(n)
    n_groups = int(groups.max()) + 1 if n else 0
    counts = np.zeros((n_groups, Y.shape[1]), dtype=np.int64)
    np.add.at(counts, groups, np.asarray(Y, dtype=np.int64))
    sizes = np.bincount(groups, minlength=n_groups)
    return groups, counts, sizes


def split_dataset(
    texts: Sequence[str] | None,
    Y: np.ndarray,
    val_size: float = 0.15,
    test_size: float = 0.15,
    seed: int = 0,
    group_duplicates: bool = True,
) -> Split:
    """Stratified train/validation/test split of the rows of ``Y`` (fixed by ``seed``)."""
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError("Y must be an indicator matrix (n_examples, n_labels)")
    if not (0 <= val_size < 1 and 0 <= test_size < 1 and val_size + test_size < 1):
        raise ValueError("val_size and test_size must be fractions summing to less than 1")
    rng = np.random.default_rng(seed)
    groups, counts, sizes = _grouped(texts, Y, group_duplicates)
    ratios = [1.0 - val_size - test_size, val_size, test_size]
    fold_of_group = iterative_assign(counts, sizes, ratios, rng)
    fold = fold_of_group[groups]
    return Split(
        train=np.flatnonzero(fold == 0),
        val=np.flatnonzero(fold == 1),
        test=np.flatnonzero(fold == 2),
        seed=seed,
        method="iterative" + ("+dedup" if group_duplicates and texts is not None else ""),
    )


def kfold_splits(
    texts: Sequence[str] | None,
    Y: np.ndarray,
    n_splits: int = 5,
    seed: int = 0,
    group_duplicates: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold: a list of ``(train_idx, test_idx)``, duplicates never split apart."""
    if n_splits < 2:
        raise ValueError("n_splits must be at least 2")
    Y = np.asarray(Y)
    rng = np.random.default_rng(seed)
    groups, counts, sizes = _grouped(texts, Y, group_duplicates)
    fold = iterative_assign(counts, sizes, [1.0] * n_splits, rng)[groups]
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_splits)]


class StratifiedKFoldMultiLabel:
    """A scikit-learn CV splitter over :func:`kfold_splits` (for ``cross_val_predict``)."""

    def __init__(self, n_splits: int = 5, seed: int = 0, texts: Sequence[str] | None = None):
        self.n_splits = n_splits
        self.seed = seed
        self.texts = texts

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None):
        y = np.asarray(y)
        if y.ndim == 1:
            Y = np.zeros((len(y), int(y.max()) + 1), dtype=np.int64)
            Y[np.arange(len(y)), y] = 1
        else:
            Y = y
        yield from kfold_splits(self.texts, Y, self.n_splits, self.seed)
