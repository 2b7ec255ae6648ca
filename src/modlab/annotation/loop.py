"""The annotation loop between the example store and Argilla.

>>> labeler = get_backend("similarity")
>>> report = push_for_annotation(store, "sms-spam", limit=20, suggest_with=labeler,
...                              annotators=["ann1", "ann2"], min_submitted=2)
>>> print(report.summary())          # what went where, and the link for the annotators
... (annotators answer in the Argilla UI)
>>> result = pull_annotations(store, "sms-spam")
>>> print(result.summary()); result.conflicts_frame()

* :func:`push_for_annotation` picks unlabelled examples of a model (the most uncertain first
  when there is a model to ask, else in insertion order, or at random), attaches a suggestion
  (label, score, agent) from a :class:`~modlab.training.predictor.Predictor`, an auto-labeller
  backend, the model's MLflow champion or the suggestions already stored, an embedding for
  "find similar" and the ``source``/``batch`` metadata, and logs them to an Argilla dataset
  whose record ids are the example ids. Each pushed example remembers it in its metadata
  (``meta["argilla"][dataset]``), so the next push picks other examples.
* :func:`pull_annotations` reads the submitted answers and writes the decided labels into the
  store (label source ``"argilla"``, annotator = the usernames that gave the label). Records the
  annotators disagree on stay unlabelled and are listed for review; agreement is reported as
  Cohen's kappa (two annotators) or Krippendorff's alpha. Pulling again changes nothing unless
  new answers arrived.

Decision policies (``policy=``):

``majority`` (default)
    once a record has the answers its task distribution asks for (``min_submitted``), the most
    frequent answer wins; a tie is a conflict.
``unanimous``
    once it has those answers, every annotator must agree; any disagreement is a conflict.
``any``
    the first submitted answer is enough; later disagreement is resolved by majority, a tie is a
    conflict.

A label that was written by an earlier pull and whose record has since become a conflict is
cleared again. Labels that came from elsewhere (an import, a manual fix made meanwhile) are kept
unless ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modlab.annotation import argilla_sync
from modlab.settings import Settings, get_settings

if TYPE_CHECKING:
    import argilla as rg
    import pandas as pd

    from modlab.data.schemas import LabelSchema
    from modlab.data.store import ExampleRecord, ExampleStore

STRATEGIES = ("uncertain", "unlabelled", "random")
POLICIES = ("majority", "unanimous", "any")
META_KEY = "argilla"
LABEL_SOURCE = "argilla"
DEFAULT_POOL = 5_000


# --------------------------------------------------------------------------- reports


@dataclass
class PushReport:
    """What :func:`push_for_annotation` sent to Argilla."""

    model: str
    dataset: str
    workspace: str
    url: str  # the dataset in the Argilla UI (annotation mode)
    strategy: str  # the strategy actually used (``uncertain`` falls back to ``unlabelled``)
    example_ids: list[int] = field(default_factory=list)
    candidates: int = 0  # unlabelled examples not yet in this dataset
    already_pushed: int = 0  # unlabelled examples already in this dataset (left out)
    suggestions: int = 0
    agent: str | None = None
    vector_dimensions: int | None = None
    annotators: list[str] = field(default_factory=list)
    min_submitted: int = 1
    notes: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # per pushed example

    @property
    def pushed(self) -> int:
        return len(self.example_ids)

    def summary(self) -> str:
        lines = [
            f"Pushed {self.pushed} of {self.candidates} candidate examples of {self.model!r} "
            f"to Argilla dataset {self.dataset!r} (workspace {self.workspace!r})",
            f"  strategy      {self.strategy}",
            f"  suggestions   {self.suggestions}" + (f" from {self.agent}" if self.agent else ""),
            "  vectors       "
            + (f"{self.vector_dimensions} dimensions" if self.vector_dimensions else "none"),
            "  annotators    "
            + (", ".join(self.annotators) if self.annotators else "(workspace members)")
            + f"; {self.min_submitted} answer(s) complete a record",
        ]
        if self.already_pushed:
            lines.append(f"  left out      {self.already_pushed} already in this dataset")
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"Annotate at {self.url}")
        return "\n".join(lines)

    def frame(self) -> pd.DataFrame:
        """One row per pushed example: id, text, suggestion, score, uncertainty."""
        import pandas as pd

        cols = ["example_id", "text", "suggestion", "score", "uncertainty"]
        return pd.DataFrame(self.rows, columns=cols)


@dataclass
class PullReport:
    """What :func:`pull_annotations` read from Argilla and wrote into the store."""

    model: str
    dataset: str
    policy: str
    min_submitted: int
    responses: dict[str, int] = field(default_factory=dict)  # per status
    records: int = 0  # records with at least one submitted answer
    labelled: list[dict[str, Any]] = field(default_factory=list)  # written by this pull
    unchanged: int = 0  # decided as already stored
    cleared: list[int] = field(default_factory=list)  # earlier Argilla labels now in conflict
    awaiting: list[int] = field(default_factory=list)  # fewer answers than min_submitted
    kept: list[int] = field(default_factory=list)  # labelled elsewhere; not overwritten
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    unknown_records: list[str] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)  # answers the schema rejects
    agreement: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """Examples whose label this pull changed (0 on a repeated pull)."""
        return len(self.labelled) + len(self.cleared)

    @property
    def unresolved(self) -> list[dict[str, Any]]:
        """Conflicts the policy could not decide (those examples stay unlabelled)."""
        return [c for c in self.conflicts if c["resolved"] is None]

    def summary(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.responses.items())) or "none"
        lines = [
            f"Pulled Argilla dataset {self.dataset!r} into {self.model!r} "
            f"(policy {self.policy}, {self.min_submitted} answer(s) per record)",
            f"  responses     {statuses}",
            f"  records       {self.records} with submitted answers",
            f"  labelled      {len(self.labelled)} (unchanged {self.unchanged})",
            f"  conflicts     {len(self.conflicts)} ({len(self.unresolved)} left unlabelled)",
        ]
        if self.awaiting:
            lines.append(f"  awaiting      {len(self.awaiting)} need more answers")
        if self.cleared:
            lines.append(f"  cleared       {len(self.cleared)} earlier labels now in conflict")
        if self.kept:
            lines.append(f"  kept          {len(self.kept)} labelled elsewhere (not overwritten)")
        if self.invalid:
            lines.append(f"  invalid       {len(self.invalid)} answers not in the label schema")
        if self.unknown_records:
            lines.append(f"  unknown       {len(self.unknown_records)} records not in the store")
        if self.agreement.get("annotators"):
            value = self.agreement.get("value", math.nan)
            shown = "n/a" if value is None or math.isnan(value) else f"{value:.3f}"
            lines.append(
                f"  agreement     {self.agreement['method']} = {shown} over "
                f"{self.agreement['n_records']} records "
                f"({', '.join(self.agreement['annotators'])})"
            )
        return "\n".join(lines)

    def agreement_frame(self) -> pd.DataFrame:
        """Agreement as a small table: overall kappa/alpha, then each annotator pair."""
        import pandas as pd

        a = self.agreement
        rows = []
        if a.get("annotators"):
            if "cohen_kappa" in a:
                rows.append(
                    {
                        "measure": "Cohen's kappa",
                        "between": " & ".join(a["annotators"]),
                        "value": a["cohen_kappa"],
                        "records": a["n_records"],
                    }
                )
            rows.append(
                {
                    "measure": "Krippendorff's alpha",
                    "between": " & ".join(a["annotators"]),
                    "value": a["krippendorff_alpha"],
                    "records": a["n_records"],
                }
            )
            if len(a["annotators"]) > 2:
                for pair, value in a.get("pairwise_kappa", {}).items():
                    rows.append(
                        {
                            "measure": "Cohen's kappa",
                            "between": pair.replace("|", " & "),
                            "value": value,
                            "records": None,
                        }
                    )
        frame = pd.DataFrame(rows, columns=["measure", "between", "value", "records"])
        frame["value"] = frame["value"].astype(float).round(3)
        return frame

    def conflicts_frame(self) -> pd.DataFrame:
        """One row per record the annotators disagree on: their answers and the resolution."""
        import pandas as pd

        users = sorted({u for c in self.conflicts for u in c["labels"]})
        rows = []
        for c in self.conflicts:
            row: dict[str, Any] = {"example_id": c["example_id"], "text": c["text"]}
            for user in users:
                value = c["labels"].get(user)
                row[user] = ", ".join(value) if isinstance(value, list) else value
            resolved = c["resolved"]
            row["resolved"] = ", ".join(resolved) if isinstance(resolved, list) else resolved
            rows.append(row)
        return pd.DataFrame(rows, columns=["example_id", "text", *users, "resolved"])


# --------------------------------------------------------------------------- helpers


def _client(settings: Settings | None, argilla: rg.Argilla | None) -> rg.Argilla:
    return argilla if argilla is not None else argilla_sync.client(settings)


def _dataset_url(settings: Settings | None, dataset: rg.Dataset) -> str:
    base = (settings or get_settings()).argilla_url.rstrip("/")
    return f"{base}/dataset/{dataset.id}/annotation-mode"


def _lookup_dataset(argilla: rg.Argilla, name: str, workspace: str) -> rg.Dataset | None:
    ws = argilla_sync._quiet_lookup(argilla.workspaces, workspace)
    if ws is None:
        return None
    return argilla_sync._quiet_lookup(argilla.datasets, name=name, workspace=ws)


def _pushed_to(example: ExampleRecord, dataset: str) -> bool:
    return dataset in (example.meta.get(META_KEY) or {})


def _is_predictor(obj: Any) -> bool:
    return hasattr(obj, "predict_proba") and hasattr(obj, "labels_")


def _is_autolabeler(obj: Any) -> bool:
    from modlab.annotation.autolabel import AutoLabeler

    return isinstance(obj, AutoLabeler) or (hasattr(obj, "label") and hasattr(obj, "agent"))


def _champion(model: str, schema: LabelSchema, notes: list[str]) -> tuple[Any, str] | None:
    """The model's MLflow champion (only looked for once the store says it was trained)."""
    if not schema.trained:
        return None
    try:
        from modlab.training import tracking

        predictor, _thresholds, _labels, version = tracking.load_champion(model)
    except LookupError:
        notes.append(f"{model!r} has no champion in the model registry")
        return None
    except Exception as exc:  # noqa: BLE001 - MLflow unavailable: push without it
        notes.append(f"could not load the champion of {model!r}: {exc}")
        return None
    return predictor, f"{model}@v{version}"


