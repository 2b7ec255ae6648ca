"""Readers that turn each import source into rows of (reference, text, raw label, metadata).

Readers do no validation beyond what only they can see (a malformed CSV line, a byte sequence
that is not valid in the file's encoding, a line that is not JSON): those rows carry an ``error``.
Everything else (empty or long text, unknown labels, duplicates) is judged by the importer.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Column = str | int

TEXT_COLUMN_GUESSES = ("text", "content", "value", "message", "comment", "body", "sentence")
CSV_DELIMITERS = (",", ";", "\t", "|")


class ImportSetupError(ValueError):
    """The import cannot start (missing file, unknown column, unsupported format)."""


@dataclass
class RawRow:
    ref: str | int  # where the row came from: line/row number, index label, request id
    text: Any = None
    label: Any = None
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Source:
    """Rows plus what the report should say about where they came from."""

    kind: str  # csv, excel, jsonl, dataframe, dataset, records, requests
    ref: str
    rows: Iterator[RawRow]
    columns: dict[str, Any] = field(default_factory=dict)


def _resolve(
    header: Sequence[str] | None, col: Column | None, what: str, n_cols: int | None = None
) -> int | None:
    """Position of column ``col`` (a header name, case-insensitive, or a 0-based position)."""
    if col is None:
        return None
    if header is not None and isinstance(col, str):
        names = [str(h).strip() for h in header]
        if col in names:
            return names.index(col)
        folded = [n.casefold() for n in names]
        if col.strip().casefold() in folded:
            return folded.index(col.strip().casefold())
    if isinstance(col, int) or (isinstance(col, str) and col.strip().isdigit()):
        pos = int(col)
        width = len(header) if header is not None else n_cols
        if width is not None and not 0 <= pos < width:
            raise ImportSetupError(f"{what} column {pos} out of range (the file has {width})")
        return pos
    known = ", ".join(repr(str(h)) for h in header) if header is not None else "none (no header)"
    raise ImportSetupError(f"no {what} column {col!r}; columns: {known}")


def _guess_text(header: Sequence[str] | None) -> int:
    if header is None:
        raise ImportSetupError("text_col is required for a file without a header row")
    folded = [str(h).strip().casefold() for h in header]
    for guess in TEXT_COLUMN_GUESSES:
        if guess in folded:
            return folded.index(guess)
    if len(folded) == 1:
        return 0
    raise ImportSetupError(
        f"which column holds the text? pass text_col (columns: {', '.join(map(str, header))})"
    )


def _meta_positions(
    header: Sequence[str] | None, meta_cols: Sequence[Column] | None
) -> list[tuple[str, int]]:
    out = []
    for col in meta_cols or ():
        pos = _resolve(header, col, "metadata")
        assert pos is not None
        name = str(header[pos]) if header is not None else f"col{pos}"
        out.append((name, pos))
    return out


# -- CSV / TSV ---------------------------------------------------------------------------------


def read_csv(
    path: str | Path,
    text_col: Column | None = None,
    label_col: Column | None = None,
    *,
    header: bool = True,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    meta_cols: Sequence[Column] | None = None,
) -> Source:
    """CSV (or TSV: ``.tsv``/``.tab`` files are read tab-separated, unquoted).

    Bytes that are not valid in ``encoding`` do not abort the import: the rows holding them
    are rejected with the reason "bad encoding".
    """
    path = Path(path)
    if not path.is_file():
        raise ImportSetupError(f"no such file: {path}")
    enc = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    tsv = path.suffix.lower() in (".tsv", ".tab")
    with path.open("rb") as fh:
        first = fh.readline().decode(enc, errors="replace")
    if delimiter is None:
        delimiter = "\t" if tsv else _sniff_delimiter(first)
    quoting = csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL

    fh = path.open("r", encoding=enc, errors="surrogateescape", newline="")
    reader = csv.reader(fh, delimiter=delimiter, quoting=quoting)
    head: list[str] | None = None
    if header:
        try:
            head = next(reader)
        except StopIteration:
            fh.close()
            raise ImportSetupError(f"{path.name} is empty") from None
        except csv.Error as exc:
            fh.close()
            raise ImportSetupError(f"cannot read the header of {path.name}: {exc}") from exc
        head = [h.strip() for h in head]
    try:
        t = _guess_text(head) if text_col is None else _resolve(head, text_col, "text")
        lab = _resolve(head, label_col, "label")
        metas = _meta_positions(head, meta_cols)
    except ImportSetupError:
        fh.close()
        raise
    width = len(head) if head is not None else None

    def rows() -> Iterator[RawRow]:
        nonlocal width
        last_line = reader.line_num
        try:
            while True:
                start = last_line + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    last_line = reader.line_num
                    yield RawRow(start, error=f"malformed row: {exc}")
                    continue
                last_line = reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip() and width != 1):
                    continue  # blank line
                if width is None:
                    width = len(fields)
                needed = max(p for p in (t, lab, *(p for _, p in metas)) if p is not None) + 1
                if len(fields) != width or len(fields) < needed:
                    yield RawRow(
                        start,
                        text=fields[t] if t is not None and t < len(fields) else None,
                        error=f"malformed row: {_fields(len(fields))}, expected {width}",
                    )
                    continue
                meta = {name: fields[p] for name, p in metas}
                label = fields[lab] if lab is not None else None
                yield RawRow(start, fields[t], label, meta)
        finally:
            fh.close()

    columns = {
        "text": head[t] if head is not None and t is not None else t,
        "label": (head[lab] if head is not None else lab) if lab is not None else None,
        "delimiter": delimiter,
    }
    return Source("csv", path.name, rows(), columns)


def _fields(n: int) -> str:
    return "1 field" if n == 1 else f"{n} fields"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


# -- Excel -------------------------------------------------------------------------------------


def read_excel(
    path: str | Path,
    text_col: Column | None = None,
    label_col: Column | None = None,
    *,
    sheet: str | int | None = None,
    header: bool = True,
    meta_cols: Sequence[Column] | None = None,
) -> Source:
    """An ``.xlsx`` workbook (first sheet unless ``sheet`` names or numbers another)."""
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise ImportSetupError(f"no such file: {path}")
    if path.suffix.lower() == ".xls":
        raise ImportSetupError("old .xls workbooks are not supported; save as .xlsx or CSV")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types
        raise ImportSetupError(f"cannot open {path.name} as an Excel workbook: {exc}") from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            ws = wb[sheet]
    except (IndexError, KeyError):
        wb.close()
        raise ImportSetupError(f"no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}") from None

    it = ws.iter_rows(values_only=True)
    head: list[str] | None = None
    first_row = 1
    if header:
        try:
            head = ["" if v is None else str(v).strip() for v in next(it)]
        except StopIteration:
            wb.close()
            raise ImportSetupError(f"sheet {ws.title!r} is empty") from None
        while head and head[-1] == "":
            head.pop()
        first_row = 2
    try:
        t = _guess_text(head) if text_col is None else _resolve(head, text_col, "text")
        lab = _resolve(head, label_col, "label")
        metas = _meta_positions(head, meta_cols)
    except ImportSetupError:
        wb.close()
        raise

    def rows() -> Iterator[RawRow]:
        try:
            for n, values in enumerate(it, start=first_row):
                if values is None or all(v is None or str(v).strip() == "" for v in values):
                    continue

                def cell(p: int, values: tuple = values) -> Any:
                    return values[p] if p < len(values) else None

                meta = {name: _jsonable(cell(p)) for name, p in metas}
                yield RawRow(n, cell(t), cell(lab) if lab is not None else None, meta)
        finally:
            wb.close()

    columns = {
        "text": head[t] if head is not None and t is not None else t,
        "label": (head[lab] if head is not None else lab) if lab is not None else None,
        "sheet": ws.title,
    }
    return Source("excel", path.name, rows(), columns)


# -- JSON lines ----------------------------------------------------------------------------------


def read_jsonl(
    path: str | Path,
    text_col: str = "text",
    label_col: str | None = None,
    *,
    meta_cols: Sequence[str] | None = None,
) -> Source:
    """One JSON object per line (a bare JSON string is taken as an unlabelled text)."""
    path = Path(path)
    if not path.is_file():
        raise ImportSetupError(f"no such file: {path}")

    def rows() -> Iterator[RawRow]:
        with path.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield RawRow(n, error="bad encoding: not valid UTF-8")
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield RawRow(n, error=f"malformed JSON: {exc.msg} (column {exc.colno})")
                    continue
                if isinstance(obj, str):
                    yield RawRow(n, obj)
                    continue
                if not isinstance(obj, dict):
                    yield RawRow(n, error="malformed row: not a JSON object")
                    continue
                meta = {c: obj.get(c) for c in meta_cols or ()}
                yield RawRow(n, obj.get(text_col), obj.get(label_col) if label_col else None, meta)

    return Source("jsonl", path.name, rows(), {"text": text_col, "label": label_col})


# -- in-memory tables --------------------------------------------------------------------------


def read_dataframe(
    df: Any,
    text_col: Column = "text",
    label_col: Column | None = None,
    *,
    meta_cols: Sequence[Column] | None = None,
    name: str = "dataframe",
) -> Source:
    """A pandas DataFrame; rows are referred to by their index label."""
    head = [str(c) for c in df.columns]
    t = _resolve(head, text_col, "text")
    lab = _resolve(head, label_col, "label")
    metas = _meta_positions(head, meta_cols)
    assert t is not None

    def rows() -> Iterator[RawRow]:
        for idx, values in zip(df.index, df.itertuples(index=False, name=None), strict=True):
            meta = {n: _jsonable(values[p]) for n, p in metas}
            label = values[lab] if lab is not None else None
            yield RawRow(_jsonable(idx), values[t], label, meta)

    columns = {"text": head[t], "label": head[lab] if lab is not None else None}
    return Source("dataframe", name, rows(), columns)


def read_dataset(
    ds: Any,
    text_col: str = "text",
    label_col: str | None = None,
    *,
    meta_cols: Sequence[str] | None = None,
    name: str | None = None,
) -> Source:
    """A 🤗 ``datasets.Dataset``. ``ClassLabel`` label columns are read by label *name*, so the
    dataset's class order need not match the model's."""
    cols = list(ds.column_names)
    wanted = [(text_col, "text"), (label_col, "label")]
    wanted += [(c, "metadata") for c in meta_cols or ()]
    for col, what in wanted:
        if col is not None and col not in cols:
            raise ImportSetupError(f"no {what} column {col!r}; columns: {', '.join(cols)}")
    names: list[str] | None = None
    if label_col is not None:
        feature = ds.features[label_col]
        inner = getattr(feature, "feature", None)  # Sequence(ClassLabel)
        for f in (feature, inner):
            if f is not None and type(f).__name__ == "ClassLabel":
                names = list(f.names)
        if isinstance(feature, list) and feature and type(feature[0]).__name__ == "ClassLabel":
            names = list(feature[0].names)

    def to_name(v: Any) -> Any:
        if names is None or v is None:
            return v
        if isinstance(v, list | tuple):
            return [to_name(x) for x in v]
        if isinstance(v, int) and not isinstance(v, bool):
            return names[v] if 0 <= v < len(names) else v
        return v

    def rows() -> Iterator[RawRow]:
        for i, rec in enumerate(ds):
            meta = {c: _jsonable(rec.get(c)) for c in meta_cols or ()}
            label = to_name(rec.get(label_col)) if label_col else None
            yield RawRow(i, rec.get(text_col), label, meta)

    ref = name or getattr(getattr(ds, "info", None), "dataset_name", None) or "dataset"
    return Source(
        "dataset", str(ref), rows(), {"text": text_col, "label": label_col, "class_names": names}
    )


def read_records(
    records: Sequence[Any],
    text_col: str = "text",
    label_col: str | None = "label",
    *,
    meta_cols: Sequence[str] | None = None,
    name: str = "records",
) -> Source:
    """Plain Python rows: strings, ``(text, label)`` pairs or dicts."""

    def rows() -> Iterator[RawRow]:
        for i, rec in enumerate(records):
            if isinstance(rec, str):
                yield RawRow(i, rec)
            elif isinstance(rec, tuple | list):
                yield RawRow(i, rec[0] if rec else None, rec[1] if len(rec) > 1 else None)
            elif isinstance(rec, dict):
                meta = {c: _jsonable(rec.get(c)) for c in meta_cols or ()}
                yield RawRow(i, rec.get(text_col), rec.get(label_col) if label_col else None, meta)
            else:
                yield RawRow(i, error=f"malformed row: {type(rec).__name__}")

    return Source("records", name, rows(), {"text": text_col, "label": label_col})


# -- the service's request log -----------------------------------------------------------------


def to_ms(value: datetime | int | float | str | None) -> int | None:
    """Milliseconds since the epoch from a datetime, an ISO string or a number (s or ms)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)
    if isinstance(value, int | float):
        return int(value if value > 10**11 else value * 1000)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return to_ms(int(text))
    try:
        return to_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ImportSetupError(f"cannot read the time {value!r} (use ISO 8601)") from None


