"""Auto-labelling: draft labels for human review from a label schema's descriptions.

One interface, several backends (``get_backend(name, **kw)``):

- ``similarity`` — sentence embeddings of each text vs. one prototype per label, built from the
  label's *short* phrasing (its name, and its description only when that is a few words) plus
  its examples. Long descriptions make poor prototypes (45–50 % on an easy 2-label test, vs.
  90–95 % with short phrasings or a few examples), so they are left to steer the LLMs instead.
  Also gives the "similarity score" shown to annotators
  (:meth:`~modlab.annotation.backends.similarity.SimilarityBackend.similarity_scores`).
- ``llama_cpp`` — a local instruct model through llama.cpp (optional ``llm`` extra), labels
  scored by the model's own probabilities restricted to the label set.
- ``openai`` — any OpenAI-compatible ``/v1/chat/completions`` endpoint (OpenAI, vLLM, Ollama,
  llama.cpp's server), base URL + key + model from settings.

Every backend returns one :class:`AutoLabel` per text: the label (or labels, for multi-label
schemas), a score in [0, 1], a short rationale where the backend can give one, and the agent
name to record as the annotation's author. The notebook loop is::

    labeler = get_backend("similarity")
    drafts = labeler.label(texts, schema, dry_run=10)   # label 10
    review(texts, drafts, gold)                          # look at them
    schema = with_descriptions(schema, SPAM="...")       # tweak descriptions / examples
    drafts = labeler.label(texts, schema, dry_run=10)   # rerun

A label schema is anything with ``name``, ``multi_label`` and ``labels`` (each with ``name``,
``description``, ``examples``) — :class:`modlab.data.schemas.LabelSchema` or the small
:class:`Schema` dataclass here; a plain dict of that shape works too.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

# --------------------------------------------------------------------------------------------
# Label schemas
# --------------------------------------------------------------------------------------------


@runtime_checkable
class LabelLike(Protocol):
    name: str
    description: str
    examples: Sequence[str]


@runtime_checkable
class SchemaLike(Protocol):
    name: str
    multi_label: bool
    labels: Sequence[LabelLike]


@dataclass(frozen=True)
class Label:
    """One label: name, what it means (the LLM's instructions) and a few example texts."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()
    # A short phrase for the similarity prototype ("spam message"); default: from the name.
    phrase: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "examples", tuple(self.examples or ()))


@dataclass(frozen=True)
class Schema:
    """A minimal label schema for scripts and tests (the product's is ``modlab.data``'s)."""

    name: str
    labels: tuple[Label, ...]
    multi_label: bool = False
    # The "nothing applies" label, if the schema has one (never predicted with others).
    neutral: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        labels = tuple(_as_label(x) for x in self.labels)
        object.__setattr__(self, "labels", labels)
        names = [lab.name for lab in labels]
        if len(set(n.casefold() for n in names)) != len(names):
            raise ValueError(f"duplicate label names in schema {self.name!r}: {names}")
        if not labels:
            raise ValueError(f"schema {self.name!r} has no labels")
        if self.neutral is not None and self.neutral not in names:
            raise ValueError(f"neutral label {self.neutral!r} is not one of {names}")

    @property
    def names(self) -> list[str]:
        return [lab.name for lab in self.labels]

    @property
    def candidates(self) -> list[str]:
        """Labels a multi-label prediction may contain (all but the neutral one)."""
        return [n for n in self.names if n != self.neutral]

    def get(self, name: str) -> Label:
        for lab in self.labels:
            if lab.name == name:
                return lab
        raise KeyError(name)


def _as_label(obj: Any) -> Label:
    if isinstance(obj, Label):
        return obj
    if isinstance(obj, str):
        return Label(obj)
    if isinstance(obj, Mapping):
        return Label(
            name=str(obj["name"]),
            description=str(obj.get("description") or ""),
            examples=tuple(obj.get("examples") or ()),
            phrase=obj.get("phrase"),
        )
    return Label(
        name=str(obj.name),
        description=str(getattr(obj, "description", "") or ""),
        examples=tuple(getattr(obj, "examples", ()) or ()),
        phrase=getattr(obj, "phrase", None),
    )