@dataclass
class _Guess:
    value: Any  # str, or list[str] for multi-label
    score: float | list[float] | None
    scores: dict[str, float] | None


def _predictor_guesses(
    predictor: Any, texts: list[str], schema: LabelSchema
) -> tuple[list[_Guess | None], Any, bool]:
    """Suggestions from a Predictor, plus its probability matrix (for uncertainty)."""
    import numpy as np

    proba = np.asarray(predictor.predict_proba(texts), dtype=float)
    names = list(predictor.labels_)
    multi = bool(getattr(predictor, "multi_label_", schema.multi_label))
    known = {}
    for j, name in enumerate(names):
        try:
            known[j] = schema.canonical(name)
        except Exception:  # noqa: BLE001 - a label the schema does not have
            continue
    flags = predictor.flags(texts) if multi and hasattr(predictor, "flags") else None
    guesses: list[_Guess | None] = []
    for i in range(len(texts)):
        scores = {known[j]: float(proba[i, j]) for j in known}
        if not scores:
            guesses.append(None)
            continue
        if schema.multi_label:
            picked = [
                j for j in known if (flags[i, j] if flags is not None else proba[i, j] >= 0.5)
            ]
            picked = [j for j in picked if known[j] in schema.names]
            guesses.append(
                _Guess([known[j] for j in picked], [float(proba[i, j]) for j in picked], scores)
                if picked
                else None
            )
        else:
            best = max(known, key=lambda j: proba[i, j])
            guesses.append(_Guess(known[best], float(proba[i, best]), scores))
    return guesses, proba, multi


