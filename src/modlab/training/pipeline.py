"""``train_model``: review → split → fit → calibrate → thresholds → evaluate → log → register.

Takes plain lists (or a DataFrame via :func:`train_model_from_frame`) so the example store
can feed it whatever it holds; ``ids`` (e.g. example primary keys) are recorded in the
split artifact so a run can be traced back to the rows it used.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from modlab.training.calibration import ProbabilityCalibrator, resolve_method
from modlab.training.evaluation import EvaluationReport, evaluate
from modlab.training.hierarchy import check_parents
from modlab.training.labels import NEUTRAL, encode_labels, targets_for_fit
from modlab.training.predictor import Predictor
from modlab.training.review import MIN_EXAMPLES_PER_LABEL, DatasetReview, review_dataset
from modlab.training.splits import Split, kfold_splits, split_dataset
from modlab.training.thresholds import ThresholdChoice, calibrate_thresholds, threshold_values
from modlab.training.trainers import make_trainer

Promote = Literal["never", "if_none", "always"]
Tuning = Literal["split", "cv"]
DEFAULT_TUNING_FOLDS = 5
# What ``tuning="cv"`` searches when no grid is given (per trainer; others: no search).
_C_GRID: dict[str, tuple[Any, ...]] = {"C": (1.0, 3.0, 10.0, 30.0)}
DEFAULT_PARAM_GRIDS: dict[str, dict[str, tuple[Any, ...]]] = {
    "linear": _C_GRID,
    "hybrid": _C_GRID,
}


@dataclass
class TrainResult:
    model_name: str
    run_id: str | None
    version: int | None
    metrics: dict[str, float]  # test-split metrics (plus val_/cv_ prefixed ones)
    thresholds: dict[str, float]
    evaluation: EvaluationReport = field(repr=False)
    review: DatasetReview = field(repr=False)
    split: Split = field(repr=False)
    predictor: Predictor = field(repr=False)
    threshold_choices: dict[str, ThresholdChoice] = field(repr=False, default_factory=dict)
    trainer: str = "linear"
    promoted: bool = False
    fit_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)  # what is logged as run params

    def tuning_metric(self, key: str) -> float | None:
        """``key`` (e.g. ``"f1.SPAM"``) on the scores the thresholds were tuned on.

        The validation split (``val_``), or out-of-fold train+validation (``oof_``) when the
        run was tuned by cross-validation: the fair figure to choose between runs by (the
        test split is for reporting only).
        """
        return self.metrics.get(f"val_{key}", self.metrics.get(f"oof_{key}"))


def data_digest(texts: Sequence[str], Y: np.ndarray, label_names: Sequence[str]) -> str:
    """SHA-256 over the (text, labels) pairs in order: identical data ⇔ identical digest."""
    h = hashlib.sha256()
    h.update(json.dumps(list(label_names)).encode())
    for text, row in zip(texts, Y, strict=True):
        h.update(text.encode("utf-8", "replace"))
        h.update(b"\x00" + np.asarray(row, dtype=np.int8).tobytes() + b"\x01")
    return h.hexdigest()


def choose_trainer(review: DatasetReview) -> str:
    """``auto``: the few-shot embedding trainer when a label is short of examples."""
    smallest = min(review.label_counts.values()) if review.label_counts else 0
    return "embedding" if smallest < MIN_EXAMPLES_PER_LABEL else "linear"


def _proba(predictor: Predictor | Any, texts: list[str]) -> np.ndarray:
    return predictor.predict_proba(texts) if texts else np.zeros((0, len(predictor.labels_)))


def train_model(
    name: str,
    texts: Sequence[str],
    labels: Sequence[Any] | np.ndarray,
    label_names: Sequence[str] | None = None,
    multi_label: bool = False,
    trainer: str = "linear",
    trainer_params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    val_size: float = 0.15,
    test_size: float = 0.15,
    calibration: str | None = None,
    threshold_objective: str = "f1",
    threshold_targets: Mapping[str, Any] | None = None,
    neutral_label: str | None = NEUTRAL,
    window_chars: int | None = None,
    label_parents: Mapping[str, str] | None = None,
    cv_folds: int | None = None,
    tuning: Tuning = "split",
    param_grid: Mapping[str, Sequence[Any]] | None = None,
    ids: Sequence[Any] | None = None,
    log: bool = True,
    register: bool = True,
    promote: Promote = "if_none",
    experiment: str | None = None,
    tags: Mapping[str, str] | None = None,
    log_plots: bool = True,
) -> TrainResult:
    """Train, evaluate and (by default) log and register a text classifier.

    * ``labels``: one per text, ``None`` for not yet annotated (those are skipped); names,
      indices into ``label_names``, or lists of them when ``multi_label``.
    * ``trainer``: ``linear`` (default), ``hybrid``, ``transformer``, ``embedding`` or ``auto``
      (``embedding`` when some label has fewer than 100 examples, else ``linear``).
    * ``neutral_label``: the label that never flags and gets no threshold (``NEUTRAL``);
      with single-label data, name the "nothing wrong" class so.
    * ``calibration``: ``None``, ``"isotonic"``, ``"sigmoid"`` or ``"auto"`` (isotonic from
      1,000 calibration rows on for each label with 100 of both classes, else Platt), fitted
      on the validation split; thresholds are
      then chosen on the calibrated validation scores.
    * ``threshold_objective`` / ``threshold_targets``: see
      :func:`modlab.training.thresholds.calibrate_thresholds`.
    * ``window_chars``: the saved model scores texts longer than two such windows also
      window by window (runs of sentences of about this length) and keeps each label's
      highest score, so one harmful sentence in a long post is not diluted (multi-label
      models only; :mod:`modlab.training.windows`, e.g. 140). Thresholds are tuned on whole
      texts.
    * ``label_parents``: ``{child: parent}`` of a label hierarchy (multi-label models, e.g.
      :func:`modlab.training.hierarchy.slash_parents` for OpenAI's "hate/threatening" →
      "hate"): every score of a parent is raised to its children's, before the thresholds
      are chosen and in the saved model.
    * ``cv_folds``: also report k-fold cross-validated metrics over train+validation.
    * ``tuning``: what the probability calibration, the thresholds and the choice among
      ``param_grid`` are fitted on. ``"split"``: the validation split, the model is fitted
      on the training split. ``"cv"``: out-of-fold scores of a k-fold cross-validation over
      training + validation (``cv_folds`` folds, default 5), and the final model is then
      fitted on training + validation. Every example then tunes the thresholds once instead
      of the 15 % validation share (a small split of ~80 positives moves F1 by ±0.02), at
      the price of k extra fits per candidate. The test split is never touched either way.
    * ``param_grid``: trainer parameters to choose among with ``tuning="cv"`` (by the mean
      best-threshold F1 over the flagging labels), e.g. ``{"C": [1, 3, 10]}``; default
      :data:`DEFAULT_PARAM_GRIDS` for the trainer.
    * ``log`` / ``register``: log the run to MLflow; then register the model as a new
      version (alias ``challenger``) of the registered model ``name``.
    * ``promote``: after registering, make the new version champion ``"always"``, only
      when the model has no champion yet (``"if_none"``), or ``"never"``.
    """
    texts = ["" if t is None else str(t) for t in texts]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if ids is not None and len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
    review = review_dataset(texts, labels, label_names, multi_label)
    Y_all, names, mask = encode_labels(labels, label_names, multi_label)
    rows = np.flatnonzero(mask)  # positions of annotated examples in the input
    X = [texts[i] for i in rows]
    Y = Y_all[rows]
    if window_chars is not None and (not multi_label or window_chars < 1):
        raise ValueError(
            f"window_chars={window_chars!r}: needs a multi-label model and a positive length"
        )
    if label_parents and not multi_label:
        raise ValueError("label_parents needs a multi-label model (a hierarchy of labels)")
    parents = check_parents(label_parents or {}, names, neutral_label)
    if trainer == "auto":
        trainer = choose_trainer(review)
    if not multi_label and (Y.sum(axis=0) == 0).sum() > 0:
        missing = [n for n, c in zip(names, Y.sum(axis=0), strict=True) if c == 0]
        raise ValueError(f"labels without any example: {missing}")
    params = dict(trainer_params or {})
    params.setdefault("seed", seed)

    split = split_dataset(X, Y, val_size=val_size, test_size=test_size, seed=seed)
    digest = data_digest(X, Y, names)
    split.extra = {
        "rows": {k: rows[getattr(split, k)].tolist() for k in ("train", "val", "test")},
        "data_digest": digest,
    }
    if ids is not None:
        split.extra["ids"] = {
            k: [ids[i] for i in rows[getattr(split, k)]] for k in ("train", "val", "test")
        }
    pick = lambda idx: [X[i] for i in idx]  # noqa: E731

    if tuning not in ("split", "cv"):
        raise ValueError(f"tuning must be 'split' or 'cv', not {tuning!r}")
    fit_rows = split.train
    tune_rows = split.val  # the rows whose scores calibrate and set the thresholds
    if tuning == "cv":
        fit_rows = tune_rows = np.concatenate([split.train, split.val])
        if param_grid is None:  # the default search leaves what the caller fixed alone
            default = DEFAULT_PARAM_GRIDS.get(trainer, {})
            grid = {k: v for k, v in default.items() if k not in (trainer_params or {})}
        else:
            grid = param_grid
        chosen, raw_tune, search = _tune_by_cv(
            trainer,
            params,
            grid,
            names,
            multi_label,
            X,
            Y,
            fit_rows,
            cv_folds or DEFAULT_TUNING_FOLDS,
            seed,
            neutral_label,
        )
        params.update(chosen)
        split.extra["tuning"] = search
        split.extra["oof"] = {
            "positions": fit_rows.tolist(),
            "proba": np.round(raw_tune, 6).tolist(),
        }
        if ids is not None:
            split.extra["oof"]["ids"] = [ids[i] for i in rows[fit_rows]]

    model = make_trainer(trainer, labels=names, multi_label=multi_label, **params)
    start = time.perf_counter()
    model.fit(pick(fit_rows), targets_for_fit(Y[fit_rows], multi_label))
    fit_seconds = time.perf_counter() - start

    proba_val = raw_tune if tuning == "cv" else _proba(model, pick(tune_rows))
    calibrator = None
    if calibration:
        calibration = resolve_method(calibration, len(tune_rows))
    if calibration and len(tune_rows):
        calibrator = ProbabilityCalibrator(calibration, multi_label).fit(proba_val, Y[tune_rows])
    predictor = Predictor(model, calibrator, None, neutral_label, window_chars, parents)
    proba_val = predictor.scores_from_raw(proba_val)
    choices = calibrate_thresholds(
        Y[tune_rows], proba_val, names, threshold_objective, threshold_targets, neutral_label
    )
    thresholds = threshold_values(choices)
    predictor.thresholds = thresholds

    test_idx = split.test if len(split.test) else split.val
    report = evaluate(
        Y[test_idx],
        _proba(predictor, pick(test_idx)),
        names,
        multi_label,
        thresholds,
        texts=pick(test_idx),
        index=rows[test_idx],
        neutral_label=neutral_label,
    )
    metrics = report.metrics()
    if len(tune_rows):
        # With tuning="cv" these are out-of-fold scores over train+validation ("oof_").
        val_report = evaluate(
            Y[tune_rows], proba_val, names, multi_label, thresholds, neutral_label=neutral_label
        )
        metrics.update(val_report.metrics(prefix="oof_" if tuning == "cv" else "val_"))
    if cv_folds and tuning != "cv":
        metrics.update(
            _cross_validate(trainer, params, names, multi_label, X, Y, split, cv_folds, seed)
        )
    metrics["fit_seconds"] = round(fit_seconds, 3)

    result = TrainResult(
        model_name=name,
        run_id=None,
        version=None,
        metrics=metrics,
        thresholds=thresholds,
        evaluation=report,
        review=review,
        split=split,
        predictor=predictor,
        threshold_choices=choices,
        trainer=trainer,
        fit_seconds=fit_seconds,
    )
    result.params = {
        "trainer": trainer,
        "labels": json.dumps(names),
        "multi_label": multi_label,
        "seed": seed,
        "val_size": val_size,
        "test_size": test_size,
        "calibration": calibration or "none",
        "threshold_objective": threshold_objective,
        "threshold_targets": json.dumps(dict(threshold_targets or {})),
        "cv_folds": cv_folds or 0,
        "tuning": tuning,
        "window_chars": window_chars or 0,
        "label_parents": json.dumps(parents),
        "data_digest": digest,
        "n_examples": review.total,
        "n_annotated": review.annotated,
        **{f"n_{k}": v for k, v in split.sizes().items()},
        **{f"trainer.{k}": str(v)[:500] for k, v in model.get_params().items() if k != "labels"},
    }
    if log:
        _log(result, register, promote, experiment, tags, log_plots)
    return result


def _grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    for key in keys:
        if isinstance(grid[key], (str, bytes)) or not len(grid[key]):
            raise ValueError(f"param_grid[{key!r}] must be a non-empty list of values")
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def out_of_fold_proba(
    trainer: str,
    params: Mapping[str, Any],
    names: list[str],
    multi_label: bool,
    texts: Sequence[str],
    Y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Each example scored by the fold model that did not see it (raw, uncalibrated)."""
    oof = np.zeros(Y.shape, dtype=np.float64)
    for tr, te in folds:
        m = make_trainer(trainer, labels=names, multi_label=multi_label, **params)
        m.fit([texts[i] for i in tr], targets_for_fit(Y[tr], multi_label))
        oof[te] = m.predict_proba([texts[i] for i in te])
    return oof


