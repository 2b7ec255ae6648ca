"""The import engine: validate rows, merge duplicates, write one batch in one transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modlab.data import dedupe
from modlab.data.readers import RawRow, Source, _jsonable
from modlab.data.schemas import LabelError, LabelSchema, is_missing
from modlab.storage.models import utcnow
from modlab.storage.workbench import Example, ImportBatch, LabelEvent, ModelDefinition

MIN_PER_LABEL = 100  # fewer examples than this for a label: warn
MAX_IMBALANCE = 10.0  # largest / smallest label count above this: warn
PREVIEW_CHARS = 80
STORED_REPORT_ROWS = 1000  # rejected / duplicate rows kept in the batch's stored report


class ImportFailed(Exception):
    """A strict import found bad rows; nothing was written. ``report`` says which."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class RejectedRow:
    row: str | int
    reason: str
    text: str | None = None  # the start of the text, when there is one


@dataclass
class DuplicateRow:
    row: str | int
    kind: str  # "exact" or "near"
    duplicate_of: str  # "row 12" (same import) or "example 345" (already stored)
    similarity: float = 1.0
    label_conflict: bool = False  # both labelled, differently; the first label was kept
    text: str | None = None


@dataclass
class ImportReport:
    """What an import did. ``rows_read == added + rejected + duplicates``."""

    model: str
    schema_version: int
    source: str
    source_ref: str
    columns: dict[str, Any] = field(default_factory=dict)
    batch_id: str | None = None
    dry_run: bool = False
    rows_read: int = 0
    added: int = 0
    added_labelled: int = 0
    labels_filled: int = 0  # stored, unlabelled examples that got a label from this import
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)
    similar_kept: list[DuplicateRow] = field(default_factory=list)  # near dups, labels differ
    batch_distribution: dict[str, int] = field(default_factory=dict)
    label_distribution: dict[str, int] = field(default_factory=dict)
    total_examples: int = 0
    total_unlabelled: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)

    @property
    def exact_duplicates(self) -> int:
        return sum(d.kind == "exact" for d in self.duplicates)

    @property
    def near_duplicates(self) -> int:
        return sum(d.kind == "near" for d in self.duplicates)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_dict(self, max_rows: int | None = None) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if not isinstance(v, list | dict)}
        data.update(
            columns=dict(self.columns),
            batch_distribution=dict(self.batch_distribution),
            label_distribution=dict(self.label_distribution),
            warnings=list(self.warnings),
        )
        for key in ("rejected", "duplicates", "similar_kept"):
            rows = getattr(self, key)
            data[key] = [asdict(r) for r in (rows if max_rows is None else rows[:max_rows])]
        data.update(
            n_rejected=self.n_rejected,
            exact_duplicates=self.exact_duplicates,
            near_duplicates=self.near_duplicates,
        )
        return _jsonable(data)

    def rejected_frame(self):
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rejected], columns=["row", "reason", "text"])

    def duplicates_frame(self):
        import pandas as pd

        cols = ["row", "kind", "duplicate_of", "similarity", "label_conflict", "text"]
        return pd.DataFrame([asdict(d) for d in self.duplicates], columns=cols)

    def summary(self, max_rows: int = 10) -> str:
        """A readable report (no ids or times, so it is stable from run to run)."""
        cols = ", ".join(f"{k} {v!r}" for k, v in self.columns.items() if v is not None)
        lines = [
            f"Import into {self.model!r} (labels v{self.schema_version}) from {self.source} "
            f"{self.source_ref!r}" + (f" [{cols}]" if cols else ""),
        ]
        if self.dry_run:
            lines.append("DRY RUN: nothing was stored")
        unl = self.added - self.added_labelled
        lines += [
            f"  rows read         {self.rows_read:>7,}",
            f"  added             {self.added:>7,}  ({self.added_labelled:,} labelled, "
            f"{unl:,} unlabelled)",
            f"  rejected          {self.n_rejected:>7,}",
            f"  exact duplicates  {self.exact_duplicates:>7,}  (merged)",
            f"  near duplicates   {self.near_duplicates:>7,}  (merged)",
        ]
        if self.labels_filled:
            lines.append(f"  labels filled     {self.labels_filled:>7,}  (stored examples)")
        if self.similar_kept:
            lines.append(
                f"  similar, kept     {len(self.similar_kept):>7,}  (near duplicates labelled "
                "differently)"
            )
        if self.rejected:
            lines.append("Rejected rows:")
            for r in self.rejected[:max_rows]:
                lines.append(f"  row {r.row}: {r.reason}")
            if len(self.rejected) > max_rows:
                lines.append(f"  ... {len(self.rejected) - max_rows:,} more (rejected_frame())")
        if self.duplicates:
            lines.append("Duplicates merged:")
            for d in self.duplicates[:max_rows]:
                extra = f", similarity {d.similarity:.2f}" if d.kind == "near" else ""
                conflict = ", different label (first kept)" if d.label_conflict else ""
                lines.append(
                    f"  row {d.row}: {d.kind} duplicate of {d.duplicate_of}{extra}{conflict}"
                )
            if len(self.duplicates) > max_rows:
                lines.append(f"  ... {len(self.duplicates) - max_rows:,} more (duplicates_frame())")
        lines.append(
            f"Model now: {self.total_examples:,} examples, "
            f"{self.total_examples - self.total_unlabelled:,} labelled, "
            f"{self.total_unlabelled:,} unlabelled"
        )
        if self.label_distribution:
            lines.append("Label distribution (labelled examples):")
            width = max(len(k) for k in self.label_distribution)
            for k, v in self.label_distribution.items():
                lines.append(f"  {k:<{width}}  {v:>7,}")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class _Entry:
    ref: str  # "row 12" / "example 345"
    labels: list[str] | None
    example_id: int | None = None
    text: str | None = None
    raw_ref: str | int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    filled: bool = False  # labels came from this import
    sig: Any = None


