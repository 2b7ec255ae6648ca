"""The training workflow around the example store and the MLflow registry.

What the CLI (``modlab train / calibrate / promote / rollback / versions``) and notebooks
04/05 call::

    from modlab.training import workflow

    result = workflow.train_from_store("sms-spam", trainer="linear")     # store → MLflow
    cal = workflow.calibrate("sms-spam", targets={"SPAM": {"precision": 0.95}})
    workflow.promote("sms-spam", cal.version)                            # served from now on
    workflow.rollback("sms-spam")                                        # the one before

Thresholds live *inside* a registered version: :func:`calibrate` does not edit the version
it starts from but registers a **new version** (same weights, new thresholds, optionally a
refitted probability calibrator), logged as its own MLflow run with ``calibrated_from``
tags. Registered versions stay immutable, so promoting and rolling back move the model and
its thresholds together, and the service needs nothing new: it serves the champion's
``Predictor``, whose thresholds are the default thresholds of every project that enables the
model (a project's filter may still override them per label).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from modlab.training.labels import encode_labels, non_neutral
from modlab.training.pipeline import DEFAULT_PARAM_GRIDS, TrainResult, train_model

if TYPE_CHECKING:
    from modlab.data.store import ExampleStore, TrainingSet
    from modlab.training.evaluation import EvaluationReport
    from modlab.training.predictor import Predictor
    from modlab.training.thresholds import ThresholdChoice

TRAINER_CHOICES = ("linear", "hybrid", "transformer", "embedding", "ensemble", "auto")
TUNING_CHOICES = ("auto", "cv", "split")
CALIBRATION_CHOICES = ("none", "isotonic", "sigmoid", "auto")
# Version tags written by this module (visible in the MLflow UI's model version page).
TAG_THRESHOLDS = "modlab.thresholds"
TAG_TRAINER = "modlab.trainer"
TAG_SCHEMA = "modlab.schema_version"
TAG_CALIBRATED_FROM = "modlab.calibrated_from"
TAG_OBJECTIVE = "modlab.threshold_objective"


class WorkflowError(ValueError):
    """A problem the user can fix (unknown model, no data, bad target...): message says how."""


class NoTrainingDataError(WorkflowError):
    pass


class NotRegisteredError(WorkflowError, LookupError):
    pass


# -- helpers -------------------------------------------------------------------------------------


def _store(store: ExampleStore | str | None) -> ExampleStore:
    from modlab.data.store import ExampleStore

    return store if isinstance(store, ExampleStore) else ExampleStore(store)


def _promote_mode(promote: bool | str | None) -> str:
    if promote is True:
        return "always"
    if promote is False:
        return "never"
    mode = (promote or "if_none").replace("-", "_")
    if mode not in ("always", "never", "if_none"):
        raise WorkflowError(f"promote must be always, never or if_none, not {promote!r}")
    return mode


def _calibration(value: str | None) -> str | None:
    if value in (None, "", "none"):
        return None
    if value not in CALIBRATION_CHOICES:
        raise WorkflowError(f"calibration must be one of {CALIBRATION_CHOICES}, not {value!r}")
    return value


def parse_target(spec: str) -> tuple[str, tuple[str, float] | str]:
    """``"SPAM:precision=0.95"`` → ``("SPAM", ("precision", 0.95))``; ``"SPAM:f1"`` too."""
    label, sep, rest = spec.partition(":")
    label, rest = label.strip(), rest.strip()
    if not sep or not label or not rest:
        raise WorkflowError(
            f"target {spec!r}: expected LABEL:precision=0.95, LABEL:recall=0.9 or LABEL:f1"
        )
    objective, eq, value = rest.partition("=")
    objective = objective.strip().lower()
    if objective not in ("f1", "precision", "recall"):
        raise WorkflowError(f"target {spec!r}: objective must be f1, precision or recall")
    if objective == "f1":
        return label, "f1"
    try:
        target = float(value)
    except ValueError:
        target = -1.0
    if not eq or not 0 < target <= 1:
        raise WorkflowError(
            f"target {spec!r}: give a value in (0, 1], e.g. {label}:{objective}=0.9"
        )
    return label, (objective, target)


def parse_targets(specs: Sequence[str] | None) -> dict[str, Any]:
    return dict(parse_target(s) for s in (specs or []))


def _match_targets(targets: Mapping[str, Any] | None, labels: Sequence[str]) -> dict[str, Any]:
    """Target keys matched to the model's labels case-insensitively; unknown ones raise."""
    lookup = {name.casefold(): name for name in labels}
    out = {}
    for key, value in (targets or {}).items():
        name = lookup.get(str(key).casefold())
        if name is None:
            raise WorkflowError(f"target names unknown label {key!r} (labels: {', '.join(labels)})")
        out[name] = value
    return out


