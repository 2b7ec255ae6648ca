"""What `modlab serve` starts beside the service, and what it stops (no servers started here)."""

from __future__ import annotations

import pytest

from modlab.ops import sidecars
from modlab.settings import Settings


class FakeServer:
    """Stands in for a server's start/stop functions: records calls, can fail or be interrupted."""

    def __init__(self, running: bool = False, fail: Exception | None = None) -> None:
        self.is_running, self.fail, self.calls = running, fail, []

    def sidecar(self, label: str) -> sidecars._Sidecar:
        return sidecars._Sidecar(label, self.running, self.start, self.stop)

    def running(self, settings: Settings) -> bool:
        return self.is_running

    def start(self, settings: Settings) -> str:
        self.calls.append("start")
        if self.fail:
            raise self.fail
        self.is_running = True
        return "http://127.0.0.1:1"

    def stop(self, settings: Settings) -> bool:
        self.calls.append("stop")
        if isinstance(self.fail, KeyboardInterrupt):
            raise self.fail
        was, self.is_running = self.is_running, False
        return was


@pytest.fixture
def servers(monkeypatch) -> dict[str, FakeServer]:
    fakes = {
        "mlflow": FakeServer(running=True),
        "jupyterlab": FakeServer(),
        "argilla": FakeServer(),
    }
    factories = {name: (lambda f=f, n=name: f.sidecar(n)) for name, f in fakes.items()}
    monkeypatch.setattr(sidecars, "_FACTORIES", factories)
    return fakes


def test_only_what_serve_started_is_stopped(servers, tmp_path):
    out: list[str] = []
    session = sidecars.SidecarSession(Settings(data_dir=tmp_path))
    for name in sidecars.SIDECARS:
        session.start(name, out.append, out.append)
    assert session.started == ["jupyterlab", "argilla"]  # mlflow was already running
    assert "already running" in out[0]
    session.stop_started(out.append)
    assert out[-2:] == ["stopped argilla", "stopped jupyterlab"]  # newest first
    assert servers["mlflow"].calls == ["start"] and servers["mlflow"].is_running


def test_a_sidecar_that_cannot_start_is_reported_and_not_stopped(servers, tmp_path):
    servers["argilla"].fail = RuntimeError("no redis-server")
    warnings: list[str] = []
    session = sidecars.SidecarSession(Settings(data_dir=tmp_path))
    session.start("argilla", print, warnings.append)
    assert warnings == ["argilla did not start: no redis-server"]
    assert session.started == []


def test_ctrl_c_while_stopping_says_what_still_runs(servers, tmp_path):
    out: list[str] = []
    session = sidecars.SidecarSession(Settings(data_dir=tmp_path))
    session.start("jupyterlab", out.append, out.append)
    session.start("argilla", out.append, out.append)
    servers["argilla"].fail = KeyboardInterrupt()
    session.stop_started(out.append)
    assert out[-1] == "interrupted: still running jupyterlab, argilla (`modlab down` stops them)"


def test_down_stops_every_sidecar_that_runs(servers, tmp_path):
    servers["argilla"].is_running = True
    assert sidecars.stop_all(Settings(data_dir=tmp_path)) == {
        "argilla": True, "jupyterlab": False, "mlflow": True,
    }  # fmt: skip
