"""``modlab train / calibrate / promote / rollback / versions``: the training workflow.

Mount at the top level of the main CLI with :func:`register` (or
``app.registered_commands.extend(train_app.registered_commands)``). Heavy imports (MLflow,
scikit-learn, torch) happen inside the commands, so ``modlab --help`` stays fast.
"""

from __future__ import annotations

import json
import time
from typing import Any

import typer

train_app = typer.Typer(
    help="Train, calibrate and promote custom models (MLflow registry).", no_args_is_help=True
)

DatabaseOpt = typer.Option(
    None, "--database", envvar="MODLAB_DATABASE_URL", help="Database URL (default: settings)."
)
TargetOpt = typer.Option(
    None,
    "--target",
    help="Threshold goal per label (repeatable): LABEL:precision=0.95, LABEL:recall=0.9, LABEL:f1.",
)


def _fail(message: Any) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _errors() -> tuple[type[BaseException], ...]:
    from modlab.data.schemas import LabelError, SchemaError, UnknownModelError
    from modlab.training.workflow import WorkflowError

    return (WorkflowError, UnknownModelError, LabelError, SchemaError, ValueError, LookupError)


def _param_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_params(values: list[str] | None) -> dict[str, Any]:
    """``--param C=3 --param word_ngrams=[1,3]`` → ``{"C": 3, "word_ngrams": [1, 3]}``."""
    out: dict[str, Any] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            _fail(f"--param {value!r}: expected KEY=VALUE")
        parsed = _param_value(raw.strip())
        out[key.strip()] = tuple(parsed) if isinstance(parsed, list) else parsed
    return out


def parse_parents(values: list[str] | None) -> dict[str, str]:
    """``--parent hate/threatening=hate`` → ``{"hate/threatening": "hate"}``."""
    out: dict[str, str] = {}
    for value in values or []:
        child, sep, parent = (part.strip() for part in value.partition("="))
        if not sep or not child or not parent:
            _fail(f"--parent {value!r}: expected CHILD=PARENT")
        out[child] = parent
    return out


def _targets(values: list[str] | None) -> dict[str, Any]:
    from modlab.training.workflow import WorkflowError, parse_targets

    try:
        return parse_targets(values)
    except WorkflowError as exc:
        _fail(exc)
    return {}