def _autolabel_guesses(
    labeler: Any, texts: list[str], schema: LabelSchema
) -> tuple[list[_Guess | None], Any]:
    """Suggestions from an auto-labeller, plus a probability matrix from its label scores."""
    import numpy as np

    results = labeler.label(texts, schema, progress=False)
    proba = np.zeros((len(texts), len(schema.names)))
    guesses: list[_Guess | None] = []
    for i, r in enumerate(results):
        for j, name in enumerate(schema.names):
            proba[i, j] = float((r.scores or {}).get(name, 0.0))
        if not r.ok:
            guesses.append(None)
            continue
        value = r.value(schema.multi_label)
        if schema.multi_label:
            value = [v for v in value or [] if v in schema.names]
            if not value:
                guesses.append(None)
                continue
            score: Any = [float((r.scores or {}).get(v, r.score)) for v in value]
        else:
            if value not in schema.names:
                guesses.append(None)
                continue
            score = float(r.score)
        guesses.append(_Guess(value, score, dict(r.scores or {}) or None))
    if not proba.any():  # the backend gave no per-label scores: use the chosen label's score
        for i, g in enumerate(guesses):
            if g is not None and not schema.multi_label:
                proba[i, schema.names.index(g.value)] = float(g.score or 0.0)
    return guesses, proba


