"""The MLflow tracking server: SQLite store, artifacts under mlruns/, lean (1 worker)."""

from __future__ import annotations

import sys
from pathlib import Path

from modlab.ops.processes import ManagedProcess, wait_http
from modlab.settings import Settings, get_settings


def _process(settings: Settings) -> ManagedProcess:
    return ManagedProcess("mlflow", settings.data_dir / "run")


def mlflow_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"http://{settings.mlflow_host}:{settings.mlflow_port}"


def start(settings: Settings | None = None, wait: float = 90.0) -> str:
    """Start (or find) the MLflow server; returns its URL once it answers."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    argv = [
        str(mlflow_bin),
        "server",
        "--workers",
        "1",
        "--host",
        settings.mlflow_host,
        "--port",
        str(settings.mlflow_port),
        "--backend-store-uri",
        settings.tracking_uri,
        "--artifacts-destination",
        settings.mlflow_artifact_root.resolve().as_uri(),
    ]
    # The default server also spawns a job-execution pool (15 processes, ~1 GB).
    proc = _process(settings)
    proc.start(argv, env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    url = mlflow_url(settings)
    if not wait_http(f"{url}/health", wait, ok=lambda r: r.status_code == 200):
        raise RuntimeError(f"MLflow did not answer at {url} in {wait:.0f} s:\n{proc.log_tail()}")
    return url


def stop(settings: Settings | None = None) -> bool:
    return _process(settings or get_settings()).stop()


def running(settings: Settings | None = None) -> bool:
    return _process(settings or get_settings()).pid() is not None
