"""Frozen sentence embeddings (mean-pooled MiniLM) + a logistic-regression head.

The few-shot option (SetFit-like without the contrastive fine-tuning step): the encoder
already separates most moderation concepts, so a linear head needs only tens of examples
per label. Used when a label has fewer than ~100 examples.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from modlab.training.trainers import _hf
from modlab.training.trainers.base import BaseTrainer

HEAD_FILE = "head.joblib"
ENCODER_FILE = "encoder.json"


class EmbeddingTrainer(BaseTrainer):
    name = "embedding"

    def __init__(
        self,
        labels: list[str] | None = None,
        multi_label: bool | None = None,
        model_path: str | None = None,
        C: float = 2.0,
        class_weight: str | None = "balanced",
        batch_size: int = 64,
        max_length: int = 128,
        device: str | None = None,
        seed: int = 0,
    ) -> None:
        self.labels = labels
        self.multi_label = multi_label
        self.model_path = model_path
        self.C = C
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.seed = seed

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised mean-pooled sentence embeddings, shape ``(n, 384)``."""
        import torch

        texts = self._texts(texts)
        device = _hf.resolve_device(self.device)
        tokenizer, model = _hf.load_encoder(_hf.resolve_model_path(self.model_path), device)
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for batch in _hf.length_sorted_batches(texts, self.batch_size):
                enc = tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(device)
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[batch] = pooled.float().cpu().numpy()
        return out

    features = embed

    def _fit(self, texts: list[str], Y: np.ndarray) -> None:
        X = self.embed(texts)
        head = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=2000, random_state=self.seed
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="sklearn.multiclass")
            if self.multi_label_:
                self.head_ = OneVsRestClassifier(head).fit(X, Y)
            else:
                y = Y.argmax(axis=1)
                if len(np.unique(y)) < 2:
                    raise ValueError("training data has a single class; need at least two")
                self.head_ = head.fit(X, y)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        X = self.embed(texts)
        if self.multi_label_:
            return np.asarray(self.head_.predict_proba(X), dtype=np.float64)
        out = np.zeros((len(X), len(self.labels_)), dtype=np.float64)
        out[:, self.head_.classes_] = self.head_.predict_proba(X)
        return out

    def _save(self, path: Path) -> None:
        joblib.dump(self.head_, path / HEAD_FILE)
        # The encoder is not copied: it is the pinned package (or the path given).
        source = self.model_path or f"package:{_hf.ENCODER_PACKAGE}"
        (path / ENCODER_FILE).write_text(json.dumps({"encoder": source}))

    def _load(self, path: Path) -> None:
        self.head_ = joblib.load(path / HEAD_FILE)
