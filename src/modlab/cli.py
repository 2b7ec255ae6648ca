"""The ``modlab`` command line: projects, the service, MLflow, health checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from modlab.settings import get_settings

app = typer.Typer(
    help="modlab: self-hosted text moderation and its ML workbench.", no_args_is_help=True
)
projects_app = typer.Typer(
    help="Create and manage projects and their API keys.", no_args_is_help=True
)
mlflow_app = typer.Typer(help="The MLflow tracking server.", no_args_is_help=True)
app.add_typer(projects_app, name="projects")
app.add_typer(mlflow_app, name="mlflow")


def _mount_workbench() -> None:
    """Sub-commands owned by the workbench packages (each module keeps its imports lazy)."""
    from modlab.annotation.cli import argilla_app
    from modlab.annotation.loop_cli import annotate_app
    from modlab.builtin.cli import builtin_app
    from modlab.data.cli import data_app, models_app

    models_app.registered_commands.extend(builtin_app.registered_commands)
    app.add_typer(models_app, name="models")
    app.add_typer(data_app, name="data")
    app.add_typer(argilla_app, name="argilla")
    app.add_typer(annotate_app, name="annotate")
    from modlab.training.cli import register as register_training

    register_training(app)


_mount_workbench()


def _store():
    from modlab.analyzers.custom import champion_cache
    from modlab.projects import ProjectStore
    from modlab.storage.db import get_database

    return ProjectStore(get_database(), known_models=champion_cache().known_models)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _load_json(text: str | None, path: Path | None, what: str) -> dict | None:
    if text is None and path is None:
        return None
    try:
        raw = path.read_text() if path is not None else text
        data = json.loads(raw)
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"{what} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        _fail(f"{what} must be a JSON object")
    return data


@projects_app.command("create")
def projects_create(
    name: str,
    filter_json: Annotated[str | None, typer.Option("--filter", help="filter as JSON")] = None,
    filter_file: Annotated[Path | None, typer.Option(help="filter JSON file")] = None,
) -> None:
    """Create a project and print its API key (shown only this once)."""
    from modlab.projects import FilterError, ProjectError

    flt = _load_json(filter_json, filter_file, "filter")
    try:
        project, key = _store().create(name, flt)
    except (FilterError, ProjectError) as exc:
        _fail(str(exc))
    typer.echo(f"project: {project.name} ({project.id})")
    typer.echo(f"api key: {key}")
    typer.secho("Store the key now: it is not shown again.", fg=typer.colors.YELLOW, err=True)


@projects_app.command("list")
def projects_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List projects (keys are shown masked)."""
    projects = _store().list()
    if as_json:
        typer.echo(json.dumps([p.public() for p in projects], indent=2))
        return
    if not projects:
        typer.echo("no projects yet: modlab projects create NAME")
    for p in projects:
        enabled = ",".join(k for k, v in p.filter.items() if v.get("enabled", True)) or "-"
        typer.echo(f"{p.id}  {p.name:<24} key {p.public()['apiKey']}  models {enabled}")


@projects_app.command("show")
def projects_show(project: str) -> None:
    """Show one project (by id or name) as JSON."""
    from modlab.projects import ProjectNotFound

    try:
        typer.echo(json.dumps(_store().get(project).public(), indent=2))
    except ProjectNotFound as exc:
        _fail(str(exc))


@projects_app.command("rotate-key")
def projects_rotate_key(project: str) -> None:
    """Revoke a project's key and print a new one."""
    from modlab.projects import ProjectError

    try:
        key = _store().rotate_key(project)
    except ProjectError as exc:
        _fail(str(exc))
    typer.echo(f"api key: {key}")


@projects_app.command("set-filter")
def projects_set_filter(
    project: str,
    filter_json: Annotated[str | None, typer.Argument(help="filter (or a patch) as JSON")] = None,
    filter_file: Annotated[Path | None, typer.Option(help="filter JSON file")] = None,
    replace: Annotated[
        bool, typer.Option(help="replace the whole filter instead of patching")
    ] = False,
) -> None:
    """Patch (or replace) a project's filter, e.g. '{"profanity": {"mode": "SUSPICIOUS"}}'."""
    from modlab.projects import FilterError, ProjectError

    patch = _load_json(filter_json, filter_file, "filter")
    if patch is None:
        _fail("give the filter as an argument or with --filter-file")
    try:
        updated = _store().update(project, filter_patch=patch, replace_filter=replace)
    except (FilterError, ProjectError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(updated.filter, indent=2))


@projects_app.command("set-rate-limit")
def projects_set_rate_limit(
    project: str,
    requests: Annotated[int, typer.Argument(help="requests per window; 0 = unlimited")],
    window: Annotated[float, typer.Option(help="window in seconds")] = 10.0,
) -> None:
    """Set a project's rate limit (the hosted preset is 10 requests / 10 s)."""
    from modlab.projects import ProjectError

    if requests < 0 or window <= 0:
        _fail("requests must be >= 0 and window > 0")
    try:
        _store().update(project, rate_limit=(requests, window))
    except ProjectError as exc:
        _fail(str(exc))
    typer.echo(f"rate limit: {requests} requests / {window:g} s")