def as_schema(schema: Any) -> Schema:
    """Normalise a schema-like object (``LabelSchema``, :class:`Schema`, dict) to a Schema."""
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        multi = schema.get("multi_label")
        if multi is None:
            multi = schema.get("type") == "multi-label"
        return Schema(
            name=str(schema.get("name") or schema.get("model") or "labels"),
            labels=tuple(_as_label(x) for x in schema["labels"]),
            multi_label=bool(multi),
            neutral=schema.get("neutral"),
            description=str(schema.get("description") or ""),
        )
    labels = tuple(_as_label(x) for x in schema.labels)
    neutral = getattr(schema, "neutral", None)
    if neutral is not None and neutral not in [lab.name for lab in labels]:
        neutral = None
    return Schema(
        name=str(getattr(schema, "name", None) or getattr(schema, "model", "labels")),
        labels=labels,
        multi_label=bool(schema.multi_label),
        neutral=neutral,
        description=str(getattr(schema, "description", "") or ""),
    )


def with_descriptions(
    schema: Any,
    descriptions: Mapping[str, str] | None = None,
    *,
    examples: Mapping[str, Sequence[str]] | None = None,
    phrases: Mapping[str, str] | None = None,
    **more_descriptions: str,
) -> Schema:
    """A copy of ``schema`` with some labels' descriptions / examples / phrases replaced.

    The "tweak descriptions → rerun" step: ``with_descriptions(s, SPAM="unsolicited ads")``.
    """
    base = as_schema(schema)
    desc = {**(descriptions or {}), **more_descriptions}
    unknown = (set(desc) | set(examples or {}) | set(phrases or {})) - set(base.names)
    if unknown:
        raise KeyError(f"unknown labels {sorted(unknown)} (labels: {base.names})")
    labels = []
    for lab in base.labels:
        changes: dict[str, Any] = {}
        if lab.name in desc:
            changes["description"] = desc[lab.name]
        if examples and lab.name in examples:
            changes["examples"] = tuple(examples[lab.name])
        if phrases and lab.name in phrases:
            changes["phrase"] = phrases[lab.name]
        labels.append(replace(lab, **changes) if changes else lab)
    return replace(base, labels=tuple(labels))


# --------------------------------------------------------------------------------------------
# Results and the backend interface
# --------------------------------------------------------------------------------------------


@dataclass
class AutoLabel:
    """One draft label.

    ``label`` is the chosen label (single-label), or for multi-label schemas the most confident
    applicable label (the neutral label / ``None`` when none applies); ``labels`` lists every
    applicable label. ``label is None`` with an empty ``labels`` and score 0 means the backend
    gave no usable answer (e.g. an LLM reply outside the label set); ``rationale`` says why.
    """

    label: str | None
    score: float
    labels: list[str] = field(default_factory=list)
    rationale: str | None = None
    agent: str = ""
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.label is not None or bool(self.labels) or self.score > 0

    def value(self, multi_label: bool) -> str | list[str] | None:
        return list(self.labels) if multi_label else self.label

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "labels": list(self.labels),
            "score": self.score,
            "rationale": self.rationale,
            "agent": self.agent,
            "scores": dict(self.scores),
        }


@dataclass(frozen=True)
class RunStats:
    """Timing of the last :meth:`AutoLabeler.label` call (model loading included)."""

    n: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")


