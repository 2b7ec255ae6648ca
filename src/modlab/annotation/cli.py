"""``modlab argilla up|down|status|install``.

Mount with ``app.add_typer(argilla_app, name="argilla")``.
"""

from __future__ import annotations

import json

import typer

argilla_app = typer.Typer(help="The local Argilla annotation stack (see docs/argilla.md).")


def _print(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


@argilla_app.command("up")
def up_cmd(
    timeout: float = typer.Option(240.0, help="Seconds to wait for each component."),
) -> None:
    """Install what is missing, start engine, redis, server and worker, wait until ready."""
    from modlab.annotation.argilla_stack import ArgillaStackError, up

    try:
        result = up(timeout=timeout)
    except ArgillaStackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    _print(result)


@argilla_app.command("down")
def down_cmd() -> None:
    """Stop worker, server, redis and engine (data is kept)."""
    from modlab.annotation.argilla_stack import down

    _print(down())


@argilla_app.command("status")
def status_cmd() -> None:
    """Show each component's pid and whether the API answers; exit 1 when not ready."""
    from modlab.annotation.argilla_stack import status

    result = status()
    _print(result)
    if not result["ready"]:
        raise typer.Exit(1)


@argilla_app.command("install")
def install_cmd() -> None:
    """Only install the Argilla venv and redis-server (idempotent)."""
    from modlab.annotation.argilla_stack import install

    _print(install())


__all__ = ["argilla_app"]
