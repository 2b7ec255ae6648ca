"""TF-IDF n-grams + static MiniLM token vectors → logistic regression.

The linear trainer's features know words, not meanings: with a few hundred positives per
label it learns spurious cues ("tonight" → sexual, so "I want to end my life tonight" became
sexual). Appending a dense sentence vector (``modlab.training.static_vectors``: MiniLM
distilled into per-token vectors) lets the same linear model generalise to paraphrases at
~25 µs more per text. Saved models carry their vectors (~15 MB), so they load offline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse

from modlab.training.static_vectors import StaticEncoder
from modlab.training.trainers.linear import LinearTrainer


class HybridTrainer(LinearTrainer):
    name = "hybrid"

    def __init__(
        self,
        labels: list[str] | None = None,
        multi_label: bool | None = None,
        C: float = 10.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 1,
        max_features: int | None = 300_000,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        seed: int = 0,
        static_weight: float = 1.0,
        static_dims: int = 256,
        mask_safe_phrases: bool = False,
        mask_identity_terms: bool = False,
        deobfuscate: bool = False,
    ) -> None:
        super().__init__(
            labels=labels,
            multi_label=multi_label,
            C=C,
            word_ngrams=word_ngrams,
            char_ngrams=char_ngrams,
            min_df=min_df,
            max_features=max_features,
            class_weight=class_weight,
            max_iter=max_iter,
            seed=seed,
            mask_safe_phrases=mask_safe_phrases,
            mask_identity_terms=mask_identity_terms,
            deobfuscate=deobfuscate,
        )
        self.static_weight = static_weight
        self.static_dims = static_dims

    def _fit_extra(self, masked: list[str]) -> None:
        self.encoder_ = StaticEncoder.from_minilm(self.static_dims).fit(masked)

    def _extra_blocks(self, texts: list[str], masked: list[str]) -> list[sparse.spmatrix]:
        dense = self.encoder_.encode(masked) * np.float32(self.static_weight)
        return [*super()._extra_blocks(texts, masked), sparse.csr_matrix(dense)]

    def _save(self, path: Path) -> None:
        super()._save(path)
        self.encoder_.save(path)

    def _load(self, path: Path) -> None:
        super()._load(path)
        self.encoder_ = StaticEncoder.load(path)
