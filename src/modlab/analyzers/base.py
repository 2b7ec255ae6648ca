"""The analyzer interface: a model that gives each label of a text a score."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

NEUTRAL = "NEUTRAL"
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class AnalyzerResult:
    """Scores for one text; ``flagged`` is decided by thresholds, not by the model."""

    label_scores: dict[str, float]
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return max(self.label_scores, key=self.label_scores.__getitem__)

    @property
    def score(self) -> float:
        return self.label_scores[self.label]


def flags(
    label_scores: dict[str, float], thresholds: dict[str, float], neutral: str | None = NEUTRAL
) -> list[str]:
    """Labels whose score reaches their threshold (the neutral label never flags)."""
    return [
        label
        for label, score in label_scores.items()
        if label != neutral and score >= thresholds.get(label, DEFAULT_THRESHOLD)
    ]


class Analyzer(ABC):
    """A text classifier. Loads its weights lazily and once; ``predict`` is thread-safe."""

    name: ClassVar[str] = ""
    neutral_label: str | None = NEUTRAL

    @property
    @abstractmethod
    def labels(self) -> tuple[str, ...]:
        """Every label the analyzer scores, neutral included."""

    @property
    def default_thresholds(self) -> dict[str, float]:
        """Per-label thresholds from calibration (0.5 where a model has none)."""
        return {lbl: DEFAULT_THRESHOLD for lbl in self.labels if lbl != self.neutral_label}

    @property
    def version(self) -> str:
        return "builtin"

    @abstractmethod
    def predict(self, texts: Sequence[str]) -> list[AnalyzerResult]:
        """Score a batch of texts (batching is how transformer models stay fast)."""
