"""Frozen sentence embeddings (mean-pooled MiniLM) + a logistic-regression head.

The few-shot option (SetFit-like without the contrastive fine-tuning step): the encoder
already separates most moderation concepts, so a linear head needs only tens of examples
per label. Used when a label has fewer than ~100 examples.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from modlab.training.deobfuscate import Deobfuscator
from modlab.training.trainers import _hf
from modlab.training.trainers.base import BaseTrainer
from modlab.training.trainers.linear import ovr_proba

HEAD_FILE = "head.joblib"
ENCODER_FILE = "encoder.json"
DEOBFUSCATOR_FILE = "deobfuscator.joblib"


# Vectors remembered inside ``embedding_memo()``: (encoder, max_length) -> text -> vector.
_MEMO: dict[tuple[str, int], dict[str, np.ndarray]] | None = None


@contextmanager
def embedding_memo() -> Iterator[None]:
    """Within this block every :class:`EmbeddingTrainer` remembers the vector of each text it
    encodes. For builds that encode the same texts again — cross-validation folds, analyzers
    whose recipes share texts — not for serving, where texts rarely repeat and memory would
    grow (~1.5 KB per text)."""
    global _MEMO
    outer = _MEMO
    if outer is None:
        _MEMO = {}
    try:
        yield
    finally:
        if outer is None:
            _MEMO = None


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
        deobfuscate: bool = False,
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
        self.deobfuscate = deobfuscate

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised mean-pooled sentence embeddings, shape ``(n, 384)``.

        On CPU through ONNX Runtime when it is installed (the encoder's ONNX copy,
        :func:`_hf.encoder_onnx_session`; same vectors to ~1e-6, ~3x torch's speed one text
        at a time), else torch; ``MODLAB_TRANSFORMER_RUNTIME`` chooses as for ``transformer``.
        """
        texts = self._deobfuscated(self._texts(texts))
        if _MEMO is None or not texts:
            return self._encode(texts)
        memo = _MEMO.setdefault(self._memo_key(), {})
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            memo.update(zip(missing, self._encode(missing), strict=True))
        return np.stack([memo[t] for t in texts])

    def _memo_key(self) -> tuple[str, int]:
        return (_hf.resolve_model_path(self.model_path), self.max_length)

    def _encode(self, texts: list[str]) -> np.ndarray:
        model_path = _hf.resolve_model_path(self.model_path)
        device = _hf.resolve_device(self.device)
        session = _hf.encoder_onnx_session(model_path, device)
        if session is not None:
            return self._embed_onnx(texts, model_path, session)
        import torch

        tokenizer, model = _hf.load_encoder(model_path, device)
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for batch, enc in _hf.tokenized_batches(
                tokenizer, texts, self.batch_size, self.max_length, "pt"
            ):
                enc = enc.to(device)
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[batch] = pooled.float().cpu().numpy()
        return out

    def _embed_onnx(self, texts: list[str], model_path: str, session: Any) -> np.ndarray:
        tokenizer = _hf.load_tokenizer(model_path)
        inputs = [i.name for i in session.get_inputs()]
        out: np.ndarray | None = None
        for batch, enc in _hf.tokenized_batches(
            tokenizer, texts, self.batch_size, self.max_length, "np"
        ):
            hidden = session.run(None, {n: enc[n].astype(np.int64) for n in inputs})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[batch] = pooled
        return out if out is not None else np.zeros((0, 384), dtype=np.float32)

    features = embed

    def _fit(self, texts: list[str], Y: np.ndarray) -> None:
        # "k1ll", "f u c k" and "sh*t" split into word pieces the encoder never saw together:
        # read them as the training vocabulary's words first (modlab.training.deobfuscate).
        self.deobfuscator_ = Deobfuscator.fit(texts) if self.deobfuscate else None
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
            return ovr_proba(self, self.head_, X)
        out = np.zeros((len(X), len(self.labels_)), dtype=np.float64)
        out[:, self.head_.classes_] = self.head_.predict_proba(X)
        return out

    def _save(self, path: Path) -> None:
        joblib.dump(self.head_, path / HEAD_FILE)
        if self.deobfuscator_ is not None:
            joblib.dump(self.deobfuscator_, path / DEOBFUSCATOR_FILE)
        # The encoder is not copied: it is the pinned package (or the path given).
        source = self.model_path or f"package:{_hf.ENCODER_PACKAGE}"
        (path / ENCODER_FILE).write_text(json.dumps({"encoder": source}))

    def _load(self, path: Path) -> None:
        self.head_ = joblib.load(path / HEAD_FILE)
        restore = path / DEOBFUSCATOR_FILE
        self.deobfuscator_ = joblib.load(restore) if restore.exists() else None