def _preview(text: Any) -> str | None:
    if text is None or is_missing(text):
        return None
    s = str(text)
    try:  # show undecodable bytes as U+FFFD
        s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        s = s.encode("utf-8", "replace").decode("utf-8")
    return s if len(s) <= PREVIEW_CHARS else s[: PREVIEW_CHARS - 1] + "…"


def _clean_text(raw: Any) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, "bad encoding: not valid UTF-8"
    if is_missing(raw):
        return None, "empty text"
    if not isinstance(raw, str):
        if isinstance(raw, list | dict | tuple):
            return None, f"text is a {type(raw).__name__}, not a string"
        raw = str(_jsonable(raw))
    text = raw.strip()
    if not text:
        return None, "empty text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None, "bad encoding: bytes not valid in the file's encoding"
    if "\x00" in text:
        return None, "bad encoding: NUL characters (UTF-16 file? pass encoding=...)"
    return text, None


def distribution(schema: LabelSchema, label_lists: list[list[str]]) -> dict[str, int]:
    """Examples per label, in schema order; for multi-label models the neutral name counts the
    examples with no label."""
    counts: Counter[str] = Counter()
    for labels in label_lists:
        if labels:
            counts.update(labels)
        elif schema.multi_label:
            counts[schema.neutral or "(none)"] += 1
    out = {name: counts.get(name, 0) for name in schema.names}
    if schema.multi_label and (counts.get(schema.neutral or "(none)") or 0):
        out[schema.neutral or "(none)"] = counts[schema.neutral or "(none)"]
    return out


def balance_warnings(
    schema: LabelSchema, dist: dict[str, int], min_per_label: int = MIN_PER_LABEL
) -> list[str]:
    """Advice on too few examples per label and on skew between labels."""
    if not any(dist.get(n, 0) for n in schema.names):
        return ["no labelled examples yet: annotate (Argilla or auto-label) before training"]
    warnings = []
    counts = {n: dist.get(n, 0) for n in schema.names}
    few = [f"{n} ({c})" for n, c in counts.items() if c < min_per_label]
    if few:
        warnings.append(
            f"fewer than {min_per_label} examples for: {', '.join(few)}; "
            "add more for a reliable model"
        )
    largest, smallest = max(counts.values()), min(counts.values())
    if smallest == 0:
        empty = [n for n, c in counts.items() if c == 0]
        warnings.append(f"no examples at all for: {', '.join(empty)}")
    elif largest / smallest > MAX_IMBALANCE:
        big = max(counts, key=counts.__getitem__)
        small = min(counts, key=counts.__getitem__)
        warnings.append(
            f"labels are skewed: {big} has {largest / smallest:.1f}x as many examples as "
            f"{small} (> {MAX_IMBALANCE:g}x); balance them or expect the small label to suffer"
        )
    return warnings


def model_distribution(
    session: Session, model_id: int, schema: LabelSchema
) -> tuple[dict, int, int]:
    """(label distribution, total examples, unlabelled examples) of a model."""
    rows = session.execute(
        select(Example.labelled, Example.labels).where(Example.model_id == model_id)
    ).all()
    labelled = [list(labels or []) for is_l, labels in rows if is_l]
    return distribution(schema, labelled), len(rows), len(rows) - len(labelled)