def _stored_guesses(
    store: ExampleStore, model: str, ids: list[int], schema: LabelSchema
) -> tuple[list[_Guess | None], str | None]:
    """The newest stored suggestion of each example (e.g. from an earlier auto-labelling run)."""
    newest: dict[int, Any] = {}
    for sug in store.suggestions(model, pending_only=True):
        newest[sug.example_id] = sug  # oldest first, so the last one wins
    agents = Counter()
    guesses: list[_Guess | None] = []
    for example_id in ids:
        sug = newest.get(example_id)
        if sug is None or not sug.labels:
            guesses.append(None)
            continue
        agents[sug.agent] += 1
        value: Any = list(sug.labels) if schema.multi_label else sug.labels[0]
        guesses.append(_Guess(value, sug.score, sug.label_scores))
    agent = ", ".join(a for a, _ in agents.most_common()) or None
    return guesses, agent


def _encode(texts: list[str], notes: list[str]) -> list[list[float]] | None:
    try:
        from modlab.annotation.embeddings import encode
    except ImportError as exc:
        notes.append(f"no vectors: embeddings unavailable ({exc})")
        return None
    try:
        return [[float(x) for x in row] for row in encode(texts)]
    except Exception as exc:  # noqa: BLE001 - a missing encoder must not stop the push
        notes.append(f"no vectors: encoding failed ({type(exc).__name__}: {exc})")
        return None


def _check_dataset_labels(dataset: rg.Dataset, schema: LabelSchema) -> None:
    try:
        question = dataset.settings.questions[argilla_sync.QUESTION]
        existing = list(question.labels)
    except Exception:  # noqa: BLE001 - not a dataset of ours; push_records will say so
        return
    if sorted(existing) != sorted(schema.names):
        raise ValueError(
            f"Argilla dataset {dataset.name!r} asks for labels {existing} but model "
            f"{schema.model!r} now has {schema.names}; push to a new dataset "
            f"(dataset='{schema.model}-v{schema.version}')"
        )


# --------------------------------------------------------------------------- push