class AutoLabeler(abc.ABC):
    """The auto-labelling interface every backend implements."""

    #: backend name as accepted by :func:`get_backend`
    name: str = "base"

    def __init__(self) -> None:
        self.last_run: RunStats | None = None

    @property
    def agent(self) -> str:
        """Who to record as the annotation's author (e.g. ``similarity:all-MiniLM-L6-v2``)."""
        return self.name

    def label(
        self,
        texts: Sequence[str] | str,
        schema: Any,
        *,
        dry_run: int | None = None,
        progress: bool = True,
    ) -> list[AutoLabel]:
        """Label ``texts`` against ``schema``; ``dry_run=N`` labels only the first N texts."""
        items = [texts] if isinstance(texts, str) else list(texts)
        if dry_run is not None:
            if dry_run < 0:
                raise ValueError("dry_run must be >= 0")
            items = items[:dry_run]
        spec = as_schema(schema)
        start = time.perf_counter()
        bar = _progress(len(items), f"autolabel[{self.name}]", enabled=progress)
        try:
            results = self._label(items, spec, bar)
        finally:
            bar.close()
        self.last_run = RunStats(len(items), time.perf_counter() - start)
        if len(results) != len(items):  # pragma: no cover - a backend bug
            raise RuntimeError(f"{self.name} returned {len(results)} labels for {len(items)} texts")
        return results

    @abc.abstractmethod
    def _label(self, texts: list[str], schema: Schema, bar: Any) -> list[AutoLabel]:
        """Label every text (updating ``bar`` as it goes)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the backend holds (HTTP clients, models)."""

    def __enter__(self) -> AutoLabeler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, *, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text")


# --------------------------------------------------------------------------------------------
# The backend factory
# --------------------------------------------------------------------------------------------

_ALIASES = {
    "similarity": "similarity",
    "zero-shot": "similarity",
    "zeroshot": "similarity",
    "embedding": "similarity",
    "embeddings": "similarity",
    "llama_cpp": "llama_cpp",
    "llama-cpp": "llama_cpp",
    "llamacpp": "llama_cpp",
    "local": "llama_cpp",
    "local-llm": "llama_cpp",
    "openai": "openai",
    "openai-compatible": "openai",
    "openai_compatible": "openai",
    "api": "openai",
}


def backend_names() -> list[str]:
    return ["similarity", "llama_cpp", "openai"]


def get_backend(name: str = "similarity", **kwargs: Any) -> AutoLabeler:
    """Make a backend by name: ``similarity``, ``llama_cpp`` or ``openai`` (and aliases)."""
    key = _ALIASES.get(name.strip().lower())
    if key == "similarity":
        from modlab.annotation.backends.similarity import SimilarityBackend

        return SimilarityBackend(**kwargs)
    if key == "llama_cpp":
        from modlab.annotation.backends.llama_cpp import LlamaCppBackend

        return LlamaCppBackend(**kwargs)
    if key == "openai":
        from modlab.annotation.backends.openai_compat import OpenAICompatibleBackend

        return OpenAICompatibleBackend(**kwargs)
    raise ValueError(
        f"unknown auto-labelling backend {name!r} (known: {', '.join(backend_names())})"
    )


def available_backends() -> dict[str, str]:
    """Which backends can run here, with the reason for those that cannot."""
    from modlab.annotation.backends.llama_cpp import llama_cpp_status
    from modlab.settings import get_settings

    out = {"similarity": "ok"}
    out["llama_cpp"] = llama_cpp_status()
    out["openai"] = "ok" if get_settings().llm_base_url else "no MODLAB_LLM_BASE_URL set"
    return out


# --------------------------------------------------------------------------------------------
# Agreement with human labels, and the review table
# --------------------------------------------------------------------------------------------


def _pred_value(p: Any, multi_label: bool) -> Any:
    if isinstance(p, AutoLabel):
        return p.value(multi_label)
    return p


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        import math

        return isinstance(v, float) and math.isnan(v)
    except TypeError:  # pragma: no cover
        return False