def run_import(
    session: Session,
    model: ModelDefinition,
    schema: LabelSchema,
    source: Source,
    *,
    max_chars: int,
    label_sep: str | None = None,
    dedupe_near: bool = True,
    near_threshold: float = dedupe.DEFAULT_NEAR_THRESHOLD,
    strict: bool = False,
    dry_run: bool = False,
    annotator: str | None = None,
    options: dict[str, Any] | None = None,
) -> ImportReport:
    """Import ``source`` into ``model`` inside ``session``'s transaction (the caller commits)."""
    report = ImportReport(
        model=model.name,
        schema_version=schema.version,
        source=source.kind,
        source_ref=source.ref,
        columns={k: v for k, v in source.columns.items() if k in ("text", "label", "sheet")},
        dry_run=dry_run,
    )
    entries: dict[str, _Entry] = {}
    stored: list[tuple[_Entry, bytes | None]] = []
    for ex_id, text, h, is_l, labels, sig in session.execute(
        select(
            Example.id,
            Example.text,
            Example.text_hash,
            Example.labelled,
            Example.labels,
            Example.minhash,
        )
        .where(Example.model_id == model.id)
        .order_by(Example.id)
    ):
        entry = _Entry(f"example {ex_id}", list(labels or []) if is_l else None, ex_id, text)
        entries[h] = entry
        stored.append((entry, sig))

    # Pass 1: validate every row and merge exact duplicates.
    new: list[_Entry] = []
    for raw in source.rows:
        report.rows_read += 1
        _take_row(raw, schema, label_sep, max_chars, report, entries, new)

    # Pass 2: near duplicates (MinHash LSH, confirmed by exact shingle Jaccard).
    if dedupe_near and new:
        new = _merge_near(stored, new, near_threshold, report)

    if strict and report.rejected:
        raise ImportFailed(
            f"{report.n_rejected} of {report.rows_read} rows rejected; nothing was imported "
            "(strict import)",
            report,
        )

    # Write: one batch, its examples, label fills of stored examples, the label events.
    now = utcnow()
    batch = ImportBatch(
        model_id=model.id,
        source=source.kind,
        source_ref=source.ref[:500],
        options=_jsonable(options or {}),
    )
    session.add(batch)
    session.flush()
    missing_sigs = [e for e in new if e.sig is None]
    for e, sig in zip(
        missing_sigs,
        dedupe.signatures([dedupe.shingles(e.text or "") for e in missing_sigs]),
        strict=True,
    ):
        e.sig = sig
    rows = [
        {
            "model_id": model.id,
            "text": e.text,
            "text_hash": dedupe.text_hash(e.text or ""),
            "labelled": e.labels is not None,
            "labels": e.labels,
            "label_source": "import" if e.labels is not None else None,
            "annotator": annotator if e.labels is not None else None,
            "labelled_at": now if e.labels is not None else None,
            "batch_id": batch.id,
            "source": source.kind,
            "source_ref": f"{source.ref}:{e.raw_ref}"[:500],
            "meta": _jsonable(e.meta),
            "minhash": dedupe.to_bytes(e.sig),
            "created_at": now,
            "updated_at": now,
        }
        for e in new
    ]
    # Bulk INSERT (executemany / multi-row VALUES) with the new ids in parameter order.
    try:
        ids = (
            session.scalars(
                insert(Example).returning(Example.id, sort_by_parameter_order=True), rows
            ).all()
            if rows
            else []
        )
    except IntegrityError as exc:  # a concurrent import stored some of the same texts
        raise ImportFailed(
            "another import added some of these texts at the same time; nothing was imported "
            "(run it again)",
            report,
        ) from exc
    filled = [e for e in entries.values() if e.example_id is not None and e.filled]
    for e in filled:
        ex = session.get(Example, e.example_id)
        ex.labelled, ex.labels, ex.label_source = True, e.labels, "import"
        ex.annotator, ex.labelled_at, ex.updated_at = annotator, now, now
    events = [
        {"example_id": ex_id, "labels": e.labels}
        for ex_id, e in zip(ids, new, strict=True)
        if e.labels is not None
    ] + [{"example_id": e.example_id, "labels": e.labels} for e in filled]
    if events:
        session.execute(
            insert(LabelEvent),
            [dict(ev, source="import", annotator=annotator, created_at=now) for ev in events],
        )

    report.added = len(new)
    report.added_labelled = sum(e.labels is not None for e in new)
    report.labels_filled = len(filled)
    report.batch_distribution = distribution(
        schema, [e.labels for e in new if e.labels is not None]
    )
    session.flush()
    dist, total, unlabelled = model_distribution(session, model.id, schema)
    report.label_distribution, report.total_examples, report.total_unlabelled = (
        dist,
        total,
        unlabelled,
    )
    report.warnings = balance_warnings(schema, dist)
    conflicts = sum(d.label_conflict for d in report.duplicates)
    if conflicts:
        report.warnings.append(
            f"{conflicts} duplicate row(s) carried a different label than the text already "
            "had; the first label was kept (see duplicates_frame())"
        )
    if report.similar_kept:
        report.warnings.append(
            f"{len(report.similar_kept)} near-duplicate row(s) were kept because they are "
            "labelled differently from their look-alike; check they are not labelling mistakes"
        )
    if report.rows_read and report.n_rejected / report.rows_read > 0.2:
        report.warnings.append(
            f"{report.n_rejected / report.rows_read:.0%} of rows were rejected: check the column "
            "mapping, the delimiter and the encoding"
        )

    batch.rows_read, batch.added = report.rows_read, report.added
    batch.rejected, batch.duplicates = report.n_rejected, len(report.duplicates)
    if dry_run:
        session.rollback()
    else:
        report.batch_id = batch.id
        batch.report = report.to_dict(max_rows=STORED_REPORT_ROWS)
        session.flush()
    return report