def check_training_set(ts: TrainingSet) -> None:
    """Refuse, with a message saying what to do, data that cannot train a model."""
    if len(ts) == 0:
        raise NoTrainingDataError(
            f"model {ts.model!r} has no labelled examples: import some "
            f"(modlab data import {ts.model} FILE) or label them first"
        )
    counts = dict.fromkeys(ts.label_names, 0)
    for value in ts.labels:
        for name in value if ts.multi_label else [value]:
            counts[name] = counts.get(name, 0) + 1
    if ts.multi_label:
        flag_labels = [n for n in ts.label_names if n != ts.neutral]
        empty = [n for n in flag_labels if counts.get(n, 0) == 0]
    else:
        empty = [n for n, c in counts.items() if c == 0]
    if empty:
        have = ", ".join(f"{k} {v}" for k, v in counts.items())
        raise NoTrainingDataError(
            f"model {ts.model!r}: no labelled example for {', '.join(empty)} ({have}); "
            "every label needs examples (aim for 100 or more each)"
        )
    if not ts.multi_label and len(counts) < 2:
        raise NoTrainingDataError(f"model {ts.model!r} needs at least two labels to train")


def _client():
    from modlab.training import tracking

    return tracking.configure()


def _check_registered(model: str):
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        return client.get_registered_model(model)
    except MlflowException:
        raise NotRegisteredError(
            f"no trained model {model!r} in the MLflow registry; "
            f"train it first: modlab train {model}"
        ) from None


def _model_version(model: str, version: int | str):
    from mlflow.exceptions import MlflowException

    _check_registered(model)
    try:
        return _client().get_model_version(model, str(int(version)))
    except (MlflowException, ValueError):
        known = ", ".join(str(v) for v in sorted(_versions(model))) or "none"
        raise NotRegisteredError(
            f"model {model!r} has no version {version!r} (versions: {known})"
        ) from None


def _versions(model: str) -> list[int]:
    return [int(mv.version) for mv in _client().search_model_versions(f"name='{model}'")]


def _resolve_version(model: str, version: int | str | None) -> int:
    """``None`` → the champion, else the latest version."""
    from modlab.training import tracking

    _check_registered(model)
    if version is not None:
        return int(_model_version(model, version).version)
    champion = tracking.champion_version(model)
    if champion is not None:
        return champion
    versions = _versions(model)
    if not versions:
        raise NotRegisteredError(f"model {model!r} has no registered version yet")
    return max(versions)


def mlflow_url() -> str:
    from modlab.ops.mlflow_server import mlflow_url as url

    return url()


def run_url(run_id: str) -> str:
    """The run's page in the MLflow UI (``modlab mlflow up`` serves it)."""
    run = _client().get_run(run_id)
    return f"{mlflow_url()}/#/experiments/{run.info.experiment_id}/runs/{run_id}"


def model_url(model: str, version: int | None = None) -> str:
    base = f"{mlflow_url()}/#/models/{model}"
    return f"{base}/versions/{version}" if version is not None else base


def _reload_served(model: str) -> None:
    """Swap the model at once in a service living in this process (notebooks, tests).

    A separate service process notices the alias within ``model_poll_s`` seconds, or at once
    through ``POST /api/v1/models/{name}/reload``.
    """
    from modlab.analyzers import custom

    if custom._cache is not None:
        custom._cache.reload(model)


def _tag_version(model: str, version: int, tags: Mapping[str, Any]) -> None:
    client = _client()
    for key, value in tags.items():
        text = value if isinstance(value, str) else json.dumps(value)
        client.set_model_version_tag(model, str(version), key, text)


