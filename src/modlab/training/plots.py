"""Figures built on ``matplotlib.figure.Figure`` directly, never through pyplot.

Such figures render with the Agg canvas (PNG) whatever pyplot's backend is, need no display
(servers, tests) and are not kept alive by pyplot's global figure registry. In Jupyter they
still display inline when returned from a cell.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def figure(width: float = 6.0, height: float = 4.5, ncols: int = 1):
    """A new Agg-backed ``(figure, axes)`` pair."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def save_png(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, format="png")
    return path
