"""Push examples to Argilla for annotation and pull the annotators' answers back.

* :func:`push_records` creates (or extends) a dataset: a ``text`` field, one label question
  (single- or multi-label) whose options carry the label descriptions, guidelines written from
  those descriptions, ``source``/``batch`` metadata, model or auto-labeller **suggestions** (value,
  score, agent), an optional vector for similarity search, annotator users and an overlap task
  distribution (``min_submitted`` answers complete a record).
* :func:`pull_responses` returns one row per (record, annotator) answer.
* :func:`agreement` (Cohen's kappa for two annotators, Krippendorff's alpha in general) and
  :func:`conflicts` (records whose submitted labels differ) work on those rows.

Uses the ``argilla`` 2.8 SDK against ``settings.argilla_url`` with the owner key; see
:mod:`modlab.annotation.argilla_stack` for the local server.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from modlab.settings import Settings, get_settings

if TYPE_CHECKING:  # the SDK import costs ~1 s; keep `import modlab.annotation...` cheap
    import argilla as rg

TEXT_FIELD = "text"
QUESTION = "label"
VECTOR_FIELD = "embedding"
DEFAULT_WORKSPACE = "modlab"
SUBMITTED = "submitted"


@runtime_checkable
class LabelLike(Protocol):
    name: str
    description: str


@runtime_checkable
class LabelSchemaLike(Protocol):
    """What :func:`push_records` needs from ``modlab.data``'s ``LabelSchema`` (or any object)."""

    name: str
    multi_label: bool
    labels: Sequence[Any]  # LabelLike objects or {"name", "description"} dicts


def _labels(schema: Any) -> list[tuple[str, str]]:
    out = []
    for label in schema.labels:
        if isinstance(label, Mapping):
            name, description = label["name"], label.get("description") or ""
        elif isinstance(label, str):
            name, description = label, ""
        else:
            name, description = label.name, getattr(label, "description", "") or ""
        out.append((str(name), str(description)))
    if not out:
        raise ValueError(f"label schema {schema.name!r} has no labels")
    return out


def guidelines_for(schema: Any) -> str:
    """Markdown annotation guidelines from the schema: its description, each label's
    description and (up to three) examples when the schema has them."""
    kind = "every label that applies" if schema.multi_label else "the one label that fits best"
    lines = [f"# {schema.name}", ""]
    if getattr(schema, "description", ""):
        lines += [str(schema.description), ""]
    lines += [f"Read the text and choose {kind}.", "", "## Labels", ""]
    examples = {}
    for label in schema.labels:
        found = label.get("examples") if isinstance(label, Mapping) else None
        found = found if found is not None else getattr(label, "examples", ())
        if isinstance(label, Mapping | str):
            key = label if isinstance(label, str) else label["name"]
        else:
            key = label.name
        examples[str(key)] = [str(e) for e in (found or ())][:3]
    for name, description in _labels(schema):
        lines.append(f"- **{name}**: {description}" if description else f"- **{name}**")
        lines += [f'  - e.g. "{example}"' for example in examples.get(name, [])]
    lines += ["", "Discard a record only if it cannot be judged (empty, wrong language, garbled)."]
    return "\n".join(lines)


def client(settings: Settings | None = None) -> rg.Argilla:
    """An SDK client with the owner's key (``settings.argilla_url`` / ``argilla_api_key``)."""
    import argilla as rg

    s = settings or get_settings()
    return rg.Argilla(api_url=s.argilla_url, api_key=s.argilla_api_key.get_secret_value())


def dataset_settings(
    label_schema: Any,
    *,
    vector_dimensions: int | None = None,
    min_submitted: int = 1,
    argilla: rg.Argilla | None = None,
) -> rg.Settings:
    """The ``rg.Settings`` of a dataset for ``label_schema`` (descriptions on the options)."""
    import argilla as rg

    argilla = argilla or client()  # the SDK's resources bind to a client (no request is made)
    labels = _labels(label_schema)
    question_cls = rg.MultiLabelQuestion if label_schema.multi_label else rg.LabelQuestion
    question = question_cls(
        name=QUESTION,
        title=f"{label_schema.name}: "
        + ("which labels apply?" if label_schema.multi_label else "which label?"),
        labels={name: name for name, _ in labels},
        required=True,
        client=argilla,
    )
    # The SDK takes value -> text only; the server's option settings also hold a description,
    # which the UI shows as the label's tooltip.
    question._model.settings.options = [
        {"value": name, "text": name, "description": (description or None) and description[:1000]}
        for name, description in labels
    ]
    vectors = (
        [rg.VectorField(name=VECTOR_FIELD, dimensions=vector_dimensions, _client=argilla)]
        if vector_dimensions
        else []
    )
    return rg.Settings(
        fields=[rg.TextField(name=TEXT_FIELD, title="Text", use_markdown=False, client=argilla)],
        questions=[question],
        metadata=[
            rg.TermsMetadataProperty(name="source", title="Source", client=argilla),
            rg.TermsMetadataProperty(name="batch", title="Import batch", client=argilla),
        ],
        vectors=vectors,
        guidelines=guidelines_for(label_schema),
        allow_extra_metadata=True,
        distribution=rg.TaskDistribution(min_submitted=min_submitted),
    )


