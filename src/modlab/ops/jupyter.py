"""JupyterLab for the notebooks (the data scientists' workbench), on loopback with a token."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from modlab.ops.processes import ManagedProcess, wait_http
from modlab.settings import REPO_ROOT, Settings, get_settings


def _token(settings: Settings) -> str:
    path = settings.data_dir / "run" / "jupyter_token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def start(settings: Settings | None = None, wait: float = 60.0) -> str:
    """Start (or find) JupyterLab on the notebooks folder; returns its URL with the token."""
    settings = settings or get_settings()
    token = _token(settings)
    notebooks = REPO_ROOT / "notebooks"
    argv = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        f"--ServerApp.ip={settings.jupyter_host}",
        f"--ServerApp.port={settings.jupyter_port}",
        f"--ServerApp.root_dir={notebooks if notebooks.exists() else REPO_ROOT}",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:  # containers and CI machines often run as root
        argv.append("--allow-root")
    proc = _process(settings)
    proc.start(argv)
    base = f"http://{settings.jupyter_host}:{settings.jupyter_port}"
    if not wait_http(f"{base}/api/status?token={token}", wait, ok=lambda r: r.status_code == 200):
        raise RuntimeError(
            f"JupyterLab did not answer at {base} in {wait:.0f} s:\n{proc.log_tail()}"
        )
    return f"{base}/lab?token={token}"


def _process(settings: Settings) -> ManagedProcess:
    return ManagedProcess("jupyterlab", settings.data_dir / "run")


def stop(settings: Settings | None = None) -> bool:
    return _process(settings or get_settings()).stop()


def running(settings: Settings | None = None) -> bool:
    return _process(settings or get_settings()).pid() is not None