# -- train -----------------------------------------------------------------------------------------


def train_from_store(
    model: str,
    *,
    trainer: str = "linear",
    trainer_params: Mapping[str, Any] | None = None,
    calibration: str | None = None,
    objective: str = "f1",
    targets: Mapping[str, Any] | None = None,
    promote: bool | str | None = "if_none",
    label_sources: Sequence[str] | None = None,
    seed: int = 0,
    val_size: float = 0.15,
    test_size: float = 0.15,
    cv_folds: int | None = None,
    tuning: str = "auto",
    window_chars: int | None = None,
    label_parents: Mapping[str, str] | None = None,
    experiment: str | None = None,
    log_plots: bool = True,
    log: bool = True,
    store: ExampleStore | str | None = None,
) -> TrainResult:
    """Train ``model`` on its labelled examples in the store; log, register, maybe promote.

    * ``trainer``: ``linear``, ``hybrid``, ``transformer``, ``embedding`` or ``auto``;
      ``trainer_params`` go to the trainer (e.g. ``{"epochs": 1}``).
    * ``calibration``: ``None``, ``"isotonic"``, ``"sigmoid"`` or ``"auto"`` (isotonic from
      1,000 validation rows on for labels with 100 of both classes, else Platt; fitted on
      validation).
    * ``objective`` / ``targets``: how thresholds are chosen on the validation split: ``"f1"``
      for every label, or per label ``{"SPAM": {"precision": 0.95}}`` / ``("recall", 0.9)``.
    * ``promote``: ``True`` (always), ``False`` (never) or ``"if_none"`` (when the model has
      no champion yet) — the champion is what the service serves.
    * ``tuning``: ``"cv"`` chooses the trainer's parameters, the probability calibration and
      the thresholds on 5-fold out-of-fold scores over train+validation and then fits on both
      (see :func:`modlab.training.train_model`); ``"split"`` uses the validation split;
      ``"auto"`` (default) is ``"cv"`` for ``linear`` (seconds per fit) and ``"split"`` for the
      encoder trainers (minutes per fit).
    * ``window_chars``: multi-label models only; texts longer than two such windows are also
      scored window by window, each label keeping its highest score (long posts, chat logs).
    * ``label_parents``: ``{child: parent}`` of a label hierarchy (multi-label models): a
      parent scores at least what its children score (see :func:`modlab.training.train_model`).

    On success the store records the run id against the label schema (whose labels are then
    frozen) and the new version is tagged with its thresholds and trainer.
    """
    if trainer not in TRAINER_CHOICES:
        raise WorkflowError(f"trainer must be one of {TRAINER_CHOICES}, not {trainer!r}")
    if tuning not in TUNING_CHOICES:
        raise WorkflowError(f"tuning must be one of {TUNING_CHOICES}, not {tuning!r}")
    if tuning == "auto":
        tuning = "cv" if trainer in DEFAULT_PARAM_GRIDS else "split"  # cheap fits: CV pays
    store = _store(store)
    ts = store.training_set(model, label_sources=label_sources)
    check_training_set(ts)
    kwargs = ts.train_kwargs()
    targets = _match_targets(targets, ts.label_names)
    if ts.neutral in targets:
        raise WorkflowError(f"{ts.neutral!r} is the neutral label: it never flags, so no target")
    result = train_model(
        **kwargs,
        trainer=trainer,
        trainer_params=trainer_params,
        seed=seed,
        val_size=val_size,
        test_size=test_size,
        calibration=_calibration(calibration),
        threshold_objective=objective,
        threshold_targets=targets or None,
        cv_folds=cv_folds,
        tuning=tuning,  # type: ignore[arg-type]
        window_chars=window_chars,
        label_parents=label_parents,
        log=log,
        register=log,
        promote=_promote_mode(promote),  # type: ignore[arg-type]
        experiment=experiment,
        tags={"modlab.source": "example-store", TAG_SCHEMA: str(ts.schema_version)},
        log_plots=log_plots,
    )
    if result.run_id:
        store.mark_trained(model, ts.schema_version, run_id=result.run_id)
    if result.version is not None:
        _tag_version(
            model,
            result.version,
            {
                TAG_THRESHOLDS: result.thresholds,
                TAG_TRAINER: result.trainer,
                TAG_SCHEMA: str(ts.schema_version),
                TAG_OBJECTIVE: json.dumps({"objective": objective, "targets": targets}),
            },
        )
        if result.promoted:
            _reload_served(model)
    return result