def _tune_by_cv(
    trainer: str,
    params: dict[str, Any],
    grid: Mapping[str, Sequence[Any]],
    names: list[str],
    multi_label: bool,
    X: list[str],
    Y: np.ndarray,
    pool: np.ndarray,
    k: int,
    seed: int,
    neutral_label: str | None,
) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    """The grid candidate whose out-of-fold scores give the best mean max-F1, and its scores."""
    texts = [X[i] for i in pool]
    folds = kfold_splits(texts, Y[pool], n_splits=k, seed=seed)
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    scores = []
    for candidate in _grid(grid):
        oof = out_of_fold_proba(
            trainer, {**params, **candidate}, names, multi_label, texts, Y[pool], folds
        )
        choices = calibrate_thresholds(Y[pool], oof, names, "f1", None, neutral_label)
        score = float(np.mean([c.f1 for c in choices.values()])) if choices else 0.0
        scores.append({"params": candidate, "mean_best_f1": round(score, 5)})
        if best is None or score > best[0] + 1e-9:
            best = (score, candidate, oof)
    assert best is not None
    search = {"method": "cv", "folds": k, "candidates": scores, "chosen": best[1]}
    return best[1], best[2], search


def _cross_validate(
    trainer: str,
    params: dict[str, Any],
    names: list[str],
    multi_label: bool,
    X: list[str],
    Y: np.ndarray,
    split: Split,
    k: int,
    seed: int,
) -> dict[str, float]:
    pool = np.concatenate([split.train, split.val])
    folds = kfold_splits([X[i] for i in pool], Y[pool], n_splits=k, seed=seed)
    scores: dict[str, list[float]] = {}
    for tr, te in folds:
        m = make_trainer(trainer, labels=names, multi_label=multi_label, **params)
        m.fit([X[pool[i]] for i in tr], targets_for_fit(Y[pool[tr]], multi_label))
        rep = evaluate(Y[pool[te]], m.predict_proba([X[pool[i]] for i in te]), names, multi_label)
        for key in ("macro_f1", "micro_f1", "macro_auprc"):
            value = rep.metrics().get(key)
            if value is not None:
                scores.setdefault(key, []).append(value)
    out = {}
    for key, values in scores.items():
        out[f"cv_{key}_mean"] = float(np.mean(values))
        out[f"cv_{key}_std"] = float(np.std(values))
    return out


