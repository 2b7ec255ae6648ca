"""A trained model as the service uses it: trainer + optional calibration + thresholds."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from modlab.training.calibration import ProbabilityCalibrator
from modlab.training.hierarchy import apply_parents, check_parents
from modlab.training.labels import NEUTRAL
from modlab.training.thresholds import DEFAULT_THRESHOLD, flag_matrix
from modlab.training.trainers.base import BaseTrainer, load_trainer
from modlab.training.windows import windowed_proba

MODEL_DIR = "model"
META_FILE = "predictor.json"


class Predictor:
    """``predict_proba`` with calibration applied; knows its labels and thresholds.

    ``window_chars``: score texts longer than two such windows also window by window
    (sentence runs of at most this length) and keep each label's highest score
    (:mod:`modlab.training.windows`),
    so a harmful sentence inside a long text is not diluted. Multi-label models only (their
    label scores are independent); ``None`` scores every text whole.

    ``label_parents``: ``{child: parent}`` of a label hierarchy (multi-label models): a
    parent's score is at least its children's (:mod:`modlab.training.hierarchy`).
    """

    def __init__(
        self,
        model: BaseTrainer,
        calibrator: ProbabilityCalibrator | None = None,
        thresholds: Mapping[str, float] | None = None,
        neutral_label: str | None = NEUTRAL,
        window_chars: int | None = None,
        label_parents: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.calibrator = calibrator
        self.thresholds = {k: float(v) for k, v in (thresholds or {}).items()}
        self.neutral_label = neutral_label
        self.window_chars = window_chars
        # validated here too: a hand-edited predictor.json fails on load, not mid-request
        self.label_parents = (
            check_parents(label_parents, self.labels_, neutral_label) if label_parents else {}
        )

    @property
    def labels_(self) -> list[str]:
        return list(self.model.labels_)

    labels = labels_

    @property
    def multi_label_(self) -> bool:
        return bool(self.model.multi_label_)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.window_chars is None:
            return self._whole_text_proba(texts)
        if not self.multi_label_:
            raise ValueError(
                "window_chars needs a multi-label model: the per-label maximum over windows "
                "is not a distribution over single-label classes"
            )
        labels = self.labels_
        neutral = labels.index(self.neutral_label) if self.neutral_label in labels else None
        return windowed_proba(self._whole_text_proba, texts, self.window_chars, neutral)

    def _whole_text_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.scores_from_raw(self.model.predict_proba(texts))

    def scores_from_raw(self, raw: np.ndarray) -> np.ndarray:
        """The served scores of the model's raw ``predict_proba`` output: calibration, then
        the label hierarchy (for scores kept from training, e.g. out-of-fold ones)."""
        proba = self.calibrator.transform(raw) if self.calibrator is not None else raw
        return apply_parents(proba, self.labels_, self.label_parents)

    def label_scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        proba = self.predict_proba(texts)
        return [dict(zip(self.labels_, map(float, row), strict=True)) for row in proba]

    def flags(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean ``(n, n_labels)``: which labels flag each text."""
        return flag_matrix(
            self.predict_proba(texts), self.labels_, self.thresholds, self.neutral_label
        )

    def threshold(self, label: str) -> float:
        return self.thresholds.get(label, DEFAULT_THRESHOLD)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save(path / MODEL_DIR)
        meta: dict[str, Any] = {
            "labels": self.labels_,
            "multi_label": self.multi_label_,
            "thresholds": self.thresholds,
            "neutral_label": self.neutral_label,
            "window_chars": self.window_chars,
            "label_parents": self.label_parents,
            "calibrator": self.calibrator.to_dict() if self.calibrator is not None else None,
        }
        (path / META_FILE).write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Predictor:
        path = Path(path)
        meta = json.loads((path / META_FILE).read_text())
        cal = meta.get("calibrator")
        return cls(
            load_trainer(path / MODEL_DIR),
            ProbabilityCalibrator.from_dict(cal) if cal else None,
            meta.get("thresholds") or {},
            meta.get("neutral_label", NEUTRAL),
            meta.get("window_chars"),
            meta.get("label_parents"),
        )