# -- the validation split of a registered version --------------------------------------------------


@dataclass
class SplitData:
    """The examples of one split of a version's training run, as the store holds them now."""

    texts: list[str]
    Y: np.ndarray
    example_ids: list[Any]
    missing: int = 0  # ids of the run no longer labelled in the store
    # Out-of-fold model scores recorded by a run tuned by cross-validation (else None:
    # score the texts with the version's model).
    raw_proba: np.ndarray | None = None


@dataclass
class VersionData:
    model: str
    version: int
    run_id: str
    label_names: list[str]
    multi_label: bool
    neutral_label: str | None
    predictor: Predictor = field(repr=False)
    val: SplitData = field(repr=False)
    test: SplitData = field(repr=False)
    split: dict[str, Any] = field(repr=False, default_factory=dict)

    def validation_proba(self) -> np.ndarray:
        """Calibrated scores of the examples this version's thresholds are tuned on.

        The run's out-of-fold scores when it was tuned by cross-validation (its model saw
        those texts), else the model's scores of the validation split.
        """
        raw = self.val.raw_proba
        if raw is None:
            return self.predictor.predict_proba(self.val.texts)
        return self.predictor.scores_from_raw(raw)


def _load_split(run_id: str) -> dict[str, Any]:
    import mlflow

    _client()
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/split.json")
    except Exception as exc:
        raise WorkflowError(f"run {run_id} has no split.json artifact: {exc}") from None


def _split_rows(
    ids: Sequence[Any], by_id: Mapping[Any, tuple[str, Any]], names: list[str], multi: bool
) -> SplitData:
    kept = [i for i in ids if i in by_id]
    texts = [by_id[i][0] for i in kept]
    labels = [by_id[i][1] for i in kept]
    Y = (
        encode_labels(labels, names, multi)[0]
        if labels
        else np.zeros((0, len(names)), dtype=np.int64)
    )
    return SplitData(texts, Y, kept, missing=len(ids) - len(kept))


def version_data(
    model: str,
    version: int | str | None = None,
    *,
    store: ExampleStore | str | None = None,
) -> VersionData:
    """A registered version's predictor plus its run's validation and test examples.

    The run's ``split.json`` records the example ids of each split; texts and labels are
    read back from the example store (a label corrected since counts with its new value;
    examples deleted or unlabelled since are left out and counted in ``missing``).
    """
    from modlab.training import tracking

    v = _resolve_version(model, version)
    mv = _model_version(model, v)
    if not mv.run_id:
        raise WorkflowError(f"{model!r} version {v} was not registered from a run")
    split = _load_split(mv.run_id)
    ids = (split.get("extra") or {}).get("ids")
    if not ids:
        raise WorkflowError(
            f"the run of {model!r} version {v} did not record example ids (it was not trained "
            "from the example store), so its validation split cannot be rebuilt"
        )
    predictor = tracking.load_version(model, v)
    names, multi = predictor.labels_, predictor.multi_label_
    ts = _store(store).training_set(model)
    lookup = {name.casefold(): name for name in names}

    def own(value: Any) -> Any:  # the store's spelling → the version's label names
        if multi:
            return [lookup.get(str(x).casefold(), x) for x in value]
        return lookup.get(str(value).casefold(), value)

    by_id = {
        i: (t, own(lab)) for i, t, lab in zip(ts.example_ids, ts.texts, ts.labels, strict=True)
    }
    oof = (split.get("extra") or {}).get("oof") or {}
    if oof.get("ids"):
        # Tuned by cross-validation: the model saw train+validation, so thresholds are
        # re-chosen on the run's out-of-fold scores of those examples, not on fresh scores.
        val = _split_rows(oof["ids"], by_id, names, multi)
        proba = dict(zip(oof["ids"], oof["proba"], strict=True))
        val.raw_proba = np.asarray([proba[i] for i in val.example_ids], dtype=np.float64)
    else:
        val = _split_rows(ids.get("val", []), by_id, names, multi)
    return VersionData(
        model=model,
        version=v,
        run_id=mv.run_id,
        label_names=names,
        multi_label=multi,
        neutral_label=predictor.neutral_label,
        predictor=predictor,
        val=val,
        test=_split_rows(ids.get("test", []), by_id, names, multi),
        split=split,
    )


