"""Trainers behind one scikit-learn-style interface (see :mod:`.base`)."""

from __future__ import annotations

from typing import Any

from modlab.training.trainers.base import TRAINERS, BaseTrainer, load_trainer
from modlab.training.trainers.embedding import EmbeddingTrainer
from modlab.training.trainers.ensemble import EnsembleTrainer
from modlab.training.trainers.hybrid import HybridTrainer
from modlab.training.trainers.linear import LinearTrainer
from modlab.training.trainers.transformer import TransformerTrainer


def make_trainer(name: str, **params: Any) -> BaseTrainer:
    """A fresh, unfitted trainer: ``linear``, ``hybrid``, ``transformer``, ``embedding`` or
    ``ensemble``."""
    try:
        return TRAINERS[name](**params)
    except KeyError:
        raise ValueError(f"unknown trainer {name!r}; expected one of {sorted(TRAINERS)}") from None


__all__ = [
    "TRAINERS",
    "BaseTrainer",
    "EmbeddingTrainer",
    "EnsembleTrainer",
    "HybridTrainer",
    "LinearTrainer",
    "TransformerTrainer",
    "load_trainer",
    "make_trainer",
]
