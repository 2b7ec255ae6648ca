"""The per-model example store: model definitions, imports, labels and suggestions.

>>> store = ExampleStore()                       # the settings' database (or pass a URL)
>>> store.create_model("spam", {"SPAM": "Unsolicited advertising"}, neutral="HAM")
>>> report = store.import_file("spam", "posts.csv", text_col="text", label_col="label")
>>> texts, labels = store.training_data("spam")
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modlab.data import dedupe, readers
from modlab.data.importer import (
    ImportReport,
    balance_warnings,
    model_distribution,
    run_import,
)
from modlab.data.readers import Column, ImportSetupError, Source, _jsonable
from modlab.data.schemas import (
    DEFAULT_NEUTRAL,
    FrozenLabelsError,
    LabelError,
    LabelSchema,
    LabelSpec,
    SchemaError,
    UnknownModelError,
    build_labels,
    check_model_name,
    coerce_labels,
)
from modlab.storage.db import Database, get_database
from modlab.storage.models import utcnow
from modlab.storage.workbench import (
    Example,
    ImportBatch,
    LabelDefinition,
    LabelEvent,
    LabelSchemaVersion,
    ModelDefinition,
    Suggestion,
)

LABEL_SOURCES = ("import", "manual", "argilla", "autolabel", "model", "derived")
_UNSET: Any = object()


class DuplicateExampleError(ValueError):
    """The text (after normalisation) is already an example of the model."""

    def __init__(self, message: str, example_id: int) -> None:
        super().__init__(message)
        self.example_id = example_id


@dataclass(frozen=True)
class ExampleRecord:
    id: int
    model: str
    text: str
    labels: list[str] | None  # None: not labelled; [] (multi-label): no label applies
    label_source: str | None
    annotator: str | None
    source: str
    source_ref: str | None
    batch_id: str | None
    meta: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    @property
    def label(self) -> str | None:
        """The label of a single-label example (``None`` when unlabelled or with no label)."""
        return self.labels[0] if self.labels else None


@dataclass(frozen=True)
class SuggestionRecord:
    id: int
    example_id: int
    labels: list[str]
    score: float | None
    agent: str
    rationale: str | None
    label_scores: dict[str, float] | None
    created_at: datetime

    @property
    def label(self) -> str | None:
        return self.labels[0] if self.labels else None


@dataclass(frozen=True)
class ModelInfo:
    name: str
    type: str
    labels: list[str]
    neutral: str | None
    schema_version: int
    trained: bool
    examples: int
    labelled: int
    created_at: datetime


@dataclass
class TrainingSet:
    """Everything the trainer needs, as plain lists (aligned by position)."""

    model: str
    schema_version: int
    multi_label: bool
    label_names: list[str]
    neutral: str | None
    example_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)  # str, or list[str] when multi-label

    def __len__(self) -> int:
        return len(self.texts)

    def train_kwargs(self) -> dict[str, Any]:
        """Arguments for ``modlab.training.pipeline.train_model(**ts.train_kwargs())``; after
        training call ``store.mark_trained(ts.model, ts.schema_version, run_id=...)``."""
        return {
            "name": self.model,
            "texts": list(self.texts),
            "labels": list(self.labels),
            "label_names": list(self.label_names),
            "multi_label": self.multi_label,
            "neutral_label": self.neutral,
            "ids": list(self.example_ids),
        }

    def label_indices(self) -> list[Any]:
        """Labels as positions in ``label_names`` (int, or list[int] when multi-label)."""
        pos = {n: i for i, n in enumerate(self.label_names)}
        if self.multi_label:
            return [[pos[n] for n in labels] for labels in self.labels]
        return [pos[n] for n in self.labels]


@dataclass
class ModelStats:
    model: str
    schema_version: int
    trained: bool
    examples: int
    labelled: int
    unlabelled: int
    label_distribution: dict[str, int]
    by_source: dict[str, int]
    by_label_source: dict[str, int]
    suggestions: int
    suggested_examples: int
    imports: int
    warnings: list[str]

    def summary(self) -> str:
        lines = [
            f"Model {self.model!r} (labels v{self.schema_version}"
            + (", trained" if self.trained else "")
            + ")",
            f"  examples     {self.examples:>7,}",
            f"  labelled     {self.labelled:>7,}",
            f"  unlabelled   {self.unlabelled:>7,}",
            f"  suggestions  {self.suggestions:>7,}  (on {self.suggested_examples:,} examples)",
            f"  imports      {self.imports:>7,}",
        ]
        if self.label_distribution:
            lines.append("Label distribution:")
            width = max(len(k) for k in self.label_distribution)
            lines += [f"  {k:<{width}}  {v:>7,}" for k, v in self.label_distribution.items()]
        if self.by_source:
            lines.append("By source: " + ", ".join(f"{k} {v:,}" for k, v in self.by_source.items()))
        if self.by_label_source:
            lines.append(
                "Labelled by: " + ", ".join(f"{k} {v:,}" for k, v in self.by_label_source.items())
            )
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)


class ExampleStore:
    """Custom models' label schemas and examples, stored in the modlab database."""

    def __init__(self, db: Database | str | None = None, *, max_text_chars: int | None = None):
        self.db = db if isinstance(db, Database) else get_database(db)
        if max_text_chars is None:
            from modlab.settings import get_settings

            max_text_chars = get_settings().max_text_chars
        self.max_text_chars = max_text_chars

    # -- models and label schemas ----------------------------------------------------------------

    def create_model(
        self,
        name: str,
        labels: Any,
        *,
        multi_label: bool = False,
        neutral: str | None = DEFAULT_NEUTRAL,
        description: str = "",
        builtin: bool = False,
    ) -> LabelSchema:
        """Define a model. ``labels``: names, ``{name: description}``, dicts or :class:`LabelSpec`.

        Single-label: ``neutral`` names the label meaning "nothing to flag" — one of ``labels``
        (e.g. ``neutral="HAM"``) or, if absent, appended as the last label; ``None`` for a model
        without one. Multi-label: "no label applies" is the empty set; ``neutral`` is only the
        word imports may use for it. ``builtin=True`` (for the product's own model builds)
        allows the reserved names of the built-in analyzers (``toxicity``, ``quality``, ...).
        """
        check_model_name(name, allow_reserved=builtin)
        specs, neutral = build_labels(labels, multi_label=multi_label, neutral=neutral)
        with self.db.session() as s:
            if s.scalar(select(ModelDefinition.id).where(ModelDefinition.name == name)):
                raise SchemaError(f"a model named {name!r} already exists")
            model = ModelDefinition(name=name, multi_label=multi_label, description=description)
            s.add(model)
            s.flush()
            version = self._add_version(s, model, specs, neutral, note="created")
            return _to_schema(model, version, frozen=False)

    def get_schema(self, model: str, version: int | None = None) -> LabelSchema:
        """The model's labels (newest version unless ``version`` is given)."""
        with self.db.session() as s:
            row = _model(s, model)
            return _to_schema(row, _version(s, row, version), frozen=_is_frozen(s, row))

    def schema_versions(self, model: str) -> list[LabelSchema]:
        with self.db.session() as s:
            row = _model(s, model)
            frozen = _is_frozen(s, row)
            return [_to_schema(row, v, frozen) for v in row.schemas]

    def list_models(self) -> list[ModelInfo]:
        with self.db.session() as s:
            counts = dict(
                s.execute(select(Example.model_id, func.count()).group_by(Example.model_id)).all()
            )
            labelled = dict(
                s.execute(
                    select(Example.model_id, func.count())
                    .where(Example.labelled.is_(True))
                    .group_by(Example.model_id)
                ).all()
            )
            out = []
            for m in s.scalars(select(ModelDefinition).order_by(ModelDefinition.name)):
                schema = _to_schema(m, m.schemas[-1], _is_frozen(s, m))
                out.append(
                    ModelInfo(
                        name=m.name,
                        type=schema.type,
                        labels=schema.names,
                        neutral=schema.neutral,
                        schema_version=schema.version,
                        trained=schema.frozen,
                        examples=counts.get(m.id, 0),
                        labelled=labelled.get(m.id, 0),
                        created_at=m.created_at,
                    )
                )
            return out

    def update_labels(
        self,
        model: str,
        labels: Any,
        *,
        neutral: str | None = _UNSET,
        rename: dict[str, str] | None = None,
        note: str = "",
    ) -> LabelSchema:
        """Save a new label-schema version (returns the current one if nothing changed).

        Before training: labels may be added, reordered, renamed (``rename={"OLD": "NEW"}``
        relabels the stored examples) or removed (only when no example uses them).
        After training: only descriptions and examples may change; anything else raises
        :class:`FrozenLabelsError` — derive a new model with :meth:`derive_model` instead.
        """
        with self.db.session() as s:
            row = _model(s, model)
            current = _to_schema(row, row.schemas[-1], _is_frozen(s, row))
            if neutral is _UNSET:
                neutral = current.neutral
            specs, neutral = build_labels(labels, multi_label=row.multi_label, neutral=neutral)
            names = [sp.name for sp in specs]
            if (
                names == current.names
                and neutral == current.neutral
                and list(specs) == list(current.labels)
            ):
                return current
            if current.frozen and (names != current.names or neutral != current.neutral or rename):
                trained = [v.version for v in row.schemas if v.trained_at is not None]
                raise FrozenLabelsError(
                    f"model {model!r} was trained on label schema v{trained[-1]} "
                    f"({', '.join(current.names)}); its labels can no longer be renamed, added, "
                    "removed or reordered (descriptions and examples may still change). "
                    f"Create a new model instead, e.g. store.derive_model({model!r}, "
                    f"'{model}-v2', labels=...)."
                )
            rename = {current.canonical(k): v for k, v in (rename or {}).items()}
            missing = [v for v in rename.values() if v not in names]
            if missing:
                raise SchemaError(f"rename targets not among the new labels: {', '.join(missing)}")
            if not current.frozen:
                self._relabel_for_new_schema(s, row, current, names, rename)
            version = self._add_version(s, row, specs, neutral, note=note or "labels edited")
            row.updated_at = utcnow()
            return _to_schema(row, version, frozen=current.frozen)

    def mark_trained(
        self, model: str, schema_version: int, *, run_id: str | None = None
    ) -> LabelSchema:
        """Record that a model was trained on ``schema_version``; its labels freeze for good."""
        with self.db.session() as s:
            row = _model(s, model)
            version = _version(s, row, schema_version)
            if version.trained_at is None:
                version.trained_at = utcnow()
            if run_id:
                version.training_run = run_id
            return _to_schema(row, version, frozen=True)

    def derive_model(
        self,
        source: str,
        name: str,
        *,
        labels: Any = None,
        rename: dict[str, str] | None = None,
        neutral: str | None = _UNSET,
        copy_examples: bool = True,
        description: str | None = None,
    ) -> LabelSchema:
        """A new model from an existing one (the way to change a trained model's labels).

        Examples are copied (``copy_examples``); their labels follow ``rename`` and any label
        that is not in the new schema leaves that example unlabelled.
        """
        src = self.get_schema(source)
        schema = self.create_model(
            name,
            list(src.labels) if labels is None else labels,
            multi_label=src.multi_label,
            neutral=src.neutral if neutral is _UNSET else neutral,
            description=src.description if description is None else description,
        )
        if not copy_examples:
            return schema
        try:
            self._copy_examples(source, name, src, schema, rename or {})
        except BaseException:
            self.delete_model(name)  # all or nothing
            raise
        return schema

    def _copy_examples(
        self,
        source: str,
        name: str,
        src: LabelSchema,
        schema: LabelSchema,
        rename: dict[str, str],
    ) -> None:
        rename = {src.canonical(k): v for k, v in rename.items()}
        with self.db.session() as s:
            src_row, dst_row = _model(s, source), _model(s, name)
            now = utcnow()
            for ex in s.scalars(
                select(Example).where(Example.model_id == src_row.id).order_by(Example.id)
            ):
                labels_new = None
                if ex.labelled:
                    mapped = [rename.get(n, n) for n in ex.labels or []]
                    try:
                        labels_new = schema.check_names(mapped)
                    except LabelError:
                        labels_new = None
                    if labels_new is not None and not schema.multi_label and len(labels_new) != 1:
                        labels_new = None
                meta = dict(ex.meta or {})
                meta["derived_from"] = {"model": source, "example_id": ex.id}
                s.add(
                    Example(
                        model_id=dst_row.id,
                        text=ex.text,
                        text_hash=ex.text_hash,
                        labelled=labels_new is not None,
                        labels=labels_new,
                        label_source=ex.label_source if labels_new is not None else None,
                        annotator=ex.annotator if labels_new is not None else None,
                        labelled_at=ex.labelled_at if labels_new is not None else None,
                        source=ex.source,
                        source_ref=ex.source_ref,
                        meta=meta,
                        minhash=ex.minhash,
                        created_at=now,
                        updated_at=now,
                    )
                )

    def delete_model(self, model: str) -> None:
        """Delete a model with its schemas, examples, suggestions and import batches."""
        with self.db.session() as s:
            row = _model(s, model)
            for table in (Suggestion, Example, ImportBatch):
                for obj in s.scalars(select(table).where(table.model_id == row.id)):
                    s.delete(obj)
            s.flush()
            s.delete(row)

    # -- imports -----------------------------------------------------------------------------------

    def import_file(
        self,
        model: str,
        path: str | Path,
        text_col: Column | None = None,
        label_col: Column | None = None,
        *,
        format: str | None = None,
        sheet: str | int | None = None,
        header: bool = True,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        meta_cols: Sequence[Column] | None = None,
        **options: Any,
    ) -> ImportReport:
        """Import a CSV/TSV, Excel (``.xlsx``) or JSON-lines file (by extension or ``format``).

        ``text_col``/``label_col``: header names or 0-based positions. The label column holds
        label indices (0, 1, 2, ...) or names; empty means unlabelled. Other keyword options are
        those of :meth:`import_source` (``label_sep``, ``dedupe_near``, ``near_threshold``,
        ``strict``, ``dry_run``, ``annotator``).
        """
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".")).lower()
        if fmt in ("csv", "tsv", "tab"):
            src = readers.read_csv(
                path,
                text_col,
                label_col,
                header=header,
                delimiter=delimiter,
                encoding=encoding,
                meta_cols=meta_cols,
            )
        elif fmt in ("xlsx", "xlsm", "excel", "xls"):
            src = readers.read_excel(
                path, text_col, label_col, sheet=sheet, header=header, meta_cols=meta_cols
            )
        elif fmt in ("jsonl", "ndjson", "json"):
            src = readers.read_jsonl(
                path,
                str(text_col) if text_col is not None else "text",
                str(label_col) if label_col is not None else None,
                meta_cols=[str(c) for c in meta_cols or ()],
            )
        else:
            raise ImportSetupError(
                f"unsupported file type {fmt!r}: use .csv, .tsv, .xlsx or .jsonl (or format=)"
            )
        if fmt == "tsv":
            src.kind = "csv"
        return self.import_source(model, src, **options)

    def import_dataframe(
        self,
        model: str,
        df: Any,
        text_col: Column = "text",
        label_col: Column | None = None,
        *,
        meta_cols: Sequence[Column] | None = None,
        name: str = "dataframe",
        **options: Any,
    ) -> ImportReport:
        src = readers.read_dataframe(df, text_col, label_col, meta_cols=meta_cols, name=name)
        return self.import_source(model, src, **options)

    def import_dataset(
        self,
        model: str,
        ds: Any,
        text_col: str = "text",
        label_col: str | None = None,
        *,
        meta_cols: Sequence[str] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> ImportReport:
        """A 🤗 ``datasets.Dataset`` (ClassLabel columns are matched by label name)."""
        src = readers.read_dataset(ds, text_col, label_col, meta_cols=meta_cols, name=name)
        return self.import_source(model, src, **options)

    def import_records(
        self,
        model: str,
        records: Sequence[Any],
        *,
        text_col: str = "text",
        label_col: str | None = "label",
        name: str = "records",
        **options: Any,
    ) -> ImportReport:
        """Strings, ``(text, label)`` pairs or dicts."""
        src = readers.read_records(records, text_col, label_col, name=name)
        return self.import_source(model, src, **options)

    def import_texts(
        self, model: str, texts: Sequence[str], labels: Sequence[Any] | None = None, **options: Any
    ) -> ImportReport:
        if labels is not None and len(labels) != len(texts):
            raise ImportSetupError(f"{len(texts)} texts but {len(labels)} labels")
        records = list(zip(texts, labels, strict=True)) if labels is not None else list(texts)
        return self.import_records(model, records, name="texts", **options)

    def import_requests(
        self,
        model: str,
        *,
        project: str | Sequence[str] | None = None,
        since: Any = None,
        until: Any = None,
        flagged: bool | None = None,
        limit: int | None = None,
        text_field: str = "value",
        **options: Any,
    ) -> ImportReport:
        """Previously moderated texts from the request log ("use previous requests").

        Filter by project (id or name, or a list; default all), time range (``since``
        inclusive, ``until`` exclusive: datetimes, ISO strings or epoch numbers) and ``flagged``.
        Requests come in unlabelled; what the service predicted is kept in the metadata.
        Re-running with a later ``since`` adds only the new texts (duplicates merge).
        """
        with self.db.session() as s:
            row = _model(s, model)
            schema = _to_schema(row, row.schemas[-1], _is_frozen(s, row))
            src = readers.read_requests(
                s,
                project=project,
                since=since,
                until=until,
                flagged=flagged,
                limit=limit,
                text_field=text_field,
            )
            opts = {"filters": src.columns.get("filters"), "text_field": text_field}
            # The request rows must be fully read before the examples are written.
            src.rows = iter(list(src.rows))
            return self._run(s, row, schema, src, opts, **options)

    def import_source(self, model: str, source: Source, **options: Any) -> ImportReport:
        """Import rows from any reader in :mod:`modlab.data.readers` (one transaction)."""
        with self.db.session() as s:
            row = _model(s, model)
            schema = _to_schema(row, row.schemas[-1], _is_frozen(s, row))
            return self._run(s, row, schema, source, dict(source.columns), **options)

    def _run(
        self,
        s: Session,
        row: ModelDefinition,
        schema: LabelSchema,
        source: Source,
        opts: dict[str, Any],
        *,
        label_sep: str | None = None,
        dedupe_near: bool = True,
        near_threshold: float = dedupe.DEFAULT_NEAR_THRESHOLD,
        strict: bool = False,
        dry_run: bool = False,
        annotator: str | None = None,
    ) -> ImportReport:
        opts = dict(
            opts,
            label_sep=label_sep,
            dedupe_near=dedupe_near,
            near_threshold=near_threshold,
            strict=strict,
        )
        return run_import(
            s,
            row,
            schema,
            source,
            max_chars=self.max_text_chars,
            label_sep=label_sep,
            dedupe_near=dedupe_near,
            near_threshold=near_threshold,
            strict=strict,
            dry_run=dry_run,
            annotator=annotator,
            options=opts,
        )

    def imports(self, model: str) -> list[dict[str, Any]]:
        """The model's import batches, newest first (with their stored reports)."""
        with self.db.session() as s:
            row = _model(s, model)
            batches = s.scalars(
                select(ImportBatch)
                .where(ImportBatch.model_id == row.id)
                .order_by(ImportBatch.created_at.desc(), ImportBatch.id)
            )
            return [
                {
                    "id": b.id,
                    "source": b.source,
                    "source_ref": b.source_ref,
                    "created_at": b.created_at,
                    "rows_read": b.rows_read,
                    "added": b.added,
                    "rejected": b.rejected,
                    "duplicates": b.duplicates,
                    "report": b.report,
                }
                for b in batches
            ]

    # -- examples ----------------------------------------------------------------------------------

    def add_example(
        self,
        model: str,
        text: str,
        label: Any = None,
        *,
        annotator: str | None = None,
        meta: dict[str, Any] | None = None,
        source: str = "manual",
    ) -> int:
        """Add one example by hand (``label``: name(s) or index(es); None = unlabelled)."""
        text = self._check_text(text)
        with self.db.session() as s:
            row = _model(s, model)
            schema = _to_schema(row, row.schemas[-1], False)
            labels = schema.parse(label)
            h = dedupe.text_hash(text)
            dup = s.scalar(
                select(Example.id).where(Example.model_id == row.id, Example.text_hash == h)
            )
            if dup is not None:
                raise DuplicateExampleError(
                    f"model {model!r} already has this text as example {dup}", dup
                )
            now = utcnow()
            ex = Example(
                model_id=row.id,
                text=text,
                text_hash=h,
                labelled=labels is not None,
                labels=labels,
                label_source="manual" if labels is not None else None,
                annotator=annotator if labels is not None else None,
                labelled_at=now if labels is not None else None,
                source=source,
                meta=_jsonable(meta or {}),
                minhash=dedupe.to_bytes(dedupe.signatures([dedupe.shingles(text)])[0]),
                created_at=now,
                updated_at=now,
            )
            s.add(ex)
            s.flush()
            if labels is not None:
                s.add(
                    LabelEvent(
                        example_id=ex.id, labels=labels, source="manual", annotator=annotator
                    )
                )
            return ex.id

    def update_example(
        self, example_id: int, *, text: str | None = None, meta: dict[str, Any] | None = None
    ) -> ExampleRecord:
        """Edit an example's text (labels stay) or replace its metadata."""
        with self.db.session() as s:
            ex = _example(s, example_id)
            if text is not None:
                text = self._check_text(text)
                h = dedupe.text_hash(text)
                dup = s.scalar(
                    select(Example.id).where(
                        Example.model_id == ex.model_id,
                        Example.text_hash == h,
                        Example.id != ex.id,
                    )
                )
                if dup is not None:
                    raise DuplicateExampleError(f"that text is already example {dup}", dup)
                ex.text, ex.text_hash = text, h
                ex.minhash = dedupe.to_bytes(dedupe.signatures([dedupe.shingles(text)])[0])
            if meta is not None:
                ex.meta = _jsonable(meta)
            ex.updated_at = utcnow()
            s.flush()
            return _record(ex, _model_name(s, ex.model_id))

    def delete_example(self, example_id: int) -> None:
        with self.db.session() as s:
            ex = _example(s, example_id)
            for sug in s.scalars(select(Suggestion).where(Suggestion.example_id == ex.id)):
                s.delete(sug)
            for ev in s.scalars(select(LabelEvent).where(LabelEvent.example_id == ex.id)):
                s.delete(ev)
            s.delete(ex)

    def get_example(self, example_id: int) -> ExampleRecord:
        with self.db.session() as s:
            ex = _example(s, example_id)
            return _record(ex, _model_name(s, ex.model_id))

    def find_example(self, model: str, text: str) -> ExampleRecord | None:
        """The example with this text (compared after normalisation), if any."""
        with self.db.session() as s:
            row = _model(s, model)
            ex = s.scalar(
                select(Example).where(
                    Example.model_id == row.id, Example.text_hash == dedupe.text_hash(text)
                )
            )
            return _record(ex, row.name) if ex is not None else None

    def examples(
        self,
        model: str,
        *,
        labelled: bool | None = None,
        label: str | None = None,
        source: str | None = None,
        batch_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ExampleRecord]:
        """Examples in insertion order, optionally filtered."""
        with self.db.session() as s:
            row = _model(s, model)
            stmt = select(Example).where(Example.model_id == row.id).order_by(Example.id)
            if labelled is not None:
                stmt = stmt.where(Example.labelled.is_(labelled))
            if source is not None:
                stmt = stmt.where(Example.source == source)
            if batch_id is not None:
                stmt = stmt.where(Example.batch_id == batch_id)
            if label is None:
                stmt = stmt.offset(offset).limit(limit)
                return [_record(ex, row.name) for ex in s.scalars(stmt)]
            schema = _to_schema(row, row.schemas[-1], False)
            wanted = schema.canonical(label)
            matching = [
                _record(ex, row.name)
                for ex in s.scalars(stmt.where(Example.labelled.is_(True)))
                if wanted in (ex.labels or [])
            ]
            end = None if limit is None else offset + limit
            return matching[offset:end]

    def unlabelled(self, model: str, limit: int | None = None) -> list[ExampleRecord]:
        """Examples still without a human label (for Argilla or the auto-labeller)."""
        return self.examples(model, labelled=False, limit=limit)

    def count(self, model: str, labelled: bool | None = None) -> int:
        with self.db.session() as s:
            row = _model(s, model)
            stmt = select(func.count()).select_from(Example).where(Example.model_id == row.id)
            if labelled is not None:
                stmt = stmt.where(Example.labelled.is_(labelled))
            return int(s.scalar(stmt) or 0)

    def to_dataframe(self, model: str, *, labelled: bool | None = None):
        import pandas as pd

        recs = self.examples(model, labelled=labelled)
        cols = ["id", "text", "labels", "label_source", "annotator", "source", "batch_id"]
        return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in recs], columns=cols)

    def _check_text(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise ValueError("empty text")
        text = text.strip()
        if len(text) > self.max_text_chars:
            raise ValueError(f"text longer than {self.max_text_chars:,} characters ({len(text):,})")
        return text

    # -- labels ------------------------------------------------------------------------------------

    def set_label(
        self,
        example_id: int,
        labels: Any,
        *,
        source: str = "manual",
        annotator: str | None = None,
    ) -> ExampleRecord:
        """Give an example its human label(s) (names or indices; ``None`` clears the label).

        ``source``: who decided — "manual", "argilla", "autolabel" (an accepted suggestion),
        "import", "model". Every change is kept in the label history.
        """
        return self.set_labels([(example_id, labels)], source=source, annotator=annotator)[0]

    def set_labels(
        self,
        items: Iterable[tuple[int, Any]],
        *,
        source: str = "manual",
        annotator: str | None = None,
    ) -> list[ExampleRecord]:
        """Several :meth:`set_label` calls in one transaction (all or nothing)."""
        if source not in LABEL_SOURCES:
            raise ValueError(f"unknown label source {source!r}; one of {', '.join(LABEL_SOURCES)}")
        out = []
        schemas: dict[int, tuple[str, LabelSchema]] = {}
        with self.db.session() as s:
            now = utcnow()
            for example_id, value in items:
                ex = _example(s, example_id)
                if ex.model_id not in schemas:
                    m = s.get(ModelDefinition, ex.model_id)
                    schemas[ex.model_id] = (m.name, _to_schema(m, m.schemas[-1], False))
                name, schema = schemas[ex.model_id]
                labels = schema.parse(value)
                ex.labelled, ex.labels = labels is not None, labels
                ex.label_source = source if labels is not None else None
                ex.annotator = annotator if labels is not None else None
                ex.labelled_at = now if labels is not None else None
                ex.updated_at = now
                s.add(
                    LabelEvent(example_id=ex.id, labels=labels, source=source, annotator=annotator)
                )
                out.append(_record(ex, name))
        return out

    def clear_label(self, example_id: int, *, annotator: str | None = None) -> ExampleRecord:
        return self.set_label(example_id, None, annotator=annotator)

    def label_history(self, example_id: int) -> list[dict[str, Any]]:
        with self.db.session() as s:
            evs = s.scalars(
                select(LabelEvent)
                .where(LabelEvent.example_id == example_id)
                .order_by(LabelEvent.id)
            )
            return [
                {
                    "labels": e.labels,
                    "source": e.source,
                    "annotator": e.annotator,
                    "at": e.created_at,
                }
                for e in evs
            ]

    # -- training data -----------------------------------------------------------------------------

    def training_data(
        self, model: str, *, label_sources: Sequence[str] | None = None
    ) -> tuple[list[str], list[Any]]:
        """``(texts, labels)`` of the labelled examples, in insertion order.

        Labels are names: ``str`` for single-label models, ``list[str]`` for multi-label ones
        (``[]`` meaning no label applies). ``label_sources`` keeps only labels from those sources
        (e.g. ``["manual", "argilla"]`` to leave out accepted auto-labels).
        """
        ts = self.training_set(model, label_sources=label_sources)
        return ts.texts, ts.labels

    def training_set(
        self, model: str, *, label_sources: Sequence[str] | None = None
    ) -> TrainingSet:
        """Labelled examples plus label names and the schema version (for :meth:`mark_trained`)."""
        with self.db.session() as s:
            row = _model(s, model)
            version = row.schemas[-1]
            schema = _to_schema(row, version, False)
            ts = TrainingSet(
                model=row.name,
                schema_version=version.version,
                multi_label=row.multi_label,
                label_names=schema.names,
                neutral=schema.neutral,
            )
            stmt = (
                select(Example.id, Example.text, Example.labels)
                .where(Example.model_id == row.id, Example.labelled.is_(True))
                .order_by(Example.id)
            )
            if label_sources is not None:
                stmt = stmt.where(Example.label_source.in_(list(label_sources)))
            for ex_id, text, labels in s.execute(stmt):
                labels = list(labels or [])
                if row.multi_label:
                    value: Any = labels
                elif len(labels) == 1:
                    value = labels[0]
                else:  # cannot happen through this API; skip rather than mislabel
                    continue
                ts.example_ids.append(ex_id)
                ts.texts.append(text)
                ts.labels.append(value)
            return ts

    def label_distribution(self, model: str) -> dict[str, int]:
        with self.db.session() as s:
            row = _model(s, model)
            schema = _to_schema(row, row.schemas[-1], False)
            return model_distribution(s, row.id, schema)[0]

    def stats(self, model: str) -> ModelStats:
        with self.db.session() as s:
            row = _model(s, model)
            frozen = _is_frozen(s, row)
            schema = _to_schema(row, row.schemas[-1], frozen)
            dist, total, unlabelled = model_distribution(s, row.id, schema)
            by_source = dict(
                s.execute(
                    select(Example.source, func.count())
                    .where(Example.model_id == row.id)
                    .group_by(Example.source)
                    .order_by(Example.source)
                ).all()
            )
            by_label_source = dict(
                s.execute(
                    select(Example.label_source, func.count())
                    .where(Example.model_id == row.id, Example.labelled.is_(True))
                    .group_by(Example.label_source)
                    .order_by(Example.label_source)
                ).all()
            )
            n_sug = s.scalar(
                select(func.count()).select_from(Suggestion).where(Suggestion.model_id == row.id)
            )
            n_sug_ex = s.scalar(
                select(func.count(func.distinct(Suggestion.example_id))).where(
                    Suggestion.model_id == row.id
                )
            )
            n_imports = s.scalar(
                select(func.count()).select_from(ImportBatch).where(ImportBatch.model_id == row.id)
            )
            return ModelStats(
                model=row.name,
                schema_version=schema.version,
                trained=frozen,
                examples=total,
                labelled=total - unlabelled,
                unlabelled=unlabelled,
                label_distribution=dist,
                by_source=by_source,
                by_label_source=by_label_source,
                suggestions=int(n_sug or 0),
                suggested_examples=int(n_sug_ex or 0),
                imports=int(n_imports or 0),
                warnings=balance_warnings(schema, dist) if total else [],
            )

    # -- auto-label suggestions --------------------------------------------------------------------

    def add_suggestion(
        self,
        example_id: int,
        labels: Any,
        *,
        agent: str,
        score: float | None = None,
        rationale: str | None = None,
        label_scores: dict[str, float] | None = None,
    ) -> int:
        """Store a machine suggestion (kept apart from the human label until accepted)."""
        return self.add_suggestions(
            [
                {
                    "example_id": example_id,
                    "labels": labels,
                    "score": score,
                    "rationale": rationale,
                    "label_scores": label_scores,
                }
            ],
            agent=agent,
        )[0]

    def add_suggestions(self, items: Iterable[dict[str, Any]], *, agent: str) -> list[int]:
        """Many suggestions from one agent: dicts with ``example_id``, ``labels`` (or ``label``),
        and optional ``score``, ``rationale``, ``label_scores``."""
        if not agent:
            raise ValueError("agent is required (e.g. 'llm:qwen2.5-1.5b' or 'zero-shot')")
        ids = []
        schemas: dict[int, LabelSchema] = {}
        with self.db.session() as s:
            objs = []
            for item in items:
                ex = _example(s, item["example_id"])
                if ex.model_id not in schemas:
                    m = s.get(ModelDefinition, ex.model_id)
                    schemas[ex.model_id] = _to_schema(m, m.schemas[-1], False)
                schema = schemas[ex.model_id]
                raw = item.get("labels", item.get("label"))
                labels = schema.parse(raw)
                if labels is None:
                    raise LabelError(f"suggestion for example {ex.id} has no label")
                scores = item.get("label_scores")
                if scores is not None:
                    scores = {schema.canonical(k): float(v) for k, v in scores.items()}
                score = item.get("score")
                sug = Suggestion(
                    model_id=ex.model_id,
                    example_id=ex.id,
                    labels=labels,
                    score=None if score is None else float(score),
                    label_scores=scores,
                    agent=agent,
                    rationale=item.get("rationale"),
                )
                s.add(sug)
                objs.append(sug)
            s.flush()
            ids = [o.id for o in objs]
        return ids

    def suggestions(
        self,
        model: str,
        *,
        example_id: int | None = None,
        agent: str | None = None,
        pending_only: bool = False,
    ) -> list[SuggestionRecord]:
        """Suggestions, oldest first; ``pending_only``: on examples without a human label."""
        with self.db.session() as s:
            row = _model(s, model)
            stmt = select(Suggestion).where(Suggestion.model_id == row.id).order_by(Suggestion.id)
            if example_id is not None:
                stmt = stmt.where(Suggestion.example_id == example_id)
            if agent is not None:
                stmt = stmt.where(Suggestion.agent == agent)
            if pending_only:
                stmt = stmt.join(Example, Example.id == Suggestion.example_id).where(
                    Example.labelled.is_(False)
                )
            return [
                SuggestionRecord(
                    id=g.id,
                    example_id=g.example_id,
                    labels=list(g.labels or []),
                    score=g.score,
                    agent=g.agent,
                    rationale=g.rationale,
                    label_scores=g.label_scores,
                    created_at=g.created_at,
                )
                for g in s.scalars(stmt)
            ]

    def accept_suggestion(
        self, suggestion_id: int, *, annotator: str | None = None
    ) -> ExampleRecord:
        """Make a suggestion the example's label (label source "autolabel")."""
        with self.db.session() as s:
            sug = s.get(Suggestion, suggestion_id)
            if sug is None:
                raise KeyError(f"no suggestion {suggestion_id}")
            example_id, labels = sug.example_id, list(sug.labels or [])
        return self.set_label(example_id, labels, source="autolabel", annotator=annotator)

    # -- internals ---------------------------------------------------------------------------------

    def _add_version(
        self,
        s: Session,
        model: ModelDefinition,
        specs: list[LabelSpec],
        neutral: str | None,
        note: str,
    ) -> LabelSchemaVersion:
        number = (model.schemas[-1].version + 1) if model.schemas else 1
        version = LabelSchemaVersion(model=model, version=number, neutral_label=neutral, note=note)
        for i, spec in enumerate(specs):
            version.labels.append(
                LabelDefinition(
                    position=i,
                    name=spec.name,
                    description=spec.description,
                    examples=list(spec.examples),
                )
            )
        s.add(version)
        s.flush()
        return version

    def _relabel_for_new_schema(
        self,
        s: Session,
        row: ModelDefinition,
        current: LabelSchema,
        names: list[str],
        rename: dict[str, str],
    ) -> None:
        keep = set(names)
        in_use: Counter[str] = Counter()
        changed = []
        for ex in s.scalars(
            select(Example).where(Example.model_id == row.id, Example.labelled.is_(True))
        ):
            new = [rename.get(n, n) for n in ex.labels or []]
            in_use.update(n for n in new if n not in keep)
            if new != list(ex.labels or []):
                changed.append((ex, new))
        for sug in s.scalars(select(Suggestion).where(Suggestion.model_id == row.id)):
            new = [rename.get(n, n) for n in sug.labels or []]
            if new != list(sug.labels or []):
                sug.labels = new
        if in_use:
            used = ", ".join(f"{n} ({c} examples)" for n, c in sorted(in_use.items()))
            raise SchemaError(
                f"labels still in use would disappear: {used}; map them with rename= "
                "or relabel those examples first"
            )
        order = {n: i for i, n in enumerate(names)}
        for ex, new in changed:
            ex.labels = sorted(set(new), key=order.__getitem__)
            ex.updated_at = utcnow()


# -- helpers ---------------------------------------------------------------------------------------


def _model(s: Session, name: str) -> ModelDefinition:
    row = s.scalar(select(ModelDefinition).where(ModelDefinition.name == name))
    if row is None:
        known = s.scalars(select(ModelDefinition.name).order_by(ModelDefinition.name)).all()
        raise UnknownModelError(
            f"no model {name!r}" + (f"; models: {', '.join(known)}" if known else "")
        )
    return row


def _model_name(s: Session, model_id: int) -> str:
    return s.scalar(select(ModelDefinition.name).where(ModelDefinition.id == model_id))


def _version(s: Session, row: ModelDefinition, version: int | None) -> LabelSchemaVersion:
    if version is None:
        return row.schemas[-1]
    for v in row.schemas:
        if v.version == version:
            return v
    raise SchemaError(
        f"model {row.name!r} has no label schema v{version} "
        f"(versions: {', '.join(str(v.version) for v in row.schemas)})"
    )


def _is_frozen(s: Session, row: ModelDefinition) -> bool:
    return any(v.trained_at is not None for v in row.schemas)


def _example(s: Session, example_id: int) -> Example:
    ex = s.get(Example, int(example_id))
    if ex is None:
        raise KeyError(f"no example {example_id}")
    return ex


def _to_schema(row: ModelDefinition, version: LabelSchemaVersion, frozen: bool) -> LabelSchema:
    return LabelSchema(
        model=row.name,
        version=version.version,
        multi_label=row.multi_label,
        labels=tuple(
            LabelSpec(lab.name, lab.description or "", tuple(lab.examples or ()))
            for lab in version.labels
        ),
        neutral=version.neutral_label,
        description=row.description or "",
        trained_at=version.trained_at,
        training_run=version.training_run,
        frozen=frozen or version.trained_at is not None,
    )


def _record(ex: Example, model: str) -> ExampleRecord:
    return ExampleRecord(
        id=ex.id,
        model=model,
        text=ex.text,
        labels=list(ex.labels or []) if ex.labelled else None,
        label_source=ex.label_source,
        annotator=ex.annotator,
        source=ex.source,
        source_ref=ex.source_ref,
        batch_id=ex.batch_id,
        meta=dict(ex.meta or {}),
        created_at=ex.created_at,
        updated_at=ex.updated_at,
    )


# -- module-level shortcuts (the settings' database) -----------------------------------------------


def mark_trained(
    model_name: str, schema_version: int, *, run_id: str | None = None, db: Any = None
) -> LabelSchema:
    """Freeze ``model_name``'s labels: it has been trained on ``schema_version``."""
    return ExampleStore(db).mark_trained(model_name, schema_version, run_id=run_id)


def create_model(name: str, labels: Any, *, db: Any = None, **kwargs: Any) -> LabelSchema:
    return ExampleStore(db).create_model(name, labels, **kwargs)


def get_schema(model_name: str, version: int | None = None, *, db: Any = None) -> LabelSchema:
    return ExampleStore(db).get_schema(model_name, version)


__all__ = [
    "LABEL_SOURCES",
    "DuplicateExampleError",
    "ExampleRecord",
    "ExampleStore",
    "FrozenLabelsError",
    "ModelInfo",
    "ModelStats",
    "SuggestionRecord",
    "TrainingSet",
    "coerce_labels",
    "create_model",
    "get_schema",
    "mark_trained",
]