def push_for_annotation(
    store: ExampleStore,
    model: str,
    dataset: str | None = None,
    *,
    limit: int = 100,
    strategy: str = "uncertain",
    suggest_with: Any = None,
    with_vectors: bool = True,
    annotators: Sequence[str] = (),
    min_submitted: int = 1,
    workspace: str = argilla_sync.DEFAULT_WORKSPACE,
    agent: str | None = None,
    seed: int | None = None,
    pool: int | None = DEFAULT_POOL,
    store_suggestions: bool = True,
    annotator_password: str | None = None,
    settings: Settings | None = None,
    argilla: rg.Argilla | None = None,
) -> PushReport:
    """Send up to ``limit`` unlabelled examples of ``model`` to the Argilla dataset ``dataset``
    (default: the model's name) and return a :class:`PushReport`.

    ``strategy``: ``uncertain`` ranks candidates by the model's uncertainty (margin), keeping
    a batch diverse (:func:`modlab.training.active.rank_for_labelling`); without a model to
    ask it falls back to ``unlabelled`` (insertion order) and says so. ``random`` samples
    (``seed`` for repeatability). Only the first ``pool`` candidates are scored.

    ``suggest_with``: a ``Predictor`` (predictions: label, probability, agent ``model:<name>``),
    an auto-labeller backend (``modlab.annotation.autolabel.get_backend(...)``), ``None`` (the
    model's MLflow champion when it has been trained, else the newest stored suggestion of each
    example) or ``False`` (no suggestions). New suggestions are also stored in the example store
    (``store_suggestions``). ``agent`` overrides the agent name.

    ``with_vectors``: embed the texts (:func:`modlab.annotation.embeddings.encode`) for "find
    similar"; skipped with a note when no encoder is available. ``annotators`` become annotator
    users of ``workspace``; ``min_submitted`` answers complete a record.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if min_submitted < 1:
        raise ValueError("min_submitted must be at least 1")
    schema = store.get_schema(model)
    name = dataset or model
    notes: list[str] = []
    argilla = _client(settings, argilla)
    existing = _lookup_dataset(argilla, name, workspace)
    if existing is not None:
        _check_dataset_labels(existing, schema)

    unlabelled = store.unlabelled(model)
    candidates = [ex for ex in unlabelled if not _pushed_to(ex, name)]
    already = len(unlabelled) - len(candidates)
    report = PushReport(
        model=model,
        dataset=name,
        workspace=workspace,
        url="",
        strategy=strategy,
        candidates=len(candidates),
        already_pushed=already,
        annotators=list(annotators),
        min_submitted=min_submitted,
        notes=notes,
    )
    if not candidates:
        notes.append("nothing to push: every unlabelled example is already in this dataset")
        if existing is not None:
            report.url = _dataset_url(settings, existing)
        return report

    # Who suggests (and, for "uncertain", who is asked how sure it is).
    suggester: Any = None
    kind = "none"
    if suggest_with is False:
        pass
    elif suggest_with is None:
        found = _champion(model, schema, notes)
        if found is not None:
            suggester, default_agent = found
            kind = "predictor"
            agent = agent or f"model:{default_agent}"
        else:
            kind = "stored"
    elif _is_predictor(suggest_with):
        suggester, kind = suggest_with, "predictor"
        agent = agent or f"model:{model}"
    elif _is_autolabeler(suggest_with):
        suggester, kind = suggest_with, "autolabel"
        agent = agent or str(suggest_with.agent)
    else:
        raise TypeError(
            "suggest_with must be a Predictor, an auto-labeller backend, None or False; "
            f"got {type(suggest_with).__name__}"
        )

    # Choose the examples.
    uncertainty: dict[int, float] = {}
    guesses_by_id: dict[int, _Guess | None] = {}
    if strategy == "uncertain" and kind in ("predictor", "autolabel"):
        scored = candidates[:pool] if pool else candidates
        if len(scored) < len(candidates):
            notes.append(f"ranked the first {len(scored)} of {len(candidates)} candidates")
        texts = [ex.text for ex in scored]
        if kind == "predictor":
            guesses, proba, multi = _predictor_guesses(suggester, texts, schema)
        else:
            guesses, proba = _autolabel_guesses(suggester, texts, schema)
            multi = schema.multi_label
        from modlab.training.active import rank_for_labelling

        ranked = rank_for_labelling(proba, k=limit, multi_label=multi)
        chosen = []
        for row, u in zip(ranked["row"], ranked["uncertainty"], strict=True):
            ex = scored[int(row)]
            chosen.append(ex)
            uncertainty[ex.id] = round(float(u), 4)
            guesses_by_id[ex.id] = guesses[int(row)]
    else:
        if strategy == "uncertain":
            notes.append(
                "no model to rank by uncertainty (pass suggest_with= a Predictor or an "
                "auto-labeller, or train the model): took unlabelled examples in order"
            )
            report.strategy = "unlabelled"
        if strategy == "random":
            chosen = random.Random(seed).sample(candidates, min(limit, len(candidates)))
            chosen.sort(key=lambda ex: ex.id)
        else:
            chosen = candidates[:limit]
        texts = [ex.text for ex in chosen]
        if kind == "predictor":
            guesses = _predictor_guesses(suggester, texts, schema)[0]
        elif kind == "autolabel":
            guesses = _autolabel_guesses(suggester, texts, schema)[0]
        else:
            guesses = [None] * len(chosen)
        guesses_by_id = {ex.id: g for ex, g in zip(chosen, guesses, strict=True)}
    if kind == "stored":
        stored, stored_agent = _stored_guesses(store, model, [ex.id for ex in chosen], schema)
        guesses_by_id = {ex.id: g for ex, g in zip(chosen, stored, strict=True)}
        agent = agent or stored_agent
        if stored_agent is None:
            notes.append("no suggestions: no trained model and no stored suggestions")

    ids = [str(ex.id) for ex in chosen]
    suggestions = {}
    for ex in chosen:
        g = guesses_by_id.get(ex.id)
        if g is not None:
            suggestions[str(ex.id)] = {"label": g.value, "score": g.score, "agent": agent}
    vectors = _encode([ex.text for ex in chosen], notes) if with_vectors else None
    if vectors is not None and existing is not None:
        has_vectors = any(v.name == argilla_sync.VECTOR_FIELD for v in existing.settings.vectors)
        if not has_vectors:
            notes.append("no vectors: the dataset was created without a vector field")
            vectors = None

    records = []
    for ex in chosen:
        metadata: dict[str, Any] = {"source": ex.source, "batch": ex.batch_id}
        if ex.id in uncertainty:
            metadata["uncertainty"] = uncertainty[ex.id]
        records.append({"id": str(ex.id), "text": ex.text, "metadata": metadata})
    with _quiet_sdk():
        pushed = argilla_sync.push_records(
            name,
            schema,
            records,
            suggestions=suggestions,
            vectors=dict(zip(ids, vectors, strict=True)) if vectors is not None else None,
            annotators=annotators,
            min_submitted=min_submitted,
            workspace=workspace,
            agent=agent,
            annotator_password=annotator_password,
            argilla=argilla,
            batch_size=min(256, len(records)),  # else the SDK announces it shrank the batch
        )
    if existing is not None and existing.settings.distribution.min_submitted != min_submitted:
        notes.append(
            f"the dataset keeps its task distribution of "
            f"{existing.settings.distribution.min_submitted} answer(s) per record"
        )
        report.min_submitted = existing.settings.distribution.min_submitted

    # Remember what went where; keep fresh suggestions in the store.
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for ex in chosen:
        meta = dict(ex.meta)
        pushed_to = dict(meta.get(META_KEY) or {})
        pushed_to[name] = {"workspace": workspace, "pushed_at": now}
        meta[META_KEY] = pushed_to
        store.update_example(ex.id, meta=meta)
    if store_suggestions and kind in ("predictor", "autolabel") and suggestions:
        store.add_suggestions(
            [
                {
                    "example_id": ex.id,
                    "labels": guesses_by_id[ex.id].value,
                    "score": _scalar(guesses_by_id[ex.id].score),
                    "label_scores": guesses_by_id[ex.id].scores,
                }
                for ex in chosen
                if guesses_by_id.get(ex.id) is not None
            ],
            agent=agent or kind,
        )

    report.example_ids = [ex.id for ex in chosen]
    report.suggestions = len(suggestions)
    report.agent = agent if suggestions else None
    report.vector_dimensions = len(vectors[0]) if vectors else None
    report.url = _dataset_url(settings, pushed)
    for ex in chosen:
        g = guesses_by_id.get(ex.id)
        report.rows.append(
            {
                "example_id": ex.id,
                "text": ex.text,
                "suggestion": (", ".join(g.value) if isinstance(g.value, list) else g.value)
                if g
                else None,
                "score": round(_scalar(g.score), 3) if g and g.score is not None else None,
                "uncertainty": uncertainty.get(ex.id),
            }
        )
    return report


@contextlib.contextmanager
def _quiet_sdk() -> Iterator[None]:
    """Hide the SDK's "batch size was normalized" notice (noise in notebooks and the CLI)."""
    logger = logging.getLogger("argilla.sdk")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _scalar(score: Any) -> float | None:
    if score is None:
        return None
    if isinstance(score, list | tuple):
        return float(min(score)) if score else None
    return float(score)


