"""Model training: review, split, train, calibrate, evaluate, track, promote.

The usual path is :func:`train_model`; every step is also usable on its own from a
notebook. MLflow helpers live in :mod:`modlab.training.tracking` (imported lazily because
importing MLflow takes seconds).
"""

from __future__ import annotations

from modlab.training.active import find_label_issues, rank_for_labelling, suggest_examples
from modlab.training.calibration import ProbabilityCalibrator, expected_calibration_error
from modlab.training.evaluation import EvaluationReport, evaluate
from modlab.training.labels import NEUTRAL, encode_labels
from modlab.training.pipeline import TrainResult, train_model, train_model_from_frame
from modlab.training.predictor import Predictor
from modlab.training.review import DatasetReview, review_dataset
from modlab.training.splits import Split, kfold_splits, split_dataset
from modlab.training.test_run import test_run
from modlab.training.thresholds import calibrate_thresholds, decide, find_threshold
from modlab.training.trainers import (
    BaseTrainer,
    EmbeddingTrainer,
    LinearTrainer,
    TransformerTrainer,
    load_trainer,
    make_trainer,
)

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
