"""Evaluate a model on held-out data: per-label metrics, curves, errors, calibration.

Decisions follow the serving rule (see :func:`modlab.training.thresholds.decide`): with
thresholds a label is predicted when its score is ≥ its threshold, otherwise the top label
(single-label) or 0.5 (multi-label) decides. Per-label precision/recall/F1 treat each label
one-vs-rest; macro F1 averages them, micro F1 pools the counts. AUPRC/AUROC are
threshold-free (NaN when a label has only one class in the evaluated split).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)

from modlab.training.calibration import (
    ece_noise_floor,
    expected_calibration_error,
    reliability_curve,
)
from modlab.training.labels import NEUTRAL, decode_labels, non_neutral
from modlab.training.plots import figure, save_png
from modlab.training.thresholds import decide, flag_matrix

_METRIC_NAME = re.compile(r"[^0-9A-Za-z_\-. /]")


def metric_key(name: str) -> str:
    """A label name made safe for an MLflow metric key."""
    return _METRIC_NAME.sub("_", name)


@dataclass
class EvaluationReport:
    label_names: list[str]
    multi_label: bool
    per_label: pd.DataFrame
    macro_f1: float
    micro_f1: float
    accuracy: float  # exact match of the whole label set (subset accuracy for multi-label)
    flag: dict[str, float]  # "flagged at all" as one binary problem: precision/recall/f1
    ece: float
    confusion: np.ndarray
    # ECE a perfectly calibrated model with the same scores would show on this many rows.
    ece_floor: float
    Y_true: np.ndarray = field(repr=False)
    proba: np.ndarray = field(repr=False)
    Y_pred: np.ndarray = field(repr=False)
    thresholds: dict[str, float] | None = None
    texts: list[str] | None = field(default=None, repr=False)
    index: np.ndarray | None = field(default=None, repr=False)
    neutral_label: str | None = NEUTRAL

    # -- numbers --------------------------------------------------------------------------
    def metrics(self, prefix: str = "") -> dict[str, float]:
        """Flat ``{name: value}`` for logging (NaN values are left out)."""
        out: dict[str, float] = {
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "accuracy": self.accuracy,
            "ece": self.ece,
            "ece_floor": self.ece_floor,
            "flag_precision": self.flag["precision"],
            "flag_recall": self.flag["recall"],
            "flag_f1": self.flag["f1"],
            "macro_auprc": float(np.nanmean(self.per_label["auprc"]))
            if self.per_label["auprc"].notna().any()
            else float("nan"),
        }
        for label, row in self.per_label.iterrows():
            key = metric_key(str(label))
            for col in ("precision", "recall", "f1", "support", "auprc", "auroc", "ece"):
                out[f"{col}.{key}"] = float(row[col])
        return {
            f"{prefix}{k}": float(v)
            for k, v in out.items()
            if v is not None and not math.isnan(float(v))
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": self.label_names,
            "multi_label": self.multi_label,
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "accuracy": self.accuracy,
            "ece": self.ece,
            "ece_floor": self.ece_floor,
            "flag": self.flag,
            "thresholds": self.thresholds,
            "per_label": self.per_label.reset_index(names="label").to_dict(orient="records"),
            "confusion": self.confusion.tolist(),
        }

    # -- errors ---------------------------------------------------------------------------
    def worst_errors(self, k: int = 20) -> pd.DataFrame:
        """The ``k`` most confidently wrong predictions, worst first.

        ``error`` is how far the score of the most wrongly scored label is from the truth
        (1 − score of the true label for single-label data).
        """
        wrong = (self.Y_pred != self.Y_true).any(axis=1)
        gap = np.abs(self.Y_true - self.proba)
        if self.multi_label:
            err = np.where(self.Y_pred != self.Y_true, gap, 0.0).max(axis=1)
        else:
            err = 1.0 - (self.proba * self.Y_true).sum(axis=1)
        rows = np.flatnonzero(wrong)
        rows = rows[np.argsort(-err[rows], kind="stable")][:k]
        true = decode_labels(self.Y_true[rows], self.label_names, self.multi_label)
        pred = decode_labels(self.Y_pred[rows], self.label_names, self.multi_label)
        data: dict[str, Any] = {
            "row": self.index[rows] if self.index is not None else rows,
            "text": [self.texts[i] for i in rows] if self.texts is not None else None,
            "true": true,
            "predicted": pred,
            "error": err[rows].round(4),
        }
        for j, name in enumerate(self.label_names):
            data[f"score_{name}"] = self.proba[rows, j].round(4)
        frame = pd.DataFrame({k: v for k, v in data.items() if v is not None})
        return frame.reset_index(drop=True)

    # -- figures --------------------------------------------------------------------------
    def plot_confusion_matrix(self):
        if not self.multi_label:
            fig, ax = figure(1.2 * len(self.label_names) + 3, 1.0 * len(self.label_names) + 2.5)
            _matrix(ax, self.confusion, self.label_names, self.label_names)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title("Confusion matrix (test split)")
            return fig
        n = len(self.label_names)
        fig, axes = figure(3.0 * n, 3.0, ncols=n)
        for ax, name, cm in zip(np.atleast_1d(axes), self.label_names, self.confusion, strict=True):
            _matrix(ax, cm, ["no", "yes"], ["no", "yes"])
            ax.set_title(name)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
        return fig

    def plot_pr_curves(self):
        fig, ax = figure()
        for j in self._curve_labels():
            y, p = self.Y_true[:, j], self.proba[:, j]
            if y.min() == y.max():
                continue
            prec, rec, _ = precision_recall_curve(y, p)
            name = self.label_names[j]
            (line,) = ax.plot(rec, prec, label=f"{name} (AP {average_precision_score(y, p):.2f})")
            if self.thresholds and name in self.thresholds:
                pred = p >= self.thresholds[name]
                tp = (pred & (y == 1)).sum()
                ax.plot(
                    tp / y.sum(),
                    tp / pred.sum() if pred.sum() else 1.0,
                    "o",
                    color=line.get_color(),
                )
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.01)
        ax.set_title("Precision-recall (dots: chosen thresholds)")
        ax.legend(loc="lower left", fontsize="small")
        return fig

    def plot_reliability(self, n_bins: int = 10):
        fig, ax = figure()
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
        for j in self._curve_labels():
            mean_p, freq, _ = reliability_curve(self.Y_true[:, j], self.proba[:, j], n_bins)
            ece = self.per_label["ece"].iloc[j]
            ax.plot(mean_p, freq, "o-", label=f"{self.label_names[j]} (ECE {ece:.3f})")
        ax.set_xlabel("mean predicted score")
        ax.set_ylabel("observed frequency")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"Reliability (overall ECE {self.ece:.3f})")
        ax.legend(loc="upper left", fontsize="small")
        return fig

    def save_plots(self, directory: str | Path) -> list[Path]:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        return [
            save_png(self.plot_confusion_matrix(), directory / "confusion_matrix.png"),
            save_png(self.plot_pr_curves(), directory / "pr_curves.png"),
            save_png(self.plot_reliability(), directory / "reliability.png"),
        ]

    def _curve_labels(self) -> list[int]:
        idx = non_neutral(self.label_names, self.neutral_label)
        return idx or list(range(len(self.label_names)))


def _matrix(ax, cm: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> None:
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    top = cm.max() if cm.size else 0
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")


def _safe(fn, y: np.ndarray, p: np.ndarray) -> float:
    return float(fn(y, p)) if y.min() != y.max() else float("nan")


def evaluate(
    Y_true: np.ndarray,
    proba: np.ndarray,
    label_names: Sequence[str],
    multi_label: bool,
    thresholds: Mapping[str, float] | None = None,
    texts: Sequence[str] | None = None,
    index: Sequence[int] | None = None,
    neutral_label: str | None = NEUTRAL,
    n_bins: int = 10,
) -> EvaluationReport:
    """Score predictions ``proba`` against the indicator matrix ``Y_true``."""
    Y_true = np.asarray(Y_true).astype(np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    names = list(label_names)
    if Y_true.shape != proba.shape or Y_true.shape[1] != len(names):
        raise ValueError(
            f"shapes differ: Y {Y_true.shape}, proba {proba.shape}, {len(names)} labels"
        )
    thresholds = None if thresholds is None else dict(thresholds)
    Y_pred = decide(proba, names, multi_label, thresholds, neutral_label)

    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    _, _, micro, _ = precision_recall_fscore_support(
        Y_true, Y_pred, average="micro", zero_division=0
    )
    per_label = pd.DataFrame(
        {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": s.astype(int),
            "auprc": [
                _safe(average_precision_score, Y_true[:, j], proba[:, j]) for j in range(len(names))
            ],
            "auroc": [_safe(roc_auc_score, Y_true[:, j], proba[:, j]) for j in range(len(names))],
            "ece": [
                expected_calibration_error(Y_true[:, j], proba[:, j], n_bins)
                for j in range(len(names))
            ],
            "threshold": [
                (thresholds or {}).get(n, np.nan) if n != neutral_label else np.nan for n in names
            ],
        },
        index=pd.Index(names, name="label"),
    )

    if multi_label:
        confusion = multilabel_confusion_matrix(Y_true, Y_pred)
        ece = float(np.mean(per_label["ece"]))
        ece_floor = float(np.mean([ece_noise_floor(col, n_bins) for col in proba.T]))
    else:
        t, q = Y_true.argmax(axis=1), Y_pred.argmax(axis=1)
        confusion = confusion_matrix(t, q, labels=list(range(len(names))))
        correct = (proba.argmax(axis=1) == t).astype(float)
        ece = expected_calibration_error(correct, proba.max(axis=1), n_bins)
        ece_floor = ece_noise_floor(proba.max(axis=1), n_bins)

    flag_idx = non_neutral(names, neutral_label)
    true_flag = Y_true[:, flag_idx].any(axis=1)
    pred_flag = flag_matrix(proba, names, thresholds, neutral_label).any(axis=1)
    if not multi_label and thresholds is None:  # argmax decision: flagged = top is not neutral
        pred_flag = Y_pred[:, flag_idx].any(axis=1)
    fp, fr, ff, _ = precision_recall_fscore_support(
        true_flag, pred_flag, average="binary", zero_division=0
    )
    return EvaluationReport(
        label_names=names,
        multi_label=multi_label,
        per_label=per_label,
        macro_f1=float(np.mean(f)),
        micro_f1=float(micro),
        accuracy=float((Y_pred == Y_true).all(axis=1).mean()),
        flag={"precision": float(fp), "recall": float(fr), "f1": float(ff)},
        ece=float(ece),
        ece_floor=ece_floor,
        confusion=confusion,
        Y_true=Y_true,
        proba=proba,
        Y_pred=Y_pred,
        thresholds=thresholds,
        texts=None if texts is None else list(texts),
        index=None if index is None else np.asarray(index),
        neutral_label=neutral_label,
    )