def _take_row(
    raw: RawRow,
    schema: LabelSchema,
    label_sep: str | None,
    max_chars: int,
    report: ImportReport,
    entries: dict[str, _Entry],
    new: list[_Entry],
) -> None:
    if raw.error:
        report.rejected.append(RejectedRow(raw.ref, raw.error, _preview(raw.text)))
        return
    text, problem = _clean_text(raw.text)
    if problem:
        report.rejected.append(RejectedRow(raw.ref, problem, _preview(raw.text)))
        return
    assert text is not None
    if len(text) > max_chars:
        report.rejected.append(
            RejectedRow(
                raw.ref,
                f"text longer than {max_chars:,} characters ({len(text):,})",
                _preview(text),
            )
        )
        return
    try:
        labels = schema.parse(raw.label, label_sep)
    except LabelError as exc:
        report.rejected.append(RejectedRow(raw.ref, str(exc), _preview(text)))
        return
    h = dedupe.text_hash(text)
    target = entries.get(h)
    if target is not None:
        report.duplicates.append(_merge(target, labels, raw.ref, "exact", 1.0, text))
        return
    entry = _Entry(f"row {raw.ref}", labels, None, text, raw.ref, dict(raw.meta))
    entries[h] = entry
    new.append(entry)


def _merge(
    target: _Entry, labels: list[str] | None, ref: Any, kind: str, sim: float, text: str
) -> DuplicateRow:
    conflict = False
    if labels is not None:
        if target.labels is None:
            target.labels = labels
            target.filled = True
        elif target.labels != labels:
            conflict = True
    return DuplicateRow(ref, kind, target.ref, round(sim, 4), conflict, _preview(text))


def _merge_near(
    stored: list[tuple[_Entry, bytes | None]],
    new: list[_Entry],
    threshold: float,
    report: ImportReport,
) -> list[_Entry]:
    index = dedupe.NearDuplicateIndex(threshold)
    by_key: dict[Any, _Entry] = {}
    # Stored examples: use their saved signatures; compute the missing ones in one go.
    loaded = [(e, dedupe.from_bytes(raw)) for e, raw in stored]
    missing = [e for e, sig in loaded if sig is None]
    computed = dict(
        zip(
            (id(e) for e in missing),
            dedupe.signatures([dedupe.shingles(e.text or "") for e in missing]),
            strict=True,
        )
    )
    for e, sig in loaded:
        key = ("example", e.example_id)
        index.add(key, e.text or "", sig if sig is not None else computed[id(e)])
        by_key[key] = e
    shingle_sets = [dedupe.shingles(e.text or "") for e in new]
    sigs = dedupe.signatures(shingle_sets)
    kept: list[_Entry] = []
    for i, (e, sh, sig) in enumerate(zip(new, shingle_sets, sigs, strict=True)):
        e.sig = sig
        matches = index.matches(sh, sig)
        compatible = [
            (k, s)
            for k, s in matches
            if e.labels is None or by_key[k].labels is None or by_key[k].labels == e.labels
        ]
        if compatible:
            key, sim = compatible[0]
            report.duplicates.append(_merge(by_key[key], e.labels, e.raw_ref, "near", sim, e.text))
            continue
        if matches:
            key, sim = matches[0]
            report.similar_kept.append(
                DuplicateRow(
                    e.raw_ref, "near", by_key[key].ref, round(sim, 4), True, _preview(e.text)
                )
            )
        key = ("row", i)
        index.add(key, e.text or "", sig)
        by_key[key] = e
        kept.append(e)
    return kept