# --------------------------------------------------------------------------- pull


@dataclass(frozen=True)
class Decision:
    """What a record's submitted answers decide under a policy."""

    status: str  # "agreed", "majority", "conflict" or "awaiting"
    labels: Any = None  # str or list[str] (multi-label); None unless agreed/majority
    annotators: tuple[str, ...] = ()  # those who gave the decided label


def _key(value: Any) -> Any:
    return tuple(sorted(value)) if isinstance(value, list | tuple | set | frozenset) else value


def decide(answers: Mapping[str, Any], policy: str = "majority", min_answers: int = 1) -> Decision:
    """Decide one record from its submitted answers ``{username: label}`` (see the module doc)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    if not answers:
        return Decision("awaiting")
    if policy != "any" and len(answers) < max(1, min_answers):
        return Decision("awaiting")
    counts = Counter(_key(v) for v in answers.values()).most_common()
    top, n = counts[0]
    winners = tuple(sorted(u for u, v in answers.items() if _key(v) == top))
    value = list(top) if isinstance(top, tuple) else top
    if len(counts) == 1:
        return Decision("agreed", value, winners)
    if policy == "unanimous" or counts[1][1] == n:
        return Decision("conflict")
    return Decision("majority", value, winners)


def pull_annotations(
    store: ExampleStore,
    model: str,
    dataset: str | None = None,
    *,
    policy: str = "majority",
    overwrite: bool = False,
    workspace: str = argilla_sync.DEFAULT_WORKSPACE,
    settings: Settings | None = None,
    argilla: rg.Argilla | None = None,
) -> PullReport:
    """Read the submitted answers of ``dataset`` (default: the model's name) and write the
    decided labels into the store (source ``"argilla"``); returns a :class:`PullReport` with
    agreement and the conflicts left for review. Idempotent."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    from modlab.data.schemas import LabelError

    schema = store.get_schema(model)
    name = dataset or model
    argilla = _client(settings, argilla)
    ds = _lookup_dataset(argilla, name, workspace)
    if ds is None:
        raise LookupError(f"no Argilla dataset {name!r} in workspace {workspace!r}")
    distribution = getattr(ds.settings, "distribution", None)
    min_submitted = int(getattr(distribution, "min_submitted", 1) or 1)
    rows = argilla_sync.pull_responses(name, workspace=workspace, argilla=argilla)
    report = PullReport(model=model, dataset=name, policy=policy, min_submitted=min_submitted)
    report.responses = dict(Counter(r["status"] for r in rows))

    answers: dict[str, dict[str, Any]] = {}
    texts: dict[str, str | None] = {}
    for r in rows:
        if r["status"] != argilla_sync.SUBMITTED or r["label"] is None:
            continue
        answers.setdefault(r["record_id"], {})[r["user"]] = r["label"]
        texts[r["record_id"]] = r.get("text")
    report.records = len(answers)

    examples: dict[str, ExampleRecord] = {}
    for record_id in sorted(answers, key=lambda x: (len(x), x)):
        example = None
        if record_id.isdigit():
            try:
                example = store.get_example(int(record_id))
            except KeyError:
                example = None
        if example is None or example.model != model:
            report.unknown_records.append(record_id)
            continue
        examples[record_id] = example
    known_rows = [r for r in rows if r["record_id"] in examples]

    writes: dict[str | None, list[tuple[int, Any]]] = {}
    resolved: dict[str, Any] = {}
    for record_id, example in examples.items():
        decision = decide(answers[record_id], policy, min_submitted)
        if decision.status in ("agreed", "majority"):
            resolved[record_id] = decision.labels
        if decision.status == "awaiting":
            report.awaiting.append(example.id)
            continue
        ours = example.label_source == LABEL_SOURCE
        if example.labelled and not ours and not overwrite:
            report.kept.append(example.id)
            continue
        if decision.status == "conflict":
            if example.labelled and ours:
                writes.setdefault(None, []).append((example.id, None))
                report.cleared.append(example.id)
            continue
        try:
            labels = schema.parse(decision.labels)
        except LabelError as exc:  # the schema changed since the push
            report.invalid.append({"example_id": example.id, "error": str(exc)})
            continue
        annotator = ",".join(decision.annotators)[:200]
        if ours and example.labels == labels and example.annotator == annotator:
            report.unchanged += 1
            continue
        writes.setdefault(annotator, []).append((example.id, decision.labels))
        report.labelled.append(
            {
                "example_id": example.id,
                "labels": labels,
                "annotators": list(decision.annotators),
                "decision": decision.status,
            }
        )
    for annotator, items in writes.items():
        store.set_labels(items, source=LABEL_SOURCE, annotator=annotator)

    report.agreement = argilla_sync.agreement(known_rows)
    for c in argilla_sync.conflicts(known_rows):
        record_id = c["record_id"]
        report.conflicts.append(
            {
                "example_id": examples[record_id].id,
                "record_id": record_id,
                "text": c.get("text") or texts.get(record_id),
                "labels": c["labels"],
                "majority": c["majority"],
                "agreement": c["agreement"],
                "resolved": resolved.get(record_id),
            }
        )
    report.conflicts.sort(key=lambda c: c["example_id"])
    return report


__all__ = [
    "POLICIES",
    "STRATEGIES",
    "Decision",
    "PullReport",
    "PushReport",
    "decide",
    "pull_annotations",
    "push_for_annotation",
]