def read_requests(
    session: Any,
    *,
    project: str | Sequence[str] | None = None,
    since: Any = None,
    until: Any = None,
    flagged: bool | None = None,
    limit: int | None = None,
    text_field: str = "value",
) -> Source:
    """Stored moderation requests (``requests`` table), oldest first.

    ``project``: a project id or name, or a list of them (``None`` = every project). ``since`` is
    inclusive, ``until`` exclusive. ``text_field``: ``"value"`` (the text as sent) or
    ``"content"`` (after masking of personal data).
    """
    from sqlalchemy import or_, select

    from modlab.storage.models import Project, RequestLog

    if text_field not in ("value", "content"):
        raise ImportSetupError("text_field must be 'value' or 'content'")
    stmt = select(RequestLog).order_by(RequestLog.timestamp, RequestLog.id)
    project_ids: list[str] | None = None
    project_names: list[str] = []
    if project is not None:
        wanted = [project] if isinstance(project, str) else list(project)
        found = session.execute(
            select(Project.id, Project.name).where(
                or_(Project.id.in_(wanted), Project.name.in_(wanted))
            )
        ).all()
        known = {pid for pid, _ in found} | {pname for _, pname in found}
        missing = [w for w in wanted if w not in known]
        if missing:
            raise ImportSetupError(f"unknown project(s): {', '.join(missing)}")
        project_ids = sorted({pid for pid, _ in found})
        project_names = sorted({pname for _, pname in found})
        stmt = stmt.where(RequestLog.project_id.in_(project_ids))
    lo, hi = to_ms(since), to_ms(until)
    if lo is not None:
        stmt = stmt.where(RequestLog.timestamp >= lo)
    if hi is not None:
        stmt = stmt.where(RequestLog.timestamp < hi)
    if flagged is not None:
        stmt = stmt.where(RequestLog.flagged.is_(flagged))
    if limit is not None:
        stmt = stmt.limit(limit)

    def rows() -> Iterator[RawRow]:
        for req in session.execute(stmt).scalars():
            meta = {
                "request_id": req.id,
                "project_id": req.project_id,
                "timestamp": req.timestamp,
                "flagged": req.flagged,
                "predicted_label": req.label,
                "predicted_score": req.score,
                "language": req.language,
                "author_id": req.author_id,
                "context_id": req.context_id,
            }
            yield RawRow(req.id, getattr(req, text_field), None, meta)

    ref = ",".join(project_names) if project_names else "all projects"
    filters = {"project": project_ids, "since": lo, "until": hi, "flagged": flagged}
    return Source("requests", ref, rows(), {"text": text_field, "filters": filters})


def _jsonable(value: Any) -> Any:
    """A value safe to put in a JSON column."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        try:
            return _jsonable(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


__all__ = [
    "ImportSetupError",
    "RawRow",
    "Source",
    "read_csv",
    "read_dataframe",
    "read_dataset",
    "read_excel",
    "read_jsonl",
    "read_records",
    "read_requests",
    "to_ms",
]
