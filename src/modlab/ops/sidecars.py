"""The workbench servers `modlab serve` runs beside the service: MLflow, JupyterLab, Argilla.

They run detached (their own sessions, pid files under the data dir), so that `modlab serve`
can reuse ones already running. What one `serve` started it also stops when the service stops
(Ctrl-C, SIGTERM from a process manager): a newcomer's `make serve` then leaves no servers
holding ports 5000, 8888, 6900 and 6379 behind. Servers that were already running (`modlab
mlflow up`, `modlab argilla up`, another `serve`) are reused and left running. `modlab down`
stops all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from modlab.settings import Settings, get_settings


@dataclass(frozen=True)
class _Sidecar:
    label: str  # what the messages call it
    running: Callable[[Settings], bool]
    start: Callable[[Settings], str]  # returns the URL to print
    stop: Callable[[Settings], bool]


def _mlflow() -> _Sidecar:
    from modlab.ops import mlflow_server

    return _Sidecar(
        "MLflow tracking UI", mlflow_server.running, mlflow_server.start, mlflow_server.stop
    )


def _jupyterlab() -> _Sidecar:
    from modlab.ops import jupyter

    return _Sidecar("JupyterLab (notebooks)", jupyter.running, jupyter.start, jupyter.stop)


def _argilla() -> _Sidecar:
    from modlab.annotation import argilla_stack

    def running(settings: Settings) -> bool:
        return bool(argilla_stack.status(settings)["ready"])

    def start(settings: Settings) -> str:
        return str(argilla_stack.up(settings).get("url", settings.argilla_url))

    def stop(settings: Settings) -> bool:
        return any(argilla_stack.down(settings).values())

    return _Sidecar("Argilla (annotation UI)", running, start, stop)


_FACTORIES: dict[str, Callable[[], _Sidecar]] = {
    "mlflow": _mlflow,
    "jupyterlab": _jupyterlab,
    "argilla": _argilla,
}
# In start order; `modlab down` stops them in reverse.
SIDECARS = tuple(_FACTORIES)


@dataclass
class SidecarSession:
    """Starts the requested sidecars and remembers which of them it started itself."""

    settings: Settings = field(default_factory=get_settings)
    started: list[str] = field(default_factory=list)

    def start(self, name: str, echo: Callable[[str], None], warn: Callable[[str], None]) -> None:
        """Start ``name`` (or reuse it when it already runs) and print its URL.

        A sidecar that fails to start is reported with ``warn``: the service must come up
        without its workbench.
        """
        sidecar = _FACTORIES[name]()
        try:
            reused = sidecar.running(self.settings)
            url = sidecar.start(self.settings)
        except Exception as exc:  # noqa: BLE001 - any failure: report it, serve anyway
            warn(f"{sidecar.label} did not start: {exc}")
            return
        if not reused:
            self.started.append(name)
        note = " (already running: left running on exit)" if reused else ""
        echo(f"{sidecar.label}: {url}{note}")

    def stop_started(self, echo: Callable[[str], None]) -> None:
        """Stop, newest first, what :meth:`start` started (not what it reused).

        Another Ctrl-C while this waits leaves the rest running, and says how to stop it.
        """
        try:
            while self.started:
                sidecar = _FACTORIES[self.started[-1]]()
                if sidecar.stop(self.settings):
                    echo(f"stopped {sidecar.label}")
                self.started.pop()
        except KeyboardInterrupt:
            echo(f"interrupted: still running {', '.join(self.started)} (`modlab down` stops them)")


def stop_all(settings: Settings | None = None) -> dict[str, bool]:
    """Stop every sidecar that runs (``modlab down``); ``{name: was it running}``."""
    settings = settings or get_settings()
    return {name: _FACTORIES[name]().stop(settings) for name in reversed(SIDECARS)}


__all__ = ["SIDECARS", "SidecarSession", "stop_all"]
