"""Try a model on a few texts: every label's score and which labels flag."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from modlab.training.labels import NEUTRAL
from modlab.training.thresholds import DEFAULT_THRESHOLD, flag_matrix


def test_run(
    model: Any,
    texts: str | Sequence[str],
    thresholds: Mapping[str, float] | None = None,
    neutral_label: str | None = NEUTRAL,
) -> list[dict[str, Any]]:
    """Score ``texts`` with ``model`` (anything with ``predict_proba`` and ``labels_``).

    Returns one dict per text::

        {"text": ..., "label": top label, "score": its score,
         "label_scores": {label: score}, "flagged_labels": [...], "flagged": bool}

    ``thresholds`` default to the model's own (a :class:`Predictor`) and then to 0.5.
    """
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    labels = list(model.labels_)
    if thresholds is None:
        thresholds = getattr(model, "thresholds", None) or {}
    thresholds = {
        label: float(thresholds.get(label, DEFAULT_THRESHOLD))
        for label in labels
        if label != neutral_label
    }
    proba = np.asarray(model.predict_proba(texts)) if texts else np.zeros((0, len(labels)))
    flags = flag_matrix(proba, labels, thresholds, neutral_label)
    out = []
    for text, row, flag in zip(texts, proba, flags, strict=True):
        top = int(row.argmax())
        out.append(
            {
                "text": text,
                "label": labels[top],
                "score": float(row[top]),
                "label_scores": {label: float(s) for label, s in zip(labels, row, strict=True)},
                "flagged_labels": [labels[j] for j in np.flatnonzero(flag)],
                "flagged": bool(flag.any()),
            }
        )
    return out


test_run.__test__ = False  # not a pytest test, whatever its name


def test_run_frame(
    model: Any,
    texts: str | Sequence[str],
    thresholds: Mapping[str, float] | None = None,
    neutral_label: str | None = NEUTRAL,
) -> pd.DataFrame:
    """:func:`test_run` as a table: one row per text, one score column per label."""
    rows = []
    for r in test_run(model, texts, thresholds, neutral_label):
        rows.append(
            {
                "text": r["text"],
                **r["label_scores"],
                "flagged": r["flagged"],
                "flagged_labels": ", ".join(r["flagged_labels"]),
            }
        )
    return pd.DataFrame(rows)


test_run_frame.__test__ = False