def _log(
    result: TrainResult,
    register: bool,
    promote: Promote,
    experiment: str | None,
    tags: Mapping[str, str] | None,
    log_plots: bool,
) -> None:
    """Log one run (params, metrics, artifacts, model) and register/promote the model."""
    import mlflow

    from modlab.training import tracking

    client = tracking.configure()
    experiment_id = tracking.ensure_experiment(experiment or tracking.DEFAULT_EXPERIMENT, client)
    run_name = f"{result.model_name}-{result.trainer}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        mlflow.set_tags(
            {
                "modlab.model_name": result.model_name,
                "modlab.trainer": result.trainer,
                **dict(tags or {}),
            }
        )
        mlflow.log_params(result.params)
        mlflow.log_metrics(result.metrics)
        mlflow.log_metrics({f"threshold.{k}": v for k, v in result.thresholds.items()})
        tracking.log_json(result.review.to_dict(), "review.json")
        tracking.log_json(result.split.to_dict(), "split.json")
        tracking.log_json(
            {
                "thresholds": result.thresholds,
                "choices": {k: c.to_dict() for k, c in result.threshold_choices.items()},
            },
            "thresholds.json",
        )
        tracking.log_json(_jsonable(result.evaluation.to_dict()), "evaluation.json")
        mlflow.log_text(result.evaluation.worst_errors(50).to_csv(index=False), "worst_errors.csv")
        if log_plots:
            ev = result.evaluation
            tracking.log_figures(
                [
                    (ev.plot_confusion_matrix(), "plots/confusion_matrix.png"),
                    (ev.plot_pr_curves(), "plots/pr_curves.png"),
                    (ev.plot_reliability(), "plots/reliability.png"),
                    (result.review.plot_lengths(), "plots/text_lengths.png"),
                ]
            )
        info = tracking.log_predictor(result.predictor, result.trainer)
        result.run_id = run.info.run_id
    if register:
        result.version = tracking.register(info.model_uri, result.model_name, result.run_id)
        if promote == "always" or (
            promote == "if_none" and tracking.champion_version(result.model_name) is None
        ):
            tracking.promote(result.model_name, result.version)
            result.promoted = True


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value


def train_model_from_frame(
    name: str,
    frame: pd.DataFrame,
    text_column: str = "text",
    label_column: str = "label",
    id_column: str | None = None,
    **kwargs: Any,
) -> TrainResult:
    """:func:`train_model` over a DataFrame (one row per example)."""
    labels = [None if _missing(v) else v for v in frame[label_column].tolist()]
    ids = frame[id_column].tolist() if id_column else None
    return train_model(name, frame[text_column].tolist(), labels, ids=ids, **kwargs)


def _missing(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray)):
        return False
    return value is None or (isinstance(value, float) and np.isnan(value))
