"""Small ipywidgets front-ends for notebooks (kept thin: logic lives in the library)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modlab.training.labels import NEUTRAL
from modlab.training.test_run import test_run
from modlab.training.thresholds import DEFAULT_THRESHOLD


def test_run_widget(
    model: Any,
    thresholds: Mapping[str, float] | None = None,
    neutral_label: str | None = NEUTRAL,
    example: str = "",
):
    """Text box → one score bar per label, a threshold slider per non-neutral label.

    ``model`` is anything :func:`modlab.training.test_run.test_run` accepts (a trainer or a
    :class:`~modlab.training.predictor.Predictor`). Returns the ``VBox``; the current
    thresholds are readable from ``box.thresholds()``.
    """
    import ipywidgets as w

    labels = list(model.labels_)
    start = dict(getattr(model, "thresholds", None) or {})
    start.update(thresholds or {})
    text = w.Textarea(
        value=example, placeholder="Type a text to score", rows=3, layout=w.Layout(width="100%")
    )
    bars = {
        label: w.FloatProgress(value=0, min=0, max=1, description=label, bar_style="info")
        for label in labels
    }
    values = {label: w.Label("–") for label in labels}
    sliders = {
        label: w.FloatSlider(
            value=float(start.get(label, DEFAULT_THRESHOLD)),
            min=0,
            max=1,
            step=0.01,
            description="threshold",
            continuous_update=False,
            readout_format=".2f",
        )
        for label in labels
        if label != neutral_label
    }
    verdict = w.HTML()

    def current() -> dict[str, float]:
        return {label: s.value for label, s in sliders.items()}

    def refresh(_: Any = None) -> None:
        if not text.value.strip():
            verdict.value = ""
            return
        (result,) = test_run(model, [text.value], current(), neutral_label)
        for label, score in result["label_scores"].items():
            bars[label].value = score
            bars[label].bar_style = "danger" if label in result["flagged_labels"] else "info"
            values[label].value = f"{score:.3f}"
        flagged = ", ".join(result["flagged_labels"]) or "nothing"
        verdict.value = f"<b>{'FLAGGED' if result['flagged'] else 'not flagged'}</b> ({flagged})"

    text.observe(refresh, names="value")
    for s in sliders.values():
        s.observe(refresh, names="value")
    rows = [
        w.HBox([bars[label], values[label], *([sliders[label]] if label in sliders else [])])
        for label in labels
    ]
    box = w.VBox([text, *rows, verdict])
    box.thresholds = current  # type: ignore[attr-defined]
    box.refresh = refresh  # type: ignore[attr-defined]
    refresh()
    return box


test_run_widget.__test__ = False  # not a pytest test
