"""``modlab models ...`` and ``modlab data ...``: custom model definitions and their examples.

Mount into the main CLI with::

    from modlab.data.cli import data_app, models_app
    app.add_typer(models_app, name="models")
    app.add_typer(data_app, name="data")
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from modlab.data.readers import ImportSetupError
from modlab.data.schemas import LabelError, SchemaError, UnknownModelError

models_app = typer.Typer(
    help="Define custom classifiers: their type and labels.", no_args_is_help=True
)
data_app = typer.Typer(help="Import and inspect a model's training examples.", no_args_is_help=True)

_ERRORS = (SchemaError, LabelError, ImportSetupError, UnknownModelError, KeyError, ValueError)


def _store(database: str | None):
    from modlab.data.store import ExampleStore

    return ExampleStore(database)


def _fail(exc: BaseException) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


DatabaseOpt = typer.Option(
    None, "--database", envvar="MODLAB_DATABASE_URL", help="Database URL (default: settings)."
)


def parse_label_options(values: list[str]) -> list[dict[str, str]]:
    """``--labels`` values: ``NAME=description`` each, or comma-separated plain names."""
    out: list[dict[str, str]] = []
    for value in values:
        if "=" in value:
            name, _, desc = value.partition("=")
            out.append({"name": name.strip(), "description": desc.strip()})
        else:
            out += [{"name": n.strip()} for n in value.split(",") if n.strip()]
    return out


@models_app.command("create")
def models_create(
    name: str = typer.Argument(..., help="Model id (lower-case, digits, '-' or '_')."),
    labels: list[str] = typer.Option(
        ...,
        "--labels",
        "-l",
        help="Labels: 'A,B,C' or repeat '-l NAME=description'. Order gives label indices 0,1,2...",
    ),
    multi_label: bool = typer.Option(False, "--multi-label", help="Any number of labels per text."),
    neutral: str = typer.Option(
        "NEUTRAL",
        "--neutral",
        help="Label meaning 'nothing to flag' (added last if not among the labels).",
    ),
    no_neutral: bool = typer.Option(
        False, "--no-neutral", help="A single-label model without one."
    ),
    description: str = typer.Option("", "--description", "-d"),
    database: str | None = DatabaseOpt,
) -> None:
    """Create a model with its labels."""
    try:
        schema = _store(database).create_model(
            name,
            parse_label_options(labels),
            multi_label=multi_label,
            neutral=None if no_neutral else neutral,
            description=description,
        )
    except _ERRORS as exc:
        _fail(exc)
    typer.echo(f"created {schema.type} model {name!r} (labels v{schema.version}):")
    _echo_labels(schema)


@models_app.command("list")
def models_list(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    database: str | None = DatabaseOpt,
) -> None:
    """List the models with their labels and example counts."""
    infos = _store(database).list_models()
    if as_json:
        rows = [
            {
                "name": m.name,
                "type": m.type,
                "labels": m.labels,
                "neutral": m.neutral,
                "schema_version": m.schema_version,
                "trained": m.trained,
                "examples": m.examples,
                "labelled": m.labelled,
            }
            for m in infos
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not infos:
        typer.echo("no models yet: modlab models create NAME --labels A,B")
        return
    for m in infos:
        trained = ", trained" if m.trained else ""
        typer.echo(
            f"{m.name}  {m.type}  v{m.schema_version}{trained}  labels: {', '.join(m.labels)}  "
            f"examples: {m.examples} ({m.labelled} labelled)"
        )


@models_app.command("show")
def models_show(name: str, database: str | None = DatabaseOpt) -> None:
    """Show a model's labels and their descriptions."""
    try:
        schema = _store(database).get_schema(name)
    except _ERRORS as exc:
        _fail(exc)
    state = "trained (labels frozen)" if schema.frozen else "not trained"
    typer.echo(f"{name}: {schema.type}, labels v{schema.version}, {state}")
    _echo_labels(schema)


def _echo_labels(schema) -> None:
    for i, spec in enumerate(schema.labels):
        tag = "  (neutral)" if spec.name == schema.neutral else ""
        desc = f": {spec.description}" if spec.description else ""
        typer.echo(f"  {i}  {spec.name}{tag}{desc}")
    if schema.multi_label and schema.neutral:
        typer.echo(f"  '{schema.neutral}' (or an empty list) in imports = no label applies")