# -- calibrate -------------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    model: str
    source_version: int
    version: int | None  # the new registered version holding these thresholds
    run_id: str | None
    thresholds: dict[str, float]
    previous_thresholds: dict[str, float]
    choices: dict[str, ThresholdChoice] = field(repr=False)
    validation: EvaluationReport = field(repr=False)
    test: EvaluationReport | None = field(repr=False)
    promoted: bool = False

    def table(self) -> pd.DataFrame:
        """Per label: old and new threshold, what the new one gives on validation and test."""
        rows = []
        for label, c in self.choices.items():
            row = {
                "label": label,
                "objective": c.objective + (f" ≥ {c.target:g}" if c.target is not None else ""),
                "achieved": c.achieved,
                "old_threshold": self.previous_thresholds.get(label),
                "threshold": round(c.threshold, 4),
                "val_precision": round(c.precision, 4),
                "val_recall": round(c.recall, 4),
                "val_f1": round(c.f1, 4),
            }
            if self.test is not None:
                t = self.test.per_label.loc[label]
                row.update(
                    test_precision=round(float(t["precision"]), 4),
                    test_recall=round(float(t["recall"]), 4),
                    test_f1=round(float(t["f1"]), 4),
                )
            rows.append(row)
        return pd.DataFrame(rows).set_index("label")


