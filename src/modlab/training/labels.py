"""Label encoding shared by every training step.

Everything inside :mod:`modlab.training` works on an *indicator matrix* ``Y`` of shape
``(n_examples, n_labels)`` (0/1 ints) plus the ordered label names. Single-label data has
exactly one 1 per row; multi-label data any number (an all-zero row means "none of the
labels", which is how multi-label models usually express NEUTRAL).

Callers may hand labels in any of the forms people actually have:

* single-label: ``["SPAM", "NEUTRAL", ...]`` (names) or ``[1, 0, ...]`` (indices into
  ``label_names``, as in a spreadsheet's label column);
* multi-label: ``[["TOXICITY", "PROFANITY"], [], ...]`` (lists of names or indices) or a
  0/1 matrix;
* ``None`` for an example nobody has annotated yet (dropped before training, counted by
  the review).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

NEUTRAL = "NEUTRAL"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and np.isnan(value)


def _as_index(value: Any, names: list[str]) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"boolean label {value!r} is ambiguous; use names or indices")
    if isinstance(value, (int, np.integer)):
        if not 0 <= int(value) < len(names):
            raise ValueError(f"label index {value} out of range for {len(names)} labels")
        return int(value)
    name = str(value)
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(f"unknown label {name!r}; expected one of {names}") from None


def infer_label_names(labels: Sequence[Any], multi_label: bool) -> list[str]:
    """Sorted distinct label names found in ``labels`` (for callers that gave none)."""
    seen: set[str] = set()
    for value in labels:
        if _is_missing(value):
            continue
        items = value if multi_label and not isinstance(value, str) else [value]
        for item in items:
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                raise ValueError("integer labels need label_names to say what they mean")
            seen.add(str(item))
    return sorted(seen)


def encode_labels(
    labels: Sequence[Any] | np.ndarray,
    label_names: Sequence[str] | None = None,
    multi_label: bool = False,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Turn labels in any accepted form into ``(Y, label_names, annotated_mask)``.

    Rows that are not annotated (``None``/NaN) are all-zero in ``Y`` and ``False`` in the
    mask; callers drop them with ``Y[mask]``.
    """
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        if not multi_label:
            raise ValueError("a 2-D label matrix is multi-label; pass multi_label=True")
        names = (
            list(label_names)
            if label_names is not None
            else [str(i) for i in range(labels.shape[1])]
        )
        if labels.shape[1] != len(names):
            raise ValueError(f"label matrix has {labels.shape[1]} columns for {len(names)} names")
        Y = (np.asarray(labels) > 0).astype(np.int64)
        return Y, names, np.ones(len(Y), dtype=bool)

    labels = list(labels)
    names = list(label_names) if label_names is not None else infer_label_names(labels, multi_label)
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate label names: {names}")
    if not names:
        raise ValueError("no labels: annotate some examples first")
    Y = np.zeros((len(labels), len(names)), dtype=np.int64)
    mask = np.ones(len(labels), dtype=bool)
    for i, value in enumerate(labels):
        if _is_missing(value):
            mask[i] = False
            continue
        if multi_label:
            items = [value] if isinstance(value, (str, int, np.integer)) else list(value)
            for item in items:
                Y[i, _as_index(item, names)] = 1
        else:
            if not isinstance(value, (str, int, np.integer)):
                raise ValueError(
                    f"example {i} has label {value!r}; single-label data needs one label "
                    "per example (pass multi_label=True for lists)"
                )
            Y[i, _as_index(value, names)] = 1
    return Y, names, mask


def decode_labels(Y: np.ndarray, label_names: Sequence[str], multi_label: bool) -> list[Any]:
    """Inverse of :func:`encode_labels` for annotated rows (names, or lists of names)."""
    out: list[Any] = []
    for row in np.asarray(Y):
        hits = [label_names[j] for j in np.flatnonzero(row)]
        out.append(hits if multi_label else (hits[0] if hits else None))
    return out


def targets_for_fit(Y: np.ndarray, multi_label: bool) -> np.ndarray:
    """What a trainer's ``fit`` receives: class indices (single-label) or ``Y`` itself."""
    Y = np.asarray(Y)
    if multi_label:
        return Y.astype(np.int64)
    if (Y.sum(axis=1) != 1).any():
        raise ValueError("single-label data needs exactly one label per example")
    return Y.argmax(axis=1).astype(np.int64)


def indicator_from_targets(y: np.ndarray, n_labels: int) -> np.ndarray:
    """Inverse of :func:`targets_for_fit` (indices or an indicator matrix → indicator)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return (y > 0).astype(np.int64)
    Y = np.zeros((len(y), n_labels), dtype=np.int64)
    Y[np.arange(len(y)), y.astype(np.int64)] = 1
    return Y


def non_neutral(label_names: Sequence[str], neutral_label: str | None = NEUTRAL) -> list[int]:
    """Indices of the labels that can flag (every label except the neutral one)."""
    return [j for j, name in enumerate(label_names) if name != neutral_label]
