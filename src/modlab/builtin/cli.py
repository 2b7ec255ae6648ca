"""``modlab models build-builtin`` / ``list-builtin``: the built-in analyzers.

Mount into the main CLI (merged with the custom-model commands) with::

    from modlab.builtin.cli import builtin_app
    app.add_typer(builtin_app, name="models")   # or register its commands on models_app
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

builtin_app = typer.Typer(
    help="Build and list the analyzers that ship with modlab.", no_args_is_help=True
)


@builtin_app.command("build-builtin")
def build_builtin_cmd(
    name: Annotated[
        str | None,
        typer.Argument(help="toxicity, quality, propriety, nsfw, sentiment, openai, sightengine"),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="build every buildable analyzer")] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="small subset and model (seconds; smoke tests)")
    ] = False,
    trainer: Annotated[
        str | None,
        typer.Option(
            help="linear, hybrid, embedding, ensemble or transformer (default: per analyzer)"
        ),
    ] = None,
    missing_only: Annotated[
        bool, typer.Option("--missing-only", help="with --all: skip analyzers already built")
    ] = False,
    no_log: Annotated[bool, typer.Option("--no-log", help="skip MLflow logging/registry")] = False,
) -> None:
    """Train a built-in analyzer with the workbench, register it in MLflow and install it."""
    from modlab.builtin.build import build_builtin, build_info, data_macro_f1
    from modlab.builtin.datasets import BUILDABLE

    if all_ == (name is not None):
        typer.secho("error: give one NAME or --all", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    names = list(BUILDABLE) if all_ else [name]
    for n in names:
        if all_ and missing_only and build_info(n) is not None:
            typer.echo(f"{n}: already built, skipped")
            continue
        typer.echo(f"{n}: building{' (quick)' if quick else ''} ...")
        try:
            path = build_builtin(n, trainer=trainer, quick=quick, log=not no_log)
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None
        info = build_info(n) or {}
        f1 = data_macro_f1(info) or float("nan")
        ece = info.get("metrics", {}).get("ece", float("nan"))
        version = info.get("version")
        typer.echo(
            f"{n}: {path}  trainer {info.get('trainer')}  "
            f"macro-F1 {f1:.3f}  ECE {ece:.3f}"
            f"  {info.get('build_seconds')} s"
            + (f"  registered {info.get('registered_model')} v{version}" if version else "")
        )


@builtin_app.command("list-builtin")
def list_builtin_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every built-in analyzer: built or not, version, trainer and test metrics."""
    from modlab.builtin.build import builtin_status

    rows = builtin_status()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        if r["built"]:
            f1 = r.get("macro_f1")
            ece = r.get("ece")
            typer.echo(
                f"{r['name']:<12} built    v{r.get('version') or '-':<4} {r.get('trainer'):<12}"
                f"macro-F1 {f1 if f1 is None else round(f1, 3)}  ECE "
                f"{ece if ece is None else round(ece, 3)}"
                + ("  (quick build)" if r.get("quick") else "")
                + (
                    f"  no data: {', '.join(r['no_data_labels'])}"
                    if r.get("no_data_labels")
                    else ""
                )
            )
        elif r["buildable"]:
            typer.echo(f"{r['name']:<12} not built  (modlab models build-builtin {r['name']})")
        else:
            typer.echo(f"{r['name']:<12} not built  ({r.get('note')})")
