"""Per-label flagging thresholds chosen on the validation split.

The flagging rule (as the API documents it): a model flags a text when some non-neutral
label's score is **≥** that label's threshold. The neutral label is never thresholded.
A threshold is chosen per label to

* ``"f1"``: maximise F1 on the validation split (ties → the higher threshold), or
* ``"precision"`` with a target: reach that precision with the most recall possible, or
* ``"recall"`` with a target: reach that recall with the most precision possible.

Candidates are the cut points between distinct validation scores (the threshold sits halfway
between the lowest score kept and the next lower one), so every reported precision / recall
is exactly what the rule ``score >= threshold`` gives on the validation split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_curve

from modlab.training.labels import NEUTRAL, non_neutral

DEFAULT_THRESHOLD = 0.5
OBJECTIVES = ("f1", "precision", "recall")


@dataclass
class ThresholdChoice:
    threshold: float
    objective: str
    target: float | None
    precision: float
    recall: float
    f1: float
    achieved: bool  # False when the target could not be met (or no positives to tune on)
    support: int  # positives in the validation split
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_objective(spec: Any) -> tuple[str, float | None]:
    if spec is None:
        return "f1", None
    if isinstance(spec, str):
        return spec, None
    if isinstance(spec, Mapping):
        ((objective, target),) = spec.items()
        return str(objective), float(target)
    objective, target = spec
    return str(objective), (None if target is None else float(target))


def find_threshold(
    y_true: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    objective: str = "f1",
    target: float | None = None,
    default: float = DEFAULT_THRESHOLD,
) -> ThresholdChoice:
    """Choose one binary threshold for ``score >= threshold`` (see the module docstring)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {OBJECTIVES}")
    if objective != "f1" and (target is None or not 0 < target <= 1):
        raise ValueError(f"objective {objective!r} needs a target in (0, 1]")
    y = np.asarray(y_true).astype(int).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        # Nothing to trade off: keep the default and report what it gives.
        pred = s >= default
        tp = int((pred & (y == 1)).sum())
        prec = tp / pred.sum() if pred.sum() else 0.0
        rec = tp / positives if positives else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return ThresholdChoice(default, objective, target, prec, rec, f1, False, positives)

    precision, recall, thresholds = precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)

    def best(mask: np.ndarray, key: np.ndarray) -> int:
        # Highest key among masked points; ties broken by the higher threshold.
        idx = np.flatnonzero(mask)
        top = key[idx].max()
        return int(idx[key[idx] >= top - 1e-12].max())

    achieved = True
    if objective == "f1":
        i = best(np.ones_like(f1, dtype=bool), f1)
    elif objective == "precision":
        ok = precision >= target - 1e-12
        if ok.any():
            i = best(ok, recall)
        else:
            achieved = False
            i = best(np.ones_like(f1, dtype=bool), precision)
    else:  # recall
        ok = recall >= target - 1e-12
        if ok.any():
            i = best(ok, precision)
        else:  # cannot happen (the lowest threshold has recall 1) but stay total
            achieved = False
            i = best(np.ones_like(f1, dtype=bool), recall)
    # Place the threshold halfway down to the next lower validation score: the decisions on
    # the validation split (and so the figures reported) are unchanged, but the boundary no
    # longer sits exactly on the weakest positive, which generalises badly.
    lower = s[s < thresholds[i]]
    threshold = (thresholds[i] + lower.max()) / 2 if len(lower) else float(thresholds[i])
    return ThresholdChoice(
        threshold=float(threshold),
        objective=objective,
        target=target,
        precision=float(precision[i]),
        recall=float(recall[i]),
        f1=float(f1[i]),
        achieved=achieved,
        support=positives,
    )


def calibrate_thresholds(
    Y_val: np.ndarray,
    proba_val: np.ndarray,
    label_names: Sequence[str],
    objective: str = "f1",
    targets: Mapping[str, Any] | None = None,
    neutral_label: str | None = NEUTRAL,
    default: float = DEFAULT_THRESHOLD,
) -> dict[str, ThresholdChoice]:
    """One :class:`ThresholdChoice` per non-neutral label.

    ``targets`` overrides the objective per label: ``{"SPAM": ("precision", 0.95)}``,
    ``{"SPAM": {"recall": 0.9}}`` or ``{"SPAM": "f1"}``.
    """
    Y_val = np.asarray(Y_val)
    proba_val = np.asarray(proba_val, dtype=np.float64)
    targets = dict(targets or {})
    unknown = set(targets) - set(label_names)
    if unknown:
        raise ValueError(f"targets name unknown labels: {sorted(unknown)}")
    if neutral_label in targets:
        raise ValueError(f"{neutral_label!r} is never thresholded")
    out: dict[str, ThresholdChoice] = {}
    for j in non_neutral(label_names, neutral_label):
        name = label_names[j]
        obj, target = _parse_objective(targets.get(name, objective))
        choice = find_threshold(Y_val[:, j], proba_val[:, j], obj, target, default)
        choice.label = name
        out[name] = choice
    return out


def threshold_values(choices: Mapping[str, ThresholdChoice | float]) -> dict[str, float]:
    """``{label: threshold}`` from choices (or pass-through for plain floats)."""
    return {
        k: float(v.threshold if isinstance(v, ThresholdChoice) else v) for k, v in choices.items()
    }


def flag_matrix(
    proba: np.ndarray,
    label_names: Sequence[str],
    thresholds: Mapping[str, float] | None = None,
    neutral_label: str | None = NEUTRAL,
    default: float = DEFAULT_THRESHOLD,
) -> np.ndarray:
    """Boolean ``(n, n_labels)``: which labels flag each text (neutral column always False)."""
    proba = np.atleast_2d(np.asarray(proba, dtype=np.float64))
    thresholds = dict(thresholds or {})
    out = np.zeros(proba.shape, dtype=bool)
    for j in non_neutral(label_names, neutral_label):
        out[:, j] = proba[:, j] >= thresholds.get(label_names[j], default)
    return out


def decide(
    proba: np.ndarray,
    label_names: Sequence[str],
    multi_label: bool,
    thresholds: Mapping[str, float] | None = None,
    neutral_label: str | None = NEUTRAL,
) -> np.ndarray:
    """Predicted labels as an indicator matrix.

    * multi-label: each non-neutral label whose score passes its threshold (0.5 by default);
      a neutral column, if the model has one, is predicted when nothing else is.
    * single-label without thresholds: the top-scoring label.
    * single-label with thresholds: the highest-scoring label that flags; if none flags,
      the neutral label (or the top label when the model has no neutral label).
    """
    proba = np.atleast_2d(np.asarray(proba, dtype=np.float64))
    n, n_labels = proba.shape
    neutral_idx = list(label_names).index(neutral_label) if neutral_label in label_names else None
    if multi_label:
        pred = flag_matrix(proba, label_names, thresholds, neutral_label).astype(np.int64)
        if neutral_idx is not None:
            pred[:, neutral_idx] = (pred.sum(axis=1) == 0).astype(np.int64)
        return pred
    pred = np.zeros((n, n_labels), dtype=np.int64)
    if thresholds is None:
        pred[np.arange(n), proba.argmax(axis=1)] = 1
        return pred
    flags = flag_matrix(proba, label_names, thresholds, neutral_label)
    masked = np.where(flags, proba, -np.inf)
    any_flag = flags.any(axis=1)
    fallback = np.full(n, neutral_idx) if neutral_idx is not None else proba.argmax(axis=1)
    choice = np.where(any_flag, masked.argmax(axis=1), fallback)
    pred[np.arange(n), choice] = 1
    return pred
