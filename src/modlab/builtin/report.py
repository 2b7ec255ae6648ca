"""Tables and figures that show how the built-in analyzers are built (notebook 06).

Thin views over :mod:`.datasets` (recipes, concept mapping, held-out sets), :mod:`.build`
(``build.json``) and :mod:`.evaluation` (held-out scores, ``var/eval_builtin.json``): label
counts, source × label tables, sample rows, the LLM label descriptions, per-label metrics and
the target table. Nothing here trains, labels or changes data.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modlab.analyzers.builtin import BUILTIN_LABELS
from modlab.builtin.datasets import (
    BUILDABLE,
    CONCEPT_MAP,
    NO_DATA_LABELS,
    REPO_DATA_DIR,
    EvalSet,
    Recipe,
)
from modlab.settings import REPO_ROOT

# Where ``scripts/eval_builtin.py --json`` keeps the last full evaluation (not in git).
EVAL_RESULTS_FILE = REPO_ROOT / "var" / "eval_builtin.json"
# The LLM auto-labelling inputs and outputs (``scripts/llm_label_builtin.py``), committed.
LLM_SCHEMAS_FILE = REPO_DATA_DIR / "llm_schemas.json"
LLM_LABELS_FILE = REPO_DATA_DIR / "llm_labels.jsonl"
NEEDS_LLM_DATA = "needs LLM-labelled data"


def _label_list(label: str | Sequence[str] | None) -> list[str]:
    if label is None:
        return []
    return [label] if isinstance(label, str) else list(label)


# -- analyzers and their data ------------------------------------------------------------------


def analyzer_overview(buildable: Iterable[str] = BUILDABLE) -> pd.DataFrame:
    """One row per built-in analyzer: its labels, whether it has a recipe, and its labels
    without any labelled data (scored 0, never flag)."""
    buildable = set(buildable)
    rows = []
    for name, labels in BUILTIN_LABELS.items():
        no_data = NO_DATA_LABELS.get(name, ())
        rows.append(
            {
                "analyzer": name,
                "labels": ", ".join(labels),
                "recipe": "yes" if name in buildable else NEEDS_LLM_DATA,
                "labels without data": ", ".join(no_data) if name in buildable else "",
            }
        )
    return pd.DataFrame(rows).set_index("analyzer")


def label_counts_frame(recipe: Recipe) -> pd.DataFrame:
    """Examples per label (a multi-label row counts for each of its labels) and their share
    of the rows; labels with no data are marked."""
    counts = recipe.label_counts()
    n = max(len(recipe.texts), 1)
    no_data = set(NO_DATA_LABELS.get(recipe.name, ()))
    return pd.DataFrame(
        {
            "examples": [counts[lbl] for lbl in recipe.label_names],
            "share of rows": [round(counts[lbl] / n, 3) for lbl in recipe.label_names],
            "no data": [lbl in no_data or counts[lbl] == 0 for lbl in recipe.label_names],
        },
        index=pd.Index(recipe.label_names, name="label"),
    )


def label_counts_table(recipes: Mapping[str, Recipe]) -> pd.DataFrame:
    """Examples per label, one column per recipe (labels in recipe order; ``<NA>`` where an
    analyzer has no such label), with the number of rows last."""
    columns: dict[str, dict[str, int]] = {}
    for name, r in recipes.items():
        columns[name] = {**r.label_counts(), "(rows)": len(r.texts)}
    index: list[str] = []
    for counts in columns.values():
        index += [lbl for lbl in counts if lbl not in index and lbl != "(rows)"]
    index.append("(rows)")
    table = pd.DataFrame(columns, index=pd.Index(index, name="label"))
    return table.astype("Int64") if len(table.columns) else table


def source_table(recipe: Recipe) -> pd.DataFrame:
    """Rows per source × label (multi-label rows count once per label; ``(none)``: a
    multi-label row with no label at all)."""
    pairs = [
        (src, lbl)
        for src, lab in zip(recipe.sources, recipe.labels, strict=True)
        for lbl in (_label_list(lab) or ["(none)"])
    ]
    frame = pd.DataFrame(pairs, columns=["source", "label"])
    table = pd.crosstab(frame["source"], frame["label"])
    order = [lbl for lbl in (*recipe.label_names, "(none)") if lbl in table.columns]
    table = table[order]
    table["rows"] = pd.Series(recipe.sources).value_counts()
    return table.sort_values("rows", ascending=False)


def example_rows(
    recipe: Recipe, per_label: int = 2, seed: int = 0, max_chars: int = 100
) -> pd.DataFrame:
    """A few random rows per label (deterministic for a seed), texts cut at ``max_chars``."""
    rng = random.Random(seed)
    rows = []
    for label in recipe.label_names:
        idx = [i for i, lab in enumerate(recipe.labels) if label in _label_list(lab)]
        for i in sorted(rng.sample(idx, min(per_label, len(idx)))):
            text = recipe.texts[i]
            if len(text) > max_chars:
                text = text[: max_chars - 1] + "…"
            rows.append(
                {
                    "label": label,
                    "all labels": ", ".join(_label_list(recipe.labels[i])),
                    "source": recipe.sources[i],
                    "text": text,
                }
            )
    return pd.DataFrame(rows, columns=["label", "all labels", "source", "text"])


def plot_label_counts(recipes: Mapping[str, Recipe]):
    """Horizontal bars of examples per label, one panel per recipe."""
    from modlab.training.plots import figure

    n = max(len(recipes), 1)
    fig, axes = figure(3.6 * n, 3.2, ncols=n)
    for ax, (name, r) in zip(np.atleast_1d(axes), recipes.items(), strict=False):
        counts = label_counts_frame(r)
        ax.barh(range(len(counts)), counts["examples"])
        ax.set_yticks(range(len(counts)), counts.index, fontsize="small")
        ax.invert_yaxis()
        ax.set_title(f"{name} ({len(r.texts)} rows)")
        ax.set_xlabel("examples")
    return fig


def concept_map_table(
    concept_map: Mapping[str, Mapping[str, Sequence[str]]] = CONCEPT_MAP,
    no_data: Mapping[str, Sequence[str]] = NO_DATA_LABELS,
) -> pd.DataFrame:
    """Analyzer label → the source concepts that make it positive (or "no data")."""
    rows = []
    for name, mapping in concept_map.items():
        for label, concepts in mapping.items():
            rows.append({"analyzer": name, "label": label, "positive when": " or ".join(concepts)})
        for label in no_data.get(name, ()):
            rows.append({"analyzer": name, "label": label, "positive when": "no data (scores 0)"})
    return pd.DataFrame(rows, columns=["analyzer", "label", "positive when"])


# -- LLM labelling -----------------------------------------------------------------------------


def llm_label_descriptions(path: Path = LLM_SCHEMAS_FILE) -> pd.DataFrame:
    """The label descriptions the LLM labels with: (schema, label) → description and the
    number of examples given. Empty when the schema file does not exist."""
    columns = ["schema", "label", "description", "examples"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    data = json.loads(path.read_text(encoding="utf-8"))
    schemas = data.get("schemas", data) if isinstance(data, dict) else {}
    rows = []
    for schema, spec in schemas.items():
        if not isinstance(spec, dict):
            continue
        for label in spec.get("labels", []):
            if isinstance(label, str):
                label = {"name": label}
            rows.append(
                {
                    "schema": schema,
                    "label": label.get("name", ""),
                    "description": label.get("description", ""),
                    "examples": len(label.get("examples", []) or []),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def count_llm_labels(path: Path = LLM_LABELS_FILE) -> int:
    """Rows in the committed LLM label file (0 when absent)."""
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


# -- held-out evaluation -----------------------------------------------------------------------


def eval_sets_table(sets: Mapping[str, EvalSet]) -> pd.DataFrame:
    """Size, positives and the published anchor of each held-out set."""
    rows = []
    for name, es in sets.items():
        pos = int(sum(es.y))
        rows.append(
            {
                "eval set": name,
                "concept": es.concept,
                "texts": len(es.texts),
                "positives": pos,
                "positive share": round(pos / len(es.y), 3) if es.y else math.nan,
                "anchor / target": es.anchor,
            }
        )
    return pd.DataFrame(rows).set_index("eval set")


def sample_eval_sets(sets: Mapping[str, EvalSet], n: int, seed: int = 0) -> dict[str, EvalSet]:
    """At most ``n`` texts of each set, chosen by position with one seed.

    Sets of the same size get the same positions, so sets that share their texts (Davidson
    hate / offensive) still share them after sampling.
    """
    out = {}
    for name, es in sets.items():
        size = len(es.texts)
        idx = sorted(random.Random(seed).sample(range(size), min(n, size)))
        out[name] = EvalSet(
            es.name, [es.texts[i] for i in idx], [es.y[i] for i in idx], es.concept, es.anchor
        )
    return out


def set_scores_frame(scores: Iterable[Any]) -> pd.DataFrame:
    """Held-out scores (:class:`~modlab.builtin.evaluation.SetScore` or their dicts) as a
    table."""
    rows = []
    for s in scores:
        d = dict(s.to_dict() if hasattr(s, "to_dict") else s)
        d["labels"] = "/".join(d.get("labels", ()))
        rows.append(d)
    columns = [
        "analyzer", "eval_set", "labels", "n", "positives", "macro_f1", "f1", "precision",
        "recall", "auprc", "ece",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).round(3)


def build_metrics_frame(info: Mapping[str, Any]) -> pd.DataFrame:
    """Per-label test-split metrics and thresholds from a ``build.json``."""
    metrics = info.get("metrics", {})
    thresholds = info.get("thresholds", {}) or {}
    no_data = set(info.get("no_data_labels", []))
    rows = []
    for label in info.get("labels", []):
        row: dict[str, Any] = {"label": label}
        for key in ("precision", "recall", "f1", "auprc", "ece", "support"):
            row[key] = metrics.get(f"{key}.{label}", math.nan)
        row["threshold"] = thresholds.get(label, math.nan)
        row["no data"] = label in no_data
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("label") if rows else pd.DataFrame()
    return frame.round(3)


def reliability_figure(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], n_bins: int = 10
):
    """Reliability diagram: observed positive rate per score bin, one line per
    ``name → (y, score)``, each with its ECE."""
    from modlab.training.calibration import expected_calibration_error, reliability_curve
    from modlab.training.plots import figure

    fig, ax = figure(8.0, 4.2)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    for name, (y, score) in curves.items():
        if len(y) == 0:
            continue
        mean_p, freq, _ = reliability_curve(np.asarray(y), np.asarray(score), n_bins)
        ece = expected_calibration_error(np.asarray(y), np.asarray(score), n_bins)
        ax.plot(mean_p, freq, "o-", label=f"{name} (ECE {ece:.3f})")
    ax.set_xlabel("mean score")
    ax.set_ylabel("observed positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Reliability on held-out texts")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    return fig


# -- full-build figures (var/eval_builtin.json) ------------------------------------------------


def load_eval_results(path: Path = EVAL_RESULTS_FILE) -> dict[str, Any] | None:
    """The last full evaluation (``scripts/eval_builtin.py --json``), or None when absent or
    unreadable (a fresh clone has no ``var/``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def eval_results_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Every analyzer on every held-out set it was scored on (from the full evaluation)."""
    scores = [s for res in results.values() if isinstance(res, dict) for s in res.get("sets", [])]
    return set_scores_frame(scores)


def targets_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """The target table of :data:`modlab.builtin.evaluation.TARGETS` filled from results."""
    from modlab.builtin.evaluation import TARGETS

    rows = []
    for set_name, analyzer, metric, target in TARGETS:
        res = results.get(analyzer, {}) if isinstance(results.get(analyzer), dict) else {}
        row = next((s for s in res.get("sets", []) if s.get("eval_set") == set_name), None)
        value = row.get(metric) if row else None
        rows.append(
            {
                "eval set": set_name,
                "analyzer": analyzer,
                "metric": metric,
                "value": round(value, 3) if value is not None else math.nan,
                "target": target,
                "met": None if value is None or target is None else bool(value >= target),
            }
        )
    return pd.DataFrame(rows)


def robustness_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Per harm analyzer, beyond the benchmarks: everyday text flagged (false positives),
    long texts whole vs by windows, and held-out seeds under evasions (``everyday``,
    ``long_texts`` and ``evasions`` of the full evaluation)."""
    rows = []
    for name, res in results.items():
        if not isinstance(res, dict) or "everyday" not in res:
            continue
        row: dict[str, Any] = {"analyzer": name}
        for kind, rates in res["everyday"].items():
            row[f"{kind} flagged"] = round(rates["flagged"], 3)
        for mode, scores in (res.get("long_texts") or {}).items():
            if isinstance(scores, dict):
                for key, value in scores.items():
                    row[f"{mode}: {key}"] = round(value, 3)
        for kind, value in (res.get("evasions") or {}).items():
            row[f"seeds F1, {kind}"] = round(value, 3)
        rows.append(row)
    return pd.DataFrame(rows)