def calibrate(
    model: str,
    *,
    version: int | str | None = None,
    objective: str = "f1",
    targets: Mapping[str, Any] | None = None,
    probability: str | None = "keep",
    promote: bool | str | None = "if_champion",
    register: bool = True,
    experiment: str | None = None,
    store: ExampleStore | str | None = None,
) -> CalibrationResult:
    """Choose new thresholds for a version on its own validation split; register them.

    * ``version``: default the champion (else the latest version).
    * ``objective`` / ``targets``: as in :func:`train_from_store`, e.g.
      ``targets={"SPAM": {"precision": 0.95}}`` (labels matched case-insensitively).
    * ``probability``: ``"keep"`` the version's probability calibration, ``"none"`` to drop
      it, or refit ``"isotonic"`` / ``"sigmoid"`` on the validation split first.
    * ``promote``: ``"if_champion"`` (default: the new version replaces the calibrated one
      when that one is being served, so its thresholds become the projects' defaults),
      ``True``/``"always"`` or ``False``/``"never"``.
    * ``register=False`` only computes (nothing is logged).

    The result's ``version`` is the new registered version (same weights, new thresholds);
    ``test`` evaluates the new thresholds on the run's untouched test split.
    """
    import copy

    from modlab.training import tracking
    from modlab.training.calibration import ProbabilityCalibrator
    from modlab.training.evaluation import evaluate
    from modlab.training.thresholds import calibrate_thresholds, threshold_values

    data = version_data(model, version, store=store)
    names, multi, neutral = data.label_names, data.multi_label, data.neutral_label
    targets = _match_targets(targets, names)
    if neutral in targets:
        raise WorkflowError(f"{neutral!r} is the neutral label: it never flags, so no target")
    if len(data.val.texts) == 0:
        raise WorkflowError(f"{model!r} version {data.version}: its validation split is empty")
    for j in non_neutral(names, neutral):
        if data.val.Y[:, j].sum() == 0:
            raise WorkflowError(
                f"{model!r} version {data.version}: no {names[j]} example in the validation "
                "split, so no threshold can be tuned for it (add examples and retrain)"
            )

    predictor = copy.copy(data.predictor)
    raw_val = data.val.raw_proba
    if raw_val is None:
        raw_val = predictor.model.predict_proba(data.val.texts)
    mode = probability or "none"
    if mode == "keep":
        calibrator = predictor.calibrator
    elif mode == "none":
        calibrator = None
    elif mode in ("isotonic", "sigmoid"):
        calibrator = ProbabilityCalibrator(mode, multi).fit(raw_val, data.val.Y)
    else:
        raise WorkflowError(f"probability must be keep, none, isotonic or sigmoid, not {mode!r}")
    predictor.calibrator = calibrator
    proba_val = predictor.scores_from_raw(raw_val)

    choices = calibrate_thresholds(data.val.Y, proba_val, names, objective, targets, neutral)
    thresholds = threshold_values(choices)
    previous = dict(data.predictor.thresholds)
    predictor.thresholds = dict(thresholds)
    val_report = evaluate(
        data.val.Y, proba_val, names, multi, thresholds, texts=data.val.texts, neutral_label=neutral
    )
    test_report = None
    if data.test.texts:
        test_report = evaluate(
            data.test.Y,
            predictor.predict_proba(data.test.texts),
            names,
            multi,
            thresholds,
            texts=data.test.texts,
            index=np.asarray(data.test.example_ids),
            neutral_label=neutral,
        )
    result = CalibrationResult(
        model=model,
        source_version=data.version,
        version=None,
        run_id=None,
        thresholds=thresholds,
        previous_thresholds=previous,
        choices=choices,
        validation=val_report,
        test=test_report,
    )
    if not register:
        return result

    import mlflow

    client = tracking.configure()
    experiment_id = tracking.ensure_experiment(experiment or tracking.DEFAULT_EXPERIMENT, client)
    source_run = client.get_run(data.run_id)
    trainer = getattr(predictor.model, "name", None) or source_run.data.params.get(
        "trainer", "linear"
    )
    spec = {"objective": objective, "targets": targets}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{model}-calibrate") as run:
        mlflow.set_tags(
            {
                "modlab.model_name": model,
                "modlab.trainer": trainer,
                "modlab.step": "calibrate",
                TAG_CALIBRATED_FROM: str(data.version),
                "modlab.source_run": data.run_id,
            }
        )
        mlflow.log_params(
            {
                "source_version": data.version,
                "source_run": data.run_id,
                "threshold_objective": objective,
                "threshold_targets": json.dumps(targets),
                "probability": mode,
                "n_val": len(data.val.texts),
                "n_test": len(data.test.texts),
                "missing_examples": data.val.missing + data.test.missing,
            }
        )
        metrics = val_report.metrics(prefix="val_")
        if test_report is not None:
            metrics.update(test_report.metrics())
        metrics.update({f"threshold.{k}": v for k, v in thresholds.items()})
        mlflow.log_metrics(metrics)
        tracking.log_json(data.split, "split.json")  # so this version can be recalibrated
        tracking.log_json(
            {
                "thresholds": thresholds,
                "previous_thresholds": previous,
                "choices": {k: c.to_dict() for k, c in choices.items()},
            },
            "thresholds.json",
        )
        figures = [(val_report.plot_pr_curves(), "plots/pr_curves_val.png")]
        if test_report is not None:
            figures += [
                (test_report.plot_pr_curves(), "plots/pr_curves.png"),
                (test_report.plot_confusion_matrix(), "plots/confusion_matrix.png"),
            ]
        tracking.log_figures(figures)
        info = tracking.log_predictor(predictor, trainer)
        result.run_id = run.info.run_id
    _close_figures(figures)
    result.version = tracking.register(info.model_uri, model, result.run_id)
    _tag_version(
        model,
        result.version,
        {
            TAG_THRESHOLDS: thresholds,
            TAG_TRAINER: trainer,
            TAG_CALIBRATED_FROM: str(data.version),
            TAG_OBJECTIVE: json.dumps(spec),
        },
    )
    mode_promote = "if_champion" if promote == "if_champion" else _promote_mode(promote)
    champion = tracking.champion_version(model)
    if mode_promote == "always" or (
        mode_promote == "if_champion" and champion in (None, data.version)
    ):
        promote_version(model, result.version)
        result.promoted = True
    return result


def _close_figures(figures: Sequence[tuple[Any, str]]) -> None:
    import matplotlib.pyplot as plt

    for fig, _ in figures:
        plt.close(fig)