@train_app.command("train")
def train(
    model: str = typer.Argument(..., help="The custom model (see `modlab models list`)."),
    trainer: str = typer.Option(
        "linear",
        "--trainer",
        "-t",
        help="linear | hybrid | transformer | embedding | ensemble | auto",
    ),
    calibration: str = typer.Option(
        "none", "--calibration", help="Probability calibration: none | isotonic | sigmoid | auto."
    ),
    objective: str = typer.Option(
        "f1", "--objective", help="Threshold objective for labels without --target."
    ),
    target: list[str] = TargetOpt,
    promote: bool | None = typer.Option(
        None,
        "--promote/--no-promote",
        help="Serve the new version now / never (default: only if nothing is served yet).",
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="transformer/embedding epochs."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Trainer parameter KEY=VALUE."),
    seed: int = typer.Option(0, "--seed", help="Split and training seed."),
    cv_folds: int | None = typer.Option(
        None, "--cv-folds", help="Folds of --tuning cv (default 5); with split: also report CV."
    ),
    tuning: str = typer.Option(
        "auto",
        "--tuning",
        help="Where C/calibration/thresholds are chosen: cv (out-of-fold over train+val, "
        "then fit on both) | split (validation split) | auto (cv for linear).",
    ),
    label_source: list[str] = typer.Option(
        None, "--label-source", help="Use only labels from these sources (repeatable)."
    ),
    window_chars: int | None = typer.Option(
        None,
        "--window-chars",
        help="Multi-label models: score texts longer than two windows of this many characters "
        "also window by window (each label keeps its highest score), e.g. 140.",
    ),
    parent: list[str] = typer.Option(
        None,
        "--parent",
        help="Multi-label hierarchy CHILD=PARENT (repeatable), e.g. hate/threatening=hate: "
        "the parent scores at least what the child scores.",
    ),
    experiment: str | None = typer.Option(None, "--experiment", help="MLflow experiment."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Log evaluation plots."),
    database: str | None = DatabaseOpt,
) -> None:
    """Train MODEL on its labelled examples, print per-label scores, log it to MLflow."""
    from modlab.data.store import ExampleStore
    from modlab.training import workflow

    params = parse_params(param)
    if epochs is not None:
        params["epochs"] = epochs
    targets = _targets(target)
    parents = parse_parents(parent)
    try:
        store = ExampleStore(database)
        counts = store.label_distribution(model)
        typer.echo(
            f"Training {model!r} with {trainer} on "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        )
        start = time.perf_counter()
        result = workflow.train_from_store(
            model,
            trainer=trainer,
            trainer_params=params or None,
            calibration=calibration,
            objective=objective,
            targets=targets,
            promote="if_none" if promote is None else promote,
            label_sources=label_source or None,
            seed=seed,
            cv_folds=cv_folds,
            tuning=tuning,
            window_chars=window_chars,
            label_parents=parents or None,
            experiment=experiment,
            log_plots=plots,
            store=store,
        )
    except _errors() as exc:
        _fail(exc)
    typer.echo(workflow.summary(result, time.perf_counter() - start))


@train_app.command("calibrate")
def calibrate(
    model: str = typer.Argument(...),
    version: int | None = typer.Option(
        None, "--version", "-v", help="Version to start from (default: the champion)."
    ),
    target: list[str] = TargetOpt,
    objective: str = typer.Option(
        "f1", "--objective", help="Objective for labels without --target."
    ),
    probability: str = typer.Option(
        "keep", "--probability", help="keep | none | isotonic | sigmoid (refit on validation)."
    ),
    promote: bool | None = typer.Option(
        None,
        "--promote/--no-promote",
        help="Serve the result (default: when the calibrated version is the one served).",
    ),
    database: str | None = DatabaseOpt,
) -> None:
    """Re-choose MODEL's thresholds on its validation split; register them as a new version."""
    from modlab.training import workflow

    targets = _targets(target)
    try:
        result = workflow.calibrate(
            model,
            version=version,
            objective=objective,
            targets=targets,
            probability=probability,
            promote="if_champion" if promote is None else promote,
            store=database,
        )
    except _errors() as exc:
        _fail(exc)
    typer.echo(
        f"{model}: thresholds chosen on the validation split of version {result.source_version}"
    )
    typer.echo(result.table().to_string())
    for label, choice in result.choices.items():
        if not choice.achieved:
            typer.secho(
                f"warning: {label}: target {choice.objective} {choice.target} not reachable on "
                f"validation; kept the best threshold found ({choice.threshold:.4f})",
                fg=typer.colors.YELLOW,
                err=True,
            )
    state = (
        "champion (served; these are now the default thresholds)"
        if result.promoted
        else (f"challenger (serve it with: modlab promote {model} {result.version})")
    )
    typer.echo(f"registered: {model} version {result.version}, {state}")
    typer.echo(f"thresholds: {json.dumps({k: round(v, 4) for k, v in result.thresholds.items()})}")
    typer.echo(f"MLflow run: {result.run_id}  {workflow.run_url(result.run_id)}")


@train_app.command("promote")
def promote(model: str, version: int) -> None:
    """Serve VERSION of MODEL (alias champion); the service swaps without a restart."""
    from modlab.training import tracking, workflow

    try:
        before = tracking.champion_version(model)
        workflow.promote_version(model, version)
        thresholds = workflow.thresholds_of(model, version)
    except _errors() as exc:
        _fail(exc)
    was = f" (was {before})" if before not in (None, version) else ""
    typer.echo(f"{model}: version {version} is the champion{was}")
    typer.echo(f"thresholds: {json.dumps({k: round(v, 4) for k, v in thresholds.items()})}")


@train_app.command("rollback")
def rollback(model: str) -> None:
    """Serve MODEL's previous champion again."""
    from modlab.training import tracking, workflow

    try:
        before = tracking.champion_version(model) if _registered(model) else None
        version = workflow.rollback(model)
    except _errors() as exc:
        _fail(exc)
    typer.echo(f"{model}: rolled back to version {version} (was {before})")


def _registered(model: str) -> bool:
    from modlab.training import workflow

    try:
        workflow._check_registered(model)
    except workflow.WorkflowError:
        return False
    return True


@train_app.command("versions")
def versions(
    model: str, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")
) -> None:
    """List MODEL's registered versions with aliases, thresholds and test F1."""
    from modlab.training import workflow

    try:
        table = workflow.versions(model)
    except _errors() as exc:
        _fail(exc)
    if as_json:
        typer.echo(table.to_json(orient="records", date_format="iso", indent=2))
        return
    if table.empty:
        typer.echo(f"{model} has no registered versions")
        return
    typer.echo(table.drop(columns=["run_id"]).to_string(index=False))


def register(app: typer.Typer) -> None:
    """Add the commands at the top level of ``app`` (``modlab train MODEL`` ...)."""
    app.registered_commands.extend(train_app.registered_commands)


if __name__ == "__main__":  # pragma: no cover
    train_app()
