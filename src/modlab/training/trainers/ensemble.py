"""Several trainers fitted on the same data, their probabilities averaged.

n-gram models (``linear``, ``hybrid``) and frozen sentence embeddings (``embedding``) fail
differently: n-grams catch the vivid words a label's examples share (sexual, hate, slurs)
but miss paraphrases; a sentence encoder reads "I bought the rope today" near "I want to
die" but blurs the words. Averaging their probabilities keeps most of both (openai's
held-out seeds: see modlab.builtin.build). Calibration and thresholds are chosen on the
averaged score by the workbench, as for any trainer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from modlab.training.trainers.base import TRAINERS, BaseTrainer, load_trainer

MEMBER_DIR = "member{index}-{name}"


class EnsembleTrainer(BaseTrainer):
    """Average of ``members`` (trainer names), each built with ``member_params[name]``.

    ``weights`` (one per member, default equal) weight the average.
    """

    name = "ensemble"

    def __init__(
        self,
        labels: list[str] | None = None,
        multi_label: bool | None = None,
        members: tuple[str, ...] = ("hybrid", "embedding"),
        member_params: Mapping[str, Mapping[str, Any]] | None = None,
        weights: tuple[float, ...] | None = None,
        seed: int = 0,
    ) -> None:
        self.labels = labels
        self.multi_label = multi_label
        self.members = members
        self.member_params = member_params
        self.weights = weights
        self.seed = seed

    def _member_weights(self) -> np.ndarray:
        members = tuple(self.members)
        if not members:
            raise ValueError("an ensemble needs at least one member trainer")
        unknown = [m for m in members if m not in TRAINERS or m == self.name]
        if unknown:
            choices = sorted(set(TRAINERS) - {self.name})
            raise ValueError(f"unknown ensemble member(s) {unknown}; expected some of {choices}")
        extra = set(self.member_params or {}) - set(members)
        if extra:
            raise ValueError(f"member_params for trainers not in the ensemble: {sorted(extra)}")
        weights = np.ones(len(members)) if self.weights is None else np.asarray(self.weights)
        if weights.shape != (len(members),) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"weights must be {len(members)} non-negative numbers, not all zero; "
                f"got {self.weights!r}"
            )
        return weights / weights.sum()

    def _fit(self, texts: list[str], Y: np.ndarray) -> None:
        self._member_weights()  # check the configuration before minutes of fitting
        params = self.member_params or {}
        self.members_: list[BaseTrainer] = []
        for name in self.members:
            member = TRAINERS[name](
                labels=self.labels_,
                multi_label=self.multi_label_,
                seed=self.seed,
                **dict(params.get(name, {})),
            )
            self.members_.append(member.fit(texts, Y))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        texts = self._texts(texts)
        weights = self._member_weights()
        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float64)
        for weight, member in zip(weights, self.members_, strict=True):
            if weight:
                out += weight * member.predict_proba(texts)
        return out

    def _save(self, path: Path) -> None:
        for index, (name, member) in enumerate(zip(self.members, self.members_, strict=True)):
            member.save(path / MEMBER_DIR.format(index=index, name=name))

    def _load(self, path: Path) -> None:
        self.members_ = [
            load_trainer(path / MEMBER_DIR.format(index=index, name=name))
            for index, name in enumerate(self.members)
        ]