def agreement(
    predicted: Sequence[Any],
    gold: Sequence[Any],
    *,
    labels: Sequence[str] | None = None,
    multi_label: bool | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1 and Cohen's kappa of ``predicted`` vs. ``gold`` (sklearn).

    Computed on the examples that have both a human label and an auto label; ``n`` is their
    count and ``coverage`` the fraction of gold-labelled examples the backend answered.
    ``predicted`` may hold :class:`AutoLabel` objects. Multi-label (lists): accuracy is the
    exact-set match rate, macro-F1 is over labels, kappa is the mean per-label kappa.
    """
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions vs {len(gold)} gold labels")
    if multi_label is None:
        sample = next((g for g in gold if not _missing(g)), None)
        multi_label = isinstance(sample, list | tuple | set | frozenset)
    pairs = []
    n_gold = 0
    for p, g in zip(predicted, gold, strict=True):
        if _missing(g):
            continue
        n_gold += 1
        pv = _pred_value(p, multi_label)
        if pv is None or (isinstance(p, AutoLabel) and not p.ok):
            continue
        pairs.append((pv, g))
    out: dict[str, Any] = {
        "n": len(pairs),
        "coverage": (len(pairs) / n_gold) if n_gold else 0.0,
    }
    if not pairs:
        out.update(accuracy=float("nan"), macro_f1=float("nan"), kappa=float("nan"))
        return out
    preds, golds = zip(*pairs, strict=True)
    if multi_label:
        from sklearn.preprocessing import MultiLabelBinarizer

        classes = list(labels) if labels else sorted({x for s in (*preds, *golds) for x in s})
        mlb = MultiLabelBinarizer(classes=classes)
        yp = mlb.fit_transform([set(p) & set(classes) for p in preds])
        yg = mlb.transform([set(g) & set(classes) for g in golds])
        kappas = []
        for j in range(len(classes)):
            if len(set(yp[:, j]) | set(yg[:, j])) > 1:
                kappas.append(cohen_kappa_score(yg[:, j], yp[:, j]))
        out.update(
            accuracy=float(accuracy_score(yg, yp)),
            macro_f1=float(f1_score(yg, yp, average="macro", zero_division=0)),
            kappa=float(sum(kappas) / len(kappas)) if kappas else float("nan"),
        )
    else:
        golds_s = [str(g) for g in golds]
        preds_s = [str(p) for p in preds]
        classes = list(labels) if labels else sorted(set(golds_s) | set(preds_s))
        kappa = (
            float(cohen_kappa_score(golds_s, preds_s, labels=classes))
            if len(set(golds_s) | set(preds_s)) > 1
            else float("nan")
        )
        out.update(
            accuracy=float(accuracy_score(golds_s, preds_s)),
            macro_f1=float(
                f1_score(golds_s, preds_s, labels=classes, average="macro", zero_division=0)
            ),
            kappa=kappa,
        )
    return out


def review(
    texts: Sequence[str],
    results: Sequence[AutoLabel],
    gold: Sequence[Any] | None = None,
    *,
    max_chars: int = 120,
) -> Any:
    """A pandas table of drafts to eyeball: text, label(s), score, rationale, gold, agrees."""
    import pandas as pd

    rows = []
    for i, r in enumerate(results):
        text = texts[i]
        row: dict[str, Any] = {
            "text": text if len(text) <= max_chars else text[: max_chars - 1] + "…",
            "label": r.label if not r.labels or len(r.labels) <= 1 else ", ".join(r.labels),
            "score": round(r.score, 3),
            "rationale": r.rationale,
        }
        if gold is not None:
            g = gold[i]
            row["gold"] = ", ".join(g) if isinstance(g, list | tuple | set) else g
            row["agrees"] = (
                set(r.labels) == set(g) if isinstance(g, list | tuple | set) else r.label == g
            )
        rows.append(row)
    return pd.DataFrame(rows)


def humanize(name: str) -> str:
    """``NOT_HATE`` → ``not hate``; ``SexuallyExplicit`` → ``sexually explicit``."""
    import re

    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[_\-./:]+", " ", spaced).strip().lower()


__all__ = [
    "AutoLabel",
    "AutoLabeler",
    "Label",
    "LabelLike",
    "RunStats",
    "Schema",
    "SchemaLike",
    "agreement",
    "as_schema",
    "available_backends",
    "backend_names",
    "get_backend",
    "humanize",
    "review",
    "with_descriptions",
]
