"""Analyzers backed by a trained :class:`~modlab.training.predictor.Predictor`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modlab.analyzers.base import DEFAULT_THRESHOLD, Analyzer, AnalyzerResult

if TYPE_CHECKING:
    from modlab.training.predictor import Predictor


class PredictorAnalyzer(Analyzer):
    """Serves a trained predictor: calibrated scores, thresholds from calibration."""

    def __init__(self, name: str, predictor: Predictor, version: str = "builtin") -> None:
        self._name = name
        self.predictor = predictor
        self._version = version
        self.neutral_label = predictor.neutral_label

    @classmethod
    def from_dir(cls, name: str, path: Path, version: str = "builtin") -> PredictorAnalyzer:
        from modlab.training.predictor import Predictor

        return cls(name, Predictor.load(path), version)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.predictor.labels_)

    @property
    def default_thresholds(self) -> dict[str, float]:
        return {
            label: float(self.predictor.thresholds.get(label, DEFAULT_THRESHOLD))
            for label in self.labels
            if label != self.neutral_label
        }

    @property
    def version(self) -> str:
        return self._version

    def predict(self, texts: Sequence[str]) -> list[AnalyzerResult]:
        return [AnalyzerResult(scores) for scores in self.predictor.label_scores(list(texts))]
