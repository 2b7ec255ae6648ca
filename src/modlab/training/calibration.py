"""Probability calibration (isotonic or Platt) so that a score of 0.8 means ~80%.

``"auto"`` chooses per label: isotonic where the label has enough calibration rows of both
classes, Platt (a smooth two-parameter map) for rare labels.

Fitted per label, one-vs-rest, on the validation split's scores; single-label outputs are
renormalised to sum to 1 afterwards (as scikit-learn's ``CalibratedClassifierCV`` does).
Stored as JSON (the isotonic step function or the two Platt coefficients), not pickles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

METHODS = ("isotonic", "sigmoid", "auto")
# Isotonic regression needs about a thousand calibration scores; with fewer it learns a
# coarse staircase that saturates at 0 and 1 (scikit-learn's user guide says the same).
ISOTONIC_MIN_ROWS = 1000
# ... and enough of each class: fitted on a rare label's ~10-60 positives it has a handful of
# steps, so unrelated texts share one plateau score and no threshold can tell them apart
# (openai self-harm gave "I want to go home" and "I wish I could just die" the same 0.67).
# Platt keeps the model's order: the same decisions at the tuned threshold, but a project's
# own threshold still separates them (0.41 and 0.85 here).
ISOTONIC_MIN_CLASS = 100
_EPS = 1e-6


def resolve_method(method: str, n_rows: int) -> str:
    """``"auto"`` with fewer than :data:`ISOTONIC_MIN_ROWS` calibration rows: Platt; with
    more it stays ``"auto"``: isotonic for each label with both classes that frequent, Platt for
    the others (:func:`label_method`)."""
    if method == "auto" and n_rows < ISOTONIC_MIN_ROWS:
        return "sigmoid"
    return method


def label_method(method: str, y: np.ndarray) -> str:
    """The map one label gets: ``"auto"`` picks isotonic only with enough of both classes."""
    if method != "auto":
        return method
    positives = int(np.sum(y))
    minority = min(positives, len(y) - positives)
    enough = len(y) >= ISOTONIC_MIN_ROWS and minority >= ISOTONIC_MIN_CLASS
    return "isotonic" if enough else "sigmoid"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _bin_index(p: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each score (1.0 falls in the last bin)."""
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def expected_calibration_error(y_true: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> float:
    """ECE with equal-width bins: Σ_bins (n_bin / n) · |mean(y) − mean(p)|."""
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(prob, dtype=np.float64).ravel()
    if len(p) == 0:
        return float("nan")
    bins = _bin_index(p, n_bins)
    total = 0.0
    for b in np.unique(bins):
        m = bins == b
        total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return float(total)


def ece_noise_floor(prob: np.ndarray, n_bins: int = 10, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these scores would show on this many rows.

    Outcomes are drawn as ``y ~ Bernoulli(p)`` (so the scores are calibrated by
    construction) and the ECE is averaged over ``draws``. ECE is biased upwards on small
    sets — ~0.05 on 250 rows — so a measured ECE near this floor is not evidence of
    miscalibration, and one well above it is.
    """
    p = np.clip(np.asarray(prob, dtype=np.float64).ravel(), 0.0, 1.0)
    if len(p) == 0:
        return float("nan")
    onehot = np.zeros((len(p), n_bins))
    onehot[np.arange(len(p)), _bin_index(p, n_bins)] = 1.0
    y = np.random.default_rng(seed).random((draws, len(p))) < p  # calibrated outcomes
    # Per draw: sum over bins of |sum(y - p)| / n, i.e. expected_calibration_error vectorised.
    return float(np.mean(np.abs((y - p) @ onehot).sum(axis=1) / len(p)))


def reliability_curve(
    y_true: np.ndarray, prob: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean predicted, observed frequency, count) per non-empty equal-width bin."""
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(prob, dtype=np.float64).ravel()
    bins = _bin_index(p, n_bins)
    keys = np.unique(bins)
    mean_p = np.array([p[bins == b].mean() for b in keys])
    freq = np.array([y[bins == b].mean() for b in keys])
    count = np.array([(bins == b).sum() for b in keys])
    return mean_p, freq, count


class ProbabilityCalibrator:
    """Per-label calibration map fitted on held-out scores."""

    def __init__(self, method: str = "isotonic", multi_label: bool = False) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown calibration method {method!r}; expected one of {METHODS}")
        self.method = method
        self.multi_label = multi_label
        self.maps_: list[dict[str, Any] | None] = []

    def fit(self, proba: np.ndarray, Y: np.ndarray) -> ProbabilityCalibrator:
        proba = np.asarray(proba, dtype=np.float64)
        Y = np.asarray(Y)
        self.maps_ = []
        for j in range(proba.shape[1]):
            y, p = Y[:, j], proba[:, j]
            if y.min() == y.max():  # one class only: nothing to learn, keep the score
                self.maps_.append(None)
                continue
            if label_method(self.method, y) == "isotonic":
                iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
                self.maps_.append(
                    {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
                )
            else:
                lr = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(p)[:, None], y)
                self.maps_.append({"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])})
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        if not self.maps_:
            raise RuntimeError("calibrator is not fitted")
        proba = np.atleast_2d(np.asarray(proba, dtype=np.float64))
        if proba.shape[1] != len(self.maps_):
            raise ValueError(f"expected {len(self.maps_)} columns, got {proba.shape[1]}")
        out = proba.copy()
        for j, m in enumerate(self.maps_):
            if m is None:
                continue
            if "x" in m:
                out[:, j] = np.interp(proba[:, j], m["x"], m["y"])
            else:
                out[:, j] = 1.0 / (1.0 + np.exp(-(m["a"] * _logit(proba[:, j]) + m["b"])))
        if not self.multi_label:
            sums = out.sum(axis=1, keepdims=True)
            ok = sums[:, 0] > 0
            out[ok] = out[ok] / sums[ok]
            out[~ok] = proba[~ok]
        return out

    def fit_transform(self, proba: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return self.fit(proba, Y).transform(proba)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "multi_label": self.multi_label, "maps": self.maps_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbabilityCalibrator:
        cal = cls(data["method"], bool(data["multi_label"]))
        cal.maps_ = list(data["maps"])
        return cal

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ProbabilityCalibrator:
        return cls.from_dict(json.loads(Path(path).read_text()))