def _quiet_lookup(fn, *args, **kwargs):
    """The SDK warns when a looked-up resource does not exist; here that is expected."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".* not found", category=UserWarning)
        return fn(*args, **kwargs)


def ensure_workspace(name: str, argilla: rg.Argilla) -> rg.Workspace:
    import argilla as rg

    workspace = _quiet_lookup(argilla.workspaces, name)
    return workspace if workspace is not None else rg.Workspace(name=name, client=argilla).create()


def ensure_annotators(
    usernames: Iterable[str],
    workspace: rg.Workspace,
    argilla: rg.Argilla,
    *,
    password: str | None = None,
) -> list[rg.User]:
    """Create annotator users that do not exist yet and add every one to ``workspace``.

    ``password`` (>= 8 characters) is only used for new users; default: the owner's password.
    """
    import argilla as rg

    password = password or get_settings().argilla_password.get_secret_value()
    members = {user.username for user in workspace.users}
    users = []
    for username in usernames:
        user = _quiet_lookup(argilla.users, username)
        if user is None:
            user = rg.User(username=username, password=password, role="annotator", client=argilla)
            user = user.create()
        if username not in members:
            user.add_to_workspace(workspace)
        users.append(user)
    return users


def _per_record(value: Any, ids: list[str], what: str) -> list[Any]:
    """``value`` given per record: a mapping by external id or a sequence aligned with records."""
    if value is None:
        return [None] * len(ids)
    if isinstance(value, Mapping):
        return [value.get(i) for i in ids]
    values = list(value)
    if len(values) != len(ids):
        raise ValueError(f"{what}: {len(values)} values for {len(ids)} records")
    return values


def _suggestion(spec: Any, multi_label: bool, default_agent: str | None) -> rg.Suggestion | None:
    import argilla as rg

    if spec is None:
        return None
    if isinstance(spec, rg.Suggestion):
        return spec
    if isinstance(spec, str | list | tuple):
        spec = {"label": spec}
    label = spec.get("label", spec.get("value"))
    if label is None:
        return None
    score = spec.get("score")
    if multi_label:
        label = [label] if isinstance(label, str) else list(label)
        if score is not None and not isinstance(score, list | tuple):
            score = [float(score)] * len(label)
        score = [float(x) for x in score] if score is not None else None
    else:
        score = float(score) if score is not None else None
    return rg.Suggestion(
        question_name=QUESTION,
        value=label,
        score=score,
        agent=spec.get("agent", default_agent),
        type="model",
    )


def push_records(
    dataset_name: str,
    label_schema: Any,
    records: Sequence[Mapping[str, Any]],
    *,
    suggestions: Mapping[str, Any] | Sequence[Any] | None = None,
    vectors: Mapping[str, Sequence[float]] | Sequence[Sequence[float]] | None = None,
    annotators: Sequence[str] = (),
    min_submitted: int = 1,
    workspace: str = DEFAULT_WORKSPACE,
    source: str | None = None,
    batch: str | None = None,
    agent: str | None = None,
    annotator_password: str | None = None,
    argilla: rg.Argilla | None = None,
    batch_size: int = 256,
) -> rg.Dataset:
    """Create/extend ``dataset_name`` with ``records`` for annotation; returns the dataset.

    ``records``: dicts with ``id`` (external id, kept as Argilla's record id so a re-push
    updates instead of duplicating), ``text`` and optional ``metadata`` (``source`` and
    ``batch`` default to the arguments of the same name).
    ``suggestions``: per record (by id or aligned) a label (list for multi-label), or
    ``{"label", "score", "agent"}``, or an ``rg.Suggestion``; ``agent`` is the default agent.
    ``vectors``: per record an embedding, enabling "find similar" in the UI.
    ``annotators``: usernames created as annotators in ``workspace`` if missing; with
    ``min_submitted`` > 1 several of them answer each record (overlap distribution).
    """
    import argilla as rg

    if not records:
        raise ValueError("no records to push")
    argilla = argilla or client()
    ws = ensure_workspace(workspace, argilla)
    if annotators:
        ensure_annotators(annotators, ws, argilla, password=annotator_password)

    ids = [str(r["id"]) for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("record ids must be unique")
    vector_values = _per_record(vectors, ids, "vectors")
    dims = {len(v) for v in vector_values if v is not None}
    if len(dims) > 1:
        raise ValueError(f"vectors of different sizes: {sorted(dims)}")
    suggestion_specs = _per_record(suggestions, ids, "suggestions")

    dataset = _quiet_lookup(argilla.datasets, name=dataset_name, workspace=ws)
    if dataset is None:
        settings = dataset_settings(
            label_schema,
            vector_dimensions=next(iter(dims), None),
            min_submitted=min_submitted,
            argilla=argilla,
        )
        dataset = rg.Dataset(name=dataset_name, workspace=ws, settings=settings, client=argilla)
        dataset = dataset.create()
    has_vectors = any(v.name == VECTOR_FIELD for v in dataset.settings.vectors)

    rg_records = []
    for record, record_id, vector, spec in zip(
        records, ids, vector_values, suggestion_specs, strict=True
    ):
        metadata = {k: v for k, v in dict(record.get("metadata") or {}).items() if v is not None}
        if source is not None:
            metadata.setdefault("source", source)
        if batch is not None:
            metadata.setdefault("batch", batch)
        suggestion = _suggestion(spec, bool(label_schema.multi_label), agent)
        rg_records.append(
            rg.Record(
                id=record_id,
                fields={TEXT_FIELD: str(record["text"])},
                metadata=metadata or None,
                vectors=(
                    {VECTOR_FIELD: [float(x) for x in vector]}
                    if vector is not None and has_vectors
                    else None
                ),
                suggestions=[suggestion] if suggestion is not None else None,
            )
        )
    dataset.records.log(records=rg_records, batch_size=batch_size)
    return dataset


def pull_responses(
    dataset_name: str,
    *,
    workspace: str = DEFAULT_WORKSPACE,
    argilla: rg.Argilla | None = None,
    statuses: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """One row per record and annotator: ``record_id`` (the external id), ``user`` (username),
    ``user_id``, ``label`` (a list for multi-label questions), ``status`` and ``text``.

    ``statuses`` keeps only those (e.g. ``{"submitted"}``); default: all.
    """
    argilla = argilla or client()
    dataset = _quiet_lookup(argilla.datasets, name=dataset_name, workspace=workspace)
    if dataset is None:
        raise LookupError(f"no Argilla dataset {dataset_name!r} in workspace {workspace!r}")
    usernames = {str(user.id): user.username for user in argilla.users}
    keep = set(statuses) if statuses is not None else None
    rows = []
    for record in dataset.records(with_responses=True, with_suggestions=False):
        for response in record.responses:
            if response.question_name != QUESTION:
                continue
            status = getattr(response.status, "value", response.status)
            if keep is not None and status not in keep:
                continue
            user_id = str(response.user_id)
            rows.append(
                {
                    "record_id": str(record.id),
                    "user": usernames.get(user_id, user_id),
                    "user_id": user_id,
                    "label": response.value,
                    "status": status,
                    "text": record.fields.get(TEXT_FIELD),
                }
            )
    return rows


# --------------------------------------------------------------------------- agreement


def _units(
    responses: Iterable[Mapping[str, Any]], statuses: Iterable[str] = (SUBMITTED,)
) -> tuple[dict[str, dict[str, Any]], bool]:
    """record id -> {user: label} over the kept statuses; whether labels are multi-label."""
    keep = set(statuses)
    units: dict[str, dict[str, Any]] = defaultdict(dict)
    multi = False
    for row in responses:
        if row.get("status", SUBMITTED) not in keep or row.get("label") is None:
            continue
        label = row["label"]
        if isinstance(label, list | tuple | set | frozenset):
            multi = True
            label = frozenset(label)
        units[str(row["record_id"])][str(row["user"])] = label
    return dict(units), multi


def krippendorff_alpha(units: Mapping[Any, Sequence[Any]]) -> float:
    """Krippendorff's alpha for nominal data: ``units`` maps a unit to the values its coders
    gave (missing codings simply left out). Units with fewer than two values are not pairable.
    ``nan`` when undefined (fewer than two pairable values, or a single category overall)."""
    coincidence: dict[tuple[Any, Any], float] = defaultdict(float)
    for values in units.values():
        values = list(values)
        m = len(values)
        if m < 2:
            continue
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            coincidence[(values[i], values[j])] += 1.0 / (m - 1)
    totals: dict[Any, float] = defaultdict(float)
    for (c, _k), count in coincidence.items():
        totals[c] += count
    n = sum(totals.values())
    if n <= 1:
        return math.nan
    observed = sum(count for (c, k), count in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if expected == 0:
        return math.nan
    return 1.0 - (n - 1) * observed / expected


def _binary_units(units: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str], dict]:
    """Multi-label answers as one yes/no unit per (record, label)."""
    labels = sorted({label for answers in units.values() for s in answers.values() for label in s})
    out: dict[tuple[str, str], dict[str, int]] = {}
    for record_id, answers in units.items():
        for label in labels:
            out[(record_id, label)] = {user: int(label in s) for user, s in answers.items()}
    return out


def agreement(
    responses: Iterable[Mapping[str, Any]], *, statuses: Iterable[str] = (SUBMITTED,)
) -> dict[str, Any]:
    """Inter-annotator agreement over the rows of :func:`pull_responses`.

    Returns ``method`` (``"cohen_kappa"`` for exactly two annotators, else
    ``"krippendorff_alpha"``) and ``value``, plus ``krippendorff_alpha`` (always), ``cohen_kappa``
    (two annotators; computed on the records both answered), ``pairwise_kappa`` (every pair of
    annotators with >= 2 shared records), ``n_records`` (records with >= 2 answers),
    ``annotators`` and ``multi_label``. Multi-label answers are compared label by label (one
    yes/no unit per record and label). Values are ``nan`` where undefined.
    """
    from sklearn.metrics import cohen_kappa_score

    units, multi = _units(responses, statuses)
    if multi:
        units = {
            u: {k: (v if isinstance(v, frozenset) else frozenset([v])) for k, v in a.items()}
            for u, a in units.items()
        }
        units = _binary_units(units)
    annotators = sorted({user for answers in units.values() for user in answers})
    alpha = krippendorff_alpha({u: list(a.values()) for u, a in units.items()})

    def kappa(a: str, b: str) -> tuple[float, int]:
        shared = [u for u, answers in units.items() if a in answers and b in answers]
        if len(shared) < 2:
            return math.nan, len(shared)
        ya = [str(units[u][a]) for u in shared]
        yb = [str(units[u][b]) for u in shared]
        if len(set(ya) | set(yb)) < 2:
            return math.nan, len(shared)
        return float(cohen_kappa_score(ya, yb)), len(shared)

    pairwise = {}
    for a, b in combinations(annotators, 2):
        value, shared = kappa(a, b)
        if shared >= 2:
            pairwise[f"{a}|{b}"] = value
    result: dict[str, Any] = {
        "annotators": annotators,
        "n_records": len({(u[0] if multi else u) for u, a in units.items() if len(a) >= 2}),
        "multi_label": multi,
        "krippendorff_alpha": alpha,
        "pairwise_kappa": pairwise,
    }
    if len(annotators) == 2:
        result["cohen_kappa"] = kappa(*annotators)[0]
        result["method"], result["value"] = "cohen_kappa", result["cohen_kappa"]
    else:
        result["method"], result["value"] = "krippendorff_alpha", alpha
    return result


def conflicts(
    responses: Iterable[Mapping[str, Any]], *, statuses: Iterable[str] = (SUBMITTED,)
) -> list[dict[str, Any]]:
    """Records whose annotators gave different labels, for review: ``record_id``, ``labels``
    ({user: label}), ``majority`` (the most frequent answer, ``None`` on a tie),
    ``agreement`` (share of annotators giving the majority answer) and ``text`` when known."""
    rows = list(responses)
    texts = {str(r["record_id"]): r.get("text") for r in rows if r.get("text") is not None}
    units, _multi = _units(rows, statuses)
    out = []
    for record_id, answers in sorted(units.items()):
        if len(answers) < 2 or len(set(answers.values())) < 2:
            continue
        counts = Counter(answers.values()).most_common()
        tie = len(counts) > 1 and counts[0][1] == counts[1][1]
        majority = None if tie else counts[0][0]
        out.append(
            {
                "record_id": record_id,
                "labels": {
                    user: sorted(v) if isinstance(v, frozenset) else v
                    for user, v in sorted(answers.items())
                },
                "majority": sorted(majority) if isinstance(majority, frozenset) else majority,
                "agreement": counts[0][1] / len(answers),
                "text": texts.get(record_id),
            }
        )
    return out


__all__ = [
    "LabelLike",
    "LabelSchemaLike",
    "agreement",
    "client",
    "conflicts",
    "dataset_settings",
    "ensure_annotators",
    "ensure_workspace",
    "guidelines_for",
    "krippendorff_alpha",
    "pull_responses",
    "push_records",
]
