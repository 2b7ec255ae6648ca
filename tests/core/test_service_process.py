"""The real BentoML service and MLflow server, started the way `make serve` starts them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not become ready in {timeout} s")


class Service:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port, self.proc = env, port, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "modlab"), "serve", "--no-mlflow", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait(f"{self.url}/readyz")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # BentoML's workers can outlive the supervisor briefly: a restart on the same port
        # must not talk to the old process.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.2)
        raise AssertionError(f"port {self.port} still open 30 s after stopping the service")


@pytest.fixture
def service_env(tmp_path) -> dict[str, str]:
    return {**os.environ, "MODLAB_DATA_DIR": str(tmp_path / "var")}


def test_service_persists_projects_filters_and_requests_across_restart(
    service_env, cli_project_key
):
    key = cli_project_key(service_env, "restart-me")
    headers = {"Authorization": f"Bearer {key}"}
    svc = Service(service_env, _free_port())
    svc.start()
    try:
        assert httpx.get(f"{svc.url}/livez").status_code == 200
        assert (
            httpx.get(f"{svc.url}/api/v1/auth", headers=headers).json()["project"] == "restart-me"
        )
        bad = httpx.get(f"{svc.url}/api/v1/auth", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["code"] == 401
        project_id = httpx.get(f"{svc.url}/api/v1/projects", headers=headers).json()["projects"][0][
            "_id"
        ]
        upd = httpx.post(
            f"{svc.url}/api/v1/projects/{project_id}",
            headers=headers,
            json={"filter": {"email": {"mode": "SUSPICIOUS"}}},
        )
        assert upd.status_code == 200
        moderated = httpx.post(
            f"{svc.url}/api/v1/moderation/text",
            headers=headers,
            json={"value": "write to bob at example dot com"},
        ).json()
        assert moderated["email"]["found"] is True
        too_long = httpx.post(
            f"{svc.url}/api/v1/moderation/text", headers=headers, json={"value": "y" * 20_000}
        )
        assert too_long.status_code == 413 and too_long.json()["status"] == "error"
        missing = httpx.get(f"{svc.url}/api/v1/none", headers=headers)
        assert missing.status_code == 404 and missing.json()["code"] == 404
    finally:
        svc.stop()

    svc.start()
    try:
        project = httpx.get(f"{svc.url}/api/v1/projects/{project_id}", headers=headers).json()
        assert project["filter"]["email"]["mode"] == "SUSPICIOUS"
        account = httpx.get(f"{svc.url}/api/v1/account", headers=headers).json()
        assert account["text_api_usage_this_month"] == 1
    finally:
        svc.stop()

    from modlab.moderation.log import RequestLogStore
    from modlab.storage.db import Database

    db = Database(f"sqlite:///{service_env['MODLAB_DATA_DIR']}/modlab.db").migrate()
    rows = RequestLogStore(db).list(project_id)
    assert [r.id for r in rows] == [moderated["request"]["id"]]


def _session_members(sid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after the name: state ppid pgrp session
            out.append(int(stat.parent.name))
    return out


def test_sigterm_to_modlab_serve_alone_stops_the_workers_and_keeps_buffered_logs(
    service_env, cli_project_key
):
    """A process manager signals ``modlab serve`` only: BentoML and its workers must follow."""
    key = cli_project_key(service_env, "sigterm")
    svc = Service(service_env, _free_port())
    svc.start()
    ids = [
        httpx.post(
            f"{svc.url}/api/v1/moderation/text",
            headers={"Authorization": f"Bearer {key}"},
            json={"value": f"message number {i}"},
        ).json()["request"]["id"]
        for i in range(3)
    ]
    os.kill(svc.proc.pid, signal.SIGTERM)  # not the process group
    svc.proc.wait(60)
    deadline = time.monotonic() + 30
    while _session_members(svc.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_members(svc.proc.pid) == []  # no orphaned worker

    from sqlalchemy import select

    from modlab.storage.db import Database
    from modlab.storage.models import RequestLog

    db = Database(f"sqlite:///{service_env['MODLAB_DATA_DIR']}/modlab.db").migrate()
    with db.session() as s:
        stored = set(s.scalars(select(RequestLog.id)).all())
    assert set(ids) <= stored  # the workers' buffered request logs were written on the way out


def test_mlflow_server_starts_lean_and_stops(tmp_path):
    env = {
        **os.environ,
        "MODLAB_DATA_DIR": str(tmp_path / "var"),
        "MODLAB_MLFLOW_PORT": str(_free_port()),
    }
    up = subprocess.run(
        [str(BIN / "modlab"), "mlflow", "up"], env=env, capture_output=True, text=True, timeout=180
    )
    assert up.returncode == 0, up.stdout + up.stderr
    url = up.stdout.strip().split()[-1]
    try:
        experiments = httpx.post(
            f"{url}/api/2.0/mlflow/experiments/search", json={"max_results": 10}
        ).json()
        assert any(e["name"] == "Default" for e in experiments["experiments"])
        assert (tmp_path / "var" / "mlflow.db").exists()
    finally:
        down = subprocess.run(
            [str(BIN / "modlab"), "mlflow", "down"], env=env, capture_output=True, text=True
        )
        assert "stopped" in down.stdout
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=2)


def test_bentofile_requirements_match_pyproject():
    import tomllib

    root = Path(__file__).resolve().parents[2]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [
        line.strip()
        for line in (root / "requirements-bento.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    runtime_deps = [d for d in deps if not d.startswith(("jupyterlab", "ipywidgets"))]
    assert pinned == runtime_deps


@pytest.mark.slow
def test_bentoml_build_works_offline(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "true"}
    out = subprocess.run(
        [str(BIN / "bentoml"), "build", "--output", "tag"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    bentos = list((tmp_path / "bentoml" / "bentos" / "modlab").glob("*/src/src/modlab/serving"))
    assert bentos, "the built bento does not contain the service package"


def test_jupyterlab_starts_with_a_token_and_stops(tmp_path, monkeypatch):
    from modlab.ops import jupyter
    from modlab.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", jupyter_port=_free_port())
    url = jupyter.start(settings)
    try:
        assert "token=" in url
        base = url.split("/lab?")[0]
        assert httpx.get(f"{base}/api/status").status_code == 403  # no token, no access
        token = url.split("token=")[1]
        assert httpx.get(f"{base}/api/status?token={token}").status_code == 200
    finally:
        assert jupyter.stop(settings) is True


def test_serve_stops_the_sidecars_it_started_and_leaves_reused_ones(tmp_path):
    """Ctrl-C / SIGTERM on `modlab serve` leaves no JupyterLab it started holding its port;
    an MLflow that was already running is reused and kept; `modlab down` stops it."""
    from modlab.ops import jupyter, mlflow_server
    from modlab.ops.processes import process_alive
    from modlab.settings import Settings

    env = {
        **os.environ,
        "MODLAB_DATA_DIR": str(tmp_path / "var"),
        "MODLAB_MLFLOW_PORT": str(_free_port()),
        "MODLAB_JUPYTER_PORT": str(_free_port()),
    }
    settings = Settings(
        data_dir=tmp_path / "var",
        mlflow_port=int(env["MODLAB_MLFLOW_PORT"]),
        jupyter_port=int(env["MODLAB_JUPYTER_PORT"]),
    )
    up = subprocess.run(
        [str(BIN / "modlab"), "mlflow", "up"], env=env, capture_output=True, text=True, timeout=180
    )
    assert up.returncode == 0, up.stdout + up.stderr
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "modlab"), "serve", "--lab", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(f"http://127.0.0.1:{port}/readyz")
        assert jupyter.running(settings) and mlflow_server.running(settings)
        lab_pid = int((tmp_path / "var" / "run" / "jupyterlab.pid").read_text())
        os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C gives the foreground process
        assert proc.wait(90) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = log.read_text()
    assert "already running: left running on exit" in output  # MLflow was reused
    assert "stopped JupyterLab (notebooks)" in output
    assert not jupyter.running(settings)
    assert not process_alive(lab_pid)
    assert mlflow_server.running(settings)  # started before serve: still there
    down = subprocess.run(
        [str(BIN / "modlab"), "down"], env=env, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stdout + down.stderr
    assert "mlflow: stopped" in down.stdout and "jupyterlab: not running" in down.stdout
    assert not mlflow_server.running(settings)