# -- promote / rollback / versions ---------------------------------------------------------------


def promote_version(model: str, version: int | str) -> int:
    """Make ``version`` the champion (the service swaps to it without a restart)."""
    from modlab.training import tracking

    v = int(_model_version(model, version).version)
    tracking.promote(model, v)
    _reload_served(model)
    return v


promote = promote_version


def rollback(model: str) -> int:
    """Put the previous champion back; returns its version."""
    from modlab.training import tracking

    _check_registered(model)
    try:
        v = tracking.rollback(model)
    except ValueError as exc:
        raise WorkflowError(str(exc)) from None
    _reload_served(model)
    return v


def thresholds_of(model: str, version: int | str | None = None) -> dict[str, float]:
    """The thresholds stored with a version (its tag, else the run's ``threshold.*`` metrics)."""
    mv = _model_version(model, _resolve_version(model, version))
    if TAG_THRESHOLDS in (mv.tags or {}):
        return {k: float(v) for k, v in json.loads(mv.tags[TAG_THRESHOLDS]).items()}
    if not mv.run_id:
        return {}
    metrics = _client().get_run(mv.run_id).data.metrics
    return {
        k.removeprefix("threshold."): v for k, v in metrics.items() if k.startswith("threshold.")
    }


def versions(model: str) -> pd.DataFrame:
    """One row per registered version: aliases, trainer, thresholds, test F1 per label."""
    registered = _check_registered(model)
    aliases: dict[int, list[str]] = {}
    for alias, v in (registered.aliases or {}).items():
        aliases.setdefault(int(v), []).append(alias)
    client = _client()
    rows = []
    for mv in client.search_model_versions(f"name='{model}'"):
        row: dict[str, Any] = {
            "version": int(mv.version),
            "aliases": ",".join(sorted(aliases.get(int(mv.version), []))),
            "created": pd.to_datetime(mv.creation_timestamp, unit="ms").floor("s"),
            "run_id": mv.run_id,
        }
        tags = mv.tags or {}
        metrics: dict[str, float] = {}
        if mv.run_id:
            run = client.get_run(mv.run_id)
            metrics = run.data.metrics
            row["trainer"] = tags.get(TAG_TRAINER) or run.data.tags.get("modlab.trainer", "")
        row["from"] = tags.get(TAG_CALIBRATED_FROM, "")
        if TAG_THRESHOLDS in tags:
            thresholds = json.loads(tags[TAG_THRESHOLDS])
        else:
            thresholds = {
                k.removeprefix("threshold."): v
                for k, v in metrics.items()
                if k.startswith("threshold.")
            }
        row["thresholds"] = ", ".join(f"{k} {float(v):.3f}" for k, v in thresholds.items())
        row["test_f1"] = ", ".join(
            f"{k.removeprefix('f1.')} {v:.3f}"
            for k, v in metrics.items()
            if k.startswith("f1.") and k.removeprefix("f1.") in thresholds
        )
        rows.append(row)
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)


# -- notebooks ----------------------------------------------------------------------------------