@data_app.command("import")
def data_import(
    model: str = typer.Argument(..., help="The model the examples are for."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".csv .tsv .xlsx .jsonl"),
    text_col: str | None = typer.Option(None, "--text-col", help="Text column (name or 0-based)."),
    label_col: str | None = typer.Option(
        None, "--label-col", help="Label column: indices 0,1,2... or names; empty = unlabelled."
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet (default: the first)."),
    no_header: bool = typer.Option(False, "--no-header", help="The file has no header row."),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="CSV delimiter (default: guess)."
    ),
    encoding: str = typer.Option("utf-8", "--encoding"),
    label_sep: str | None = typer.Option(
        None, "--label-sep", help="Multi-label separator (default: any of , ; |)."
    ),
    no_near_dedupe: bool = typer.Option(False, "--no-near-dedupe", help="Merge exact dups only."),
    near_threshold: float = typer.Option(0.8, "--near-threshold", help="MinHash Jaccard cut-off."),
    strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is rejected."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; store nothing."),
    all_rows: bool = typer.Option(False, "--all", help="List every rejected/duplicate row."),
    database: str | None = DatabaseOpt,
) -> None:
    """Import a CSV, TSV, Excel or JSON-lines file into MODEL's example store."""
    from modlab.data.importer import ImportFailed

    store = _store(database)
    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    try:
        report = store.import_file(
            model,
            file,
            text_col,
            label_col,
            sheet=sheet_arg,
            header=not no_header,
            delimiter=delimiter,
            encoding=encoding,
            label_sep=label_sep,
            dedupe_near=not no_near_dedupe,
            near_threshold=near_threshold,
            strict=strict,
            dry_run=dry_run,
        )
    except ImportFailed as exc:
        typer.echo(exc.report.summary(max_rows=10**9 if all_rows else 20))
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except _ERRORS as exc:
        _fail(exc)
    typer.echo(report.summary(max_rows=10**9 if all_rows else 20))


@data_app.command("import-requests")
def data_import_requests(
    model: str = typer.Argument(...),
    project: list[str] = typer.Option(None, "--project", "-p", help="Project id or name (repeat)."),
    since: str | None = typer.Option(None, "--since", help="ISO time, inclusive."),
    until: str | None = typer.Option(None, "--until", help="ISO time, exclusive."),
    flagged: bool | None = typer.Option(None, "--flagged/--not-flagged", help="Default: both."),
    limit: int | None = typer.Option(None, "--limit"),
    masked: bool = typer.Option(
        False, "--masked", help="Import the masked text, not the original."
    ),
    dry_run: bool = typer.Option(False, "--dry-run"),
    database: str | None = DatabaseOpt,
) -> None:
    """Import previously moderated texts from the request log (unlabelled)."""
    try:
        report = _store(database).import_requests(
            model,
            project=project or None,
            since=since,
            until=until,
            flagged=flagged,
            limit=limit,
            text_field="content" if masked else "value",
            dry_run=dry_run,
        )
    except _ERRORS as exc:
        _fail(exc)
    typer.echo(report.summary())


@data_app.command("add")
def data_add(
    model: str,
    text: str,
    label: list[str] = typer.Option(None, "--label", "-l", help="Label name or index (repeat)."),
    annotator: str | None = typer.Option(None, "--annotator"),
    database: str | None = DatabaseOpt,
) -> None:
    """Add one example by hand (unlabelled unless --label is given)."""
    from modlab.data.store import DuplicateExampleError

    value = None if not label else (label[0] if len(label) == 1 else label)
    try:
        ex_id = _store(database).add_example(model, text, value, annotator=annotator)
    except DuplicateExampleError as exc:
        _fail(exc)
    except _ERRORS as exc:
        _fail(exc)
    typer.echo(f"added example {ex_id}")


@data_app.command("label")
def data_label(
    example_id: int,
    label: list[str] = typer.Argument(..., help="Label name(s) or index(es); 'none' clears."),
    annotator: str | None = typer.Option(None, "--annotator"),
    database: str | None = DatabaseOpt,
) -> None:
    """Set (or with 'none', clear) the human label of an example."""
    value = (
        None if [v.lower() for v in label] == ["none"] else (label[0] if len(label) == 1 else label)
    )
    try:
        ex = _store(database).set_label(example_id, value, source="manual", annotator=annotator)
    except _ERRORS as exc:
        _fail(exc)
    shown = "unlabelled" if ex.labels is None else (", ".join(ex.labels) or "(no label)")
    typer.echo(f"example {ex.id}: {shown}")


@data_app.command("stats")
def data_stats(
    model: str,
    as_json: bool = typer.Option(False, "--json"),
    database: str | None = DatabaseOpt,
) -> None:
    """Examples, labels per class, sources and balance warnings of MODEL."""
    try:
        stats = _store(database).stats(model)
    except _ERRORS as exc:
        _fail(exc)
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(stats), indent=2, default=str))
    else:
        typer.echo(stats.summary())


def register(app: typer.Typer) -> None:
    """Mount both sub-apps on the main CLI."""
    app.add_typer(models_app, name="models")
    app.add_typer(data_app, name="data")


# A stand-alone app for trying the commands before the main CLI mounts them.
app = typer.Typer(no_args_is_help=True)
register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