@mlflow_app.command("up")
def mlflow_up() -> None:
    """Start the MLflow tracking server in the background."""
    from modlab.ops import mlflow_server

    typer.echo(f"MLflow at {mlflow_server.start()}")


@mlflow_app.command("down")
def mlflow_down() -> None:
    """Stop the MLflow tracking server."""
    from modlab.ops import mlflow_server

    typer.echo("stopped" if mlflow_server.stop() else "not running")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    with_mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow")] = True,
    with_lab: Annotated[bool, typer.Option("--lab/--no-lab", help="JupyterLab")] = False,
    with_argilla: Annotated[bool, typer.Option("--argilla/--no-argilla")] = False,
    build_models: Annotated[bool, typer.Option("--build-models/--no-build-models")] = False,
) -> None:
    """Run the moderation service (BentoML) in the foreground, with the workbench beside it."""
    settings = get_settings()
    settings.ensure_dirs()
    from modlab.storage.db import get_database

    get_database(settings.database)  # migrate before the workers start
    background: list = []  # (name, process) of the slow builds running beside the service
    if build_models:
        from modlab.builtin.build import (
            background_builds,
            build_missing,
            missing_builds,
            start_background_build,
        )

        slow = [name for name in missing_builds() if name in background_builds()]
        for name in build_missing(skip=slow):
            typer.echo(f"built-in model ready: {name}")
        log_dir = settings.data_dir / "logs"
        for name in slow:
            background.append((name, start_background_build(name, log_dir)))
            typer.echo(
                f"built-in model {name}: fine-tuning in the background (~8 min on 2 cores, log "
                f"{log_dir / f'build-{name}.log'}); its routes answer 503 until it is ready"
            )
    from modlab.ops.sidecars import SidecarSession

    def warn(message: str) -> None:
        typer.secho(message, fg=typer.colors.YELLOW, err=True)

    sidecars = SidecarSession(settings)
    wanted = {"mlflow": with_mlflow, "jupyterlab": with_lab, "argilla": with_argilla}
    for name, on in wanted.items():
        if on:
            sidecars.start(name, typer.echo, warn)
    env = {
        **os.environ,
        "BENTOML_DO_NOT_TRACK": "true",
        "BENTOML_HOME": str(settings.data_dir / "bentoml"),
        "HF_HUB_OFFLINE": "1",
    }
    argv = [
        str(Path(sys.executable).with_name("bentoml")),
        "serve",
        "modlab.serving.service:Modlab",
        "--host",
        host or settings.host,
        "--port",
        str(port or settings.port),
    ]
    typer.echo(f"modlab service: http://{host or settings.host}:{port or settings.port}")
    try:
        code = _run_forwarding_signals(argv, env)
    finally:
        for name, proc in background:
            if proc.poll() is None:  # unfinished: nothing was installed, the next serve rebuilds
                proc.terminate()
                proc.wait()
                typer.echo(f"built-in model {name}: background build stopped before it finished")
        sidecars.stop_started(typer.echo)  # what this serve started; reused ones keep running
    raise typer.Exit(code)


@app.command()
def down() -> None:
    """Stop the workbench servers running in the background (Argilla, JupyterLab, MLflow).

    ``modlab serve`` stops those it started itself; this also stops those started with
    ``modlab mlflow up`` / ``modlab argilla up`` or left behind by a killed ``serve``.
    """
    from modlab.ops.sidecars import stop_all

    for name, was_running in stop_all().items():
        typer.echo(f"{name}: {'stopped' if was_running else 'not running'}")


def _run_forwarding_signals(argv: list[str], env: dict[str, str]) -> int:
    """Run the BentoML server; SIGINT/SIGTERM sent to ``modlab serve`` alone (a process
    manager, ``kill``) reach it too, so its workers stop gracefully and flush their buffered
    request logs instead of being orphaned."""
    import signal

    proc = subprocess.Popen(argv, env=env)

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # only if a handler was replaced meanwhile
                forward(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command()
def doctor() -> None:
    """Check every component; exit 1 when a required one is missing."""
    from modlab.ops.doctor import run_checks

    checks = run_checks()
    for c in checks:
        mark = (
            typer.style("ok  ", fg=typer.colors.GREEN)
            if c.ok
            else typer.style("FAIL", fg=typer.colors.RED)
        )
        typer.echo(f"{mark} {c.name:<22} {c.detail}")
        if not c.ok and c.fix:
            typer.echo(f"     fix: {c.fix}")
    required = [
        c for c in checks if c.name.startswith("package") or c.name in ("database", "detectors")
    ]
    raise typer.Exit(0 if all(c.ok for c in required) else 1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