def threshold_explorer(
    model: str,
    version: int | str | None = None,
    *,
    split: str = "val",
    store: ExampleStore | str | None = None,
):
    """A slider per non-neutral label that redraws precision/recall on a version's split live.

    For trying thresholds in a notebook (the validation split by default); nothing is stored:
    :func:`calibrate` stores thresholds. Returns the ``VBox``; ``box.thresholds()`` reads the
    sliders.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    data = version_data(model, version, store=store)
    part = data.val if split == "val" else data.test
    proba = None
    if split == "val":
        proba = data.validation_proba() if part.texts else None
    elif part.texts:
        proba = data.predictor.predict_proba(part.texts)
    labels = [data.label_names[j] for j in non_neutral(data.label_names, data.neutral_label)]
    sliders = {
        label: w.FloatSlider(
            value=round(data.predictor.thresholds.get(label, 0.5), 3),
            min=0.0,
            max=1.0,
            step=0.01,
            description=label,
            readout_format=".2f",
            continuous_update=True,
        )
        for label in labels
    }
    readout = w.HTML()
    out = w.Output()

    def redraw(_: Any = None) -> None:
        rows = []
        with out:
            out.clear_output(wait=True)
            if proba is None:
                print(f"the {split} split of version {data.version} is empty")
                return
            fig, ax = plt.subplots(figsize=(5.5, 4))
            for label, slider in sliders.items():
                j = data.label_names.index(label)
                y, s = part.Y[:, j], proba[:, j]
                if y.min() == y.max():
                    continue
                prec, rec, _ = precision_recall_curve(y, s)
                (line,) = ax.plot(rec, prec, label=label)
                flag = s >= slider.value
                tp = int((flag & (y == 1)).sum())
                p = tp / flag.sum() if flag.sum() else 1.0
                r = tp / y.sum()
                f1 = 2 * p * r / (p + r) if p + r else 0.0
                ax.plot(r, p, "o", color=line.get_color(), markersize=9)
                rows.append(
                    f"<tr><td>{label}</td><td>{slider.value:.2f}</td><td>{p:.3f}</td>"
                    f"<td>{r:.3f}</td><td>{f1:.3f}</td><td>{int(flag.sum())}</td></tr>"
                )
            ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.01))
            ax.set_title(f"{model} v{data.version}, {split} split (dots: slider thresholds)")
            ax.legend(loc="lower left")
            plt.show()
        readout.value = (
            "<table><tr><th>label</th><th>threshold</th><th>precision</th><th>recall</th>"
            "<th>F1</th><th>flagged</th></tr>" + "".join(rows) + "</table>"
        )

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    box = w.VBox([*sliders.values(), readout, out])
    box.thresholds = lambda: {k: s.value for k, s in sliders.items()}  # type: ignore[attr-defined]
    redraw()
    return box


# -- printing --------------------------------------------------------------------------------------


def per_label_table(report: EvaluationReport) -> pd.DataFrame:
    cols = ["precision", "recall", "f1", "support", "threshold"]
    return report.per_label[cols].round(4)


def summary(result: TrainResult, seconds: float | None = None) -> str:
    """What ``modlab train`` prints: per-label scores on the test split and where it went."""
    search = result.split.extra.get("tuning")
    if search:
        chosen = ", ".join(f"{k}={v}" for k, v in search["chosen"].items())
        tuned = (
            f"thresholds{' and ' + chosen if chosen else ''} chosen on {search['folds']}-fold "
            "out-of-fold scores of train+validation"
        )
    else:
        tuned = "thresholds chosen on validation"
    lines = [
        f"{result.model_name}: trainer {result.trainer}, split {result.split.sizes()}",
        f"Per label on the test split ({tuned}):",
        per_label_table(result.evaluation).to_string(),
    ]
    for label in result.evaluation.per_label.index:
        if label in result.thresholds:
            lines.append(f"F1 {label}: {result.metrics[f'f1.{_key(label)}']:.4f}")
    lines.append(f"macro F1: {result.metrics['macro_f1']:.4f}")
    timing = f"fit {result.fit_seconds:.1f} s"
    if seconds is not None:
        timing += f", total {seconds:.1f} s"
    lines.append(timing)
    for warning in result.review.warnings:
        lines.append(f"review: {warning}")
    if result.run_id:
        lines.append(f"MLflow run: {result.run_id}  {run_url(result.run_id)}")
    if result.version is not None:
        state = "champion (served)" if result.promoted else "challenger"
        lines.append(
            f"registered: {result.model_name} version {result.version}, {state}  "
            f"{model_url(result.model_name, result.version)}"
        )
    return "\n".join(lines)


def _key(label: str) -> str:
    from modlab.training.evaluation import metric_key

    return metric_key(label)


__all__ = [
    "CalibrationResult",
    "NoTrainingDataError",
    "NotRegisteredError",
    "SplitData",
    "VersionData",
    "WorkflowError",
    "calibrate",
    "check_training_set",
    "model_url",
    "parse_target",
    "parse_targets",
    "per_label_table",
    "promote",
    "promote_version",
    "rollback",
    "run_url",
    "summary",
    "threshold_explorer",
    "thresholds_of",
    "train_from_store",
    "version_data",
    "versions",
]
