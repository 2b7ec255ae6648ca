"""Review a data set before training: counts, duplicates, imbalance, lengths, warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modlab.training.labels import encode_labels
from modlab.training.splits import normalise_text

MIN_EXAMPLES_PER_LABEL = 100
MAX_IMBALANCE_RATIO = 10.0


@dataclass
class DatasetReview:
    total: int
    annotated: int
    unannotated: int
    label_counts: dict[str, int]
    duplicate_texts: int  # rows that repeat an earlier (normalised) text
    duplicate_groups: int  # distinct texts that occur more than once
    conflicting_duplicates: int  # of those, texts annotated with different labels
    imbalance_ratio: float  # largest / smallest label count (inf if a label has none)
    length_stats: dict[str, float]  # characters per text
    word_stats: dict[str, float]  # words per text
    length_histogram: dict[str, list[float]]  # {"counts": [...], "bin_edges": [...]}
    empty_texts: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not np.isfinite(self.imbalance_ratio):
            out["imbalance_ratio"] = None
        return out

    def label_table(self) -> pd.DataFrame:
        """One row per label: count and share of the annotated examples."""
        counts = pd.Series(self.label_counts, name="examples", dtype="int64")
        share = counts / max(self.annotated, 1)
        return pd.DataFrame({"examples": counts, "share": share.round(4)})

    def plot_lengths(self):
        """Histogram of text lengths (characters) as a matplotlib Figure."""
        from modlab.training.plots import figure

        fig, ax = figure()
        edges = np.asarray(self.length_histogram["bin_edges"])
        counts = np.asarray(self.length_histogram["counts"])
        if len(counts):
            ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", edgecolor="white")
        ax.set_xlabel("characters per text")
        ax.set_ylabel("examples")
        ax.set_title("Text length")
        return fig


def _stats(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {k: 0.0 for k in ("min", "max", "mean", "median", "p95")}
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": round(float(values.mean()), 2),
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
    }


def review_dataset(
    texts: Sequence[str],
    labels: Sequence[Any] | np.ndarray,
    label_names: Sequence[str] | None = None,
    multi_label: bool = False,
    min_examples: int = MIN_EXAMPLES_PER_LABEL,
    max_imbalance: float = MAX_IMBALANCE_RATIO,
    bins: int = 20,
) -> DatasetReview:
    """Summarise a data set and warn about what will hurt the model.

    ``labels`` is one entry per text (``None`` = not annotated yet), in any form
    :func:`modlab.training.labels.encode_labels` accepts.
    """
    texts = ["" if t is None else str(t) for t in texts]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    Y, names, mask = encode_labels(labels, label_names, multi_label)
    counts = {name: int(c) for name, c in zip(names, Y[mask].sum(axis=0), strict=True)}

    keys = [normalise_text(t) for t in texts]
    seen = Counter(keys)
    dup_groups = [k for k, c in seen.items() if c > 1]
    duplicate_rows = sum(c - 1 for c in seen.values())
    label_sets: dict[str, set[tuple[int, ...]]] = {}
    for key, row, annotated in zip(keys, Y, mask, strict=True):
        if annotated and seen[key] > 1:
            label_sets.setdefault(key, set()).add(tuple(np.flatnonzero(row)))
    conflicting = sum(1 for s in label_sets.values() if len(s) > 1)

    lengths = np.asarray([len(t) for t in texts], dtype=np.float64)
    words = np.asarray([len(t.split()) for t in texts], dtype=np.float64)
    if len(lengths):
        hist, edges = np.histogram(lengths, bins=bins)
    else:
        hist, edges = np.zeros(0), np.zeros(0)

    values = list(counts.values())
    smallest = min(values) if values else 0
    ratio = (max(values) / smallest) if smallest else float("inf")

    warnings: list[str] = []
    annotated = int(mask.sum())
    if annotated < len(texts):
        warnings.append(
            f"{len(texts) - annotated} of {len(texts)} examples are not annotated and will "
            "not be used for training"
        )
    for name, c in counts.items():
        if c < min_examples:
            warnings.append(
                f"label {name!r} has {c} examples (fewer than {min_examples}); add more, or "
                "use the 'embedding' trainer, which copes better with few examples"
            )
    if values and ratio > max_imbalance:
        big = max(counts, key=counts.get)
        small = min(counts, key=counts.get)
        shown = "no examples" if not np.isfinite(ratio) else f"a ratio of {ratio:.1f}"
        warnings.append(
            f"labels are imbalanced: {big!r} ({counts[big]}) vs {small!r} ({counts[small]}), "
            f"{shown} (more than {max_imbalance:g})"
        )
    if duplicate_rows:
        warnings.append(
            f"{duplicate_rows} examples duplicate another text ({len(dup_groups)} distinct "
            "texts); duplicates are kept in one split but weigh more in training"
        )
    if conflicting:
        warnings.append(f"{conflicting} duplicated texts carry conflicting labels")
    empty = int(sum(1 for t in texts if not t.strip()))
    if empty:
        warnings.append(f"{empty} examples are empty")

    return DatasetReview(
        total=len(texts),
        annotated=annotated,
        unannotated=len(texts) - annotated,
        label_counts=counts,
        duplicate_texts=duplicate_rows,
        duplicate_groups=len(dup_groups),
        conflicting_duplicates=conflicting,
        imbalance_ratio=float(ratio),
        length_stats=_stats(lengths),
        word_stats=_stats(words),
        length_histogram={"counts": hist.astype(float).tolist(), "bin_edges": edges.tolist()},
        empty_texts=empty,
        warnings=warnings,
    )
