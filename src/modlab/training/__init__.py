"""Model training: review, split, train, calibrate, evaluate, track, promote.

The usual path is :func:`train_model`; every step is also usable on its own from a
notebook. MLflow helpers live in :mod:`modlab.training.tracking` (imported lazily because
importing MLflow takes seconds).
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy re-exports (PEP 562): ``import modlab.training.cli`` at CLI start-up must not pull in
# scikit-learn, torch and MLflow before a command needs them.
_EXPORTS = {
    "find_label_issues": "active",
    "rank_for_labelling": "active",
    "suggest_examples": "active",
    "ProbabilityCalibrator": "calibration",
    "expected_calibration_error": "calibration",
    "EvaluationReport": "evaluation",
    "evaluate": "evaluation",
    "NEUTRAL": "labels",
    "encode_labels": "labels",
    "TrainResult": "pipeline",
    "train_model": "pipeline",
    "train_model_from_frame": "pipeline",
    "Predictor": "predictor",
    "DatasetReview": "review",
    "review_dataset": "review",
    "Split": "splits",
    "kfold_splits": "splits",
    "split_dataset": "splits",
    "test_run": "test_run",
    "calibrate_thresholds": "thresholds",
    "decide": "thresholds",
    "find_threshold": "thresholds",
    "BaseTrainer": "trainers",
    "EmbeddingTrainer": "trainers",
    "LinearTrainer": "trainers",
    "TransformerTrainer": "trainers",
    "load_trainer": "trainers",
    "make_trainer": "trainers",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"modlab.training.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'modlab.training' has no attribute {name!r}")


__all__ = [
    "NEUTRAL",
    "BaseTrainer",
    "DatasetReview",
    "EmbeddingTrainer",
    "EvaluationReport",
    "LinearTrainer",
    "Predictor",
    "ProbabilityCalibrator",
    "Split",
    "TrainResult",
    "TransformerTrainer",
    "calibrate_thresholds",
    "decide",
    "encode_labels",
    "evaluate",
    "expected_calibration_error",
    "find_label_issues",
    "find_threshold",
    "kfold_splits",
    "load_trainer",
    "make_trainer",
    "rank_for_labelling",
    "review_dataset",
    "split_dataset",
    "suggest_examples",
    "test_run",
    "train_model",
    "train_model_from_frame",
]
