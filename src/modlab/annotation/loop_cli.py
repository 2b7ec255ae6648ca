"""``modlab annotate push|pull``: the annotation loop between the example store and Argilla.

Mount with ``app.add_typer(annotate_app, name="annotate")``.
"""

from __future__ import annotations

import json
from typing import Any

import typer

annotate_app = typer.Typer(help="Send examples to Argilla for annotation and pull labels back.")

SUGGESTERS = ("auto", "none", "similarity", "llama_cpp", "openai")


def _suggester(name: str) -> Any:
    key = name.strip().lower()
    if key == "auto":
        return None
    if key == "none":
        return False
    from modlab.annotation.autolabel import get_backend

    return get_backend(key)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@annotate_app.command("push")
def push_cmd(
    model: str = typer.Argument(..., help="The custom model whose examples to annotate."),
    dataset: str | None = typer.Option(None, help="Argilla dataset (default: the model name)."),
    limit: int = typer.Option(100, "--limit", "-n", help="How many examples to send."),
    strategy: str = typer.Option(
        "uncertain", help="uncertain (model's least sure first), unlabelled (in order) or random."
    ),
    suggest: str = typer.Option(
        "auto",
        help="Who suggests labels: auto (the trained champion, else stored suggestions), "
        "none, or an auto-labeller backend (similarity, llama_cpp, openai).",
    ),
    vectors: bool = typer.Option(True, help="Add embeddings for 'find similar' in the UI."),
    annotator: list[str] = typer.Option(
        [], "--annotator", "-a", help="Annotator username (repeat); created if missing."
    ),
    min_submitted: int = typer.Option(1, help="Answers that complete a record."),
    workspace: str = typer.Option("modlab", help="Argilla workspace."),
    seed: int | None = typer.Option(None, help="Seed for --strategy random."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Push unlabelled examples (with suggestions, metadata and vectors) to Argilla."""
    from modlab.annotation.loop import STRATEGIES, push_for_annotation
    from modlab.data import ExampleStore

    if strategy not in STRATEGIES:
        raise _fail(ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}"))
    if suggest.strip().lower() not in SUGGESTERS:
        raise _fail(ValueError(f"--suggest must be one of {', '.join(SUGGESTERS)}"))
    try:
        report = push_for_annotation(
            ExampleStore(),
            model,
            dataset,
            limit=limit,
            strategy=strategy,
            suggest_with=_suggester(suggest),
            with_vectors=vectors,
            annotators=annotator,
            min_submitted=min_submitted,
            workspace=workspace,
            seed=seed,
        )
    except (KeyError, LookupError, ValueError, TypeError) as exc:
        raise _fail(exc) from exc
    if as_json:
        out = {k: v for k, v in report.__dict__.items() if k != "rows"}
        typer.echo(json.dumps(out, indent=2, default=str))
    else:
        typer.echo(report.summary())


@annotate_app.command("pull")
def pull_cmd(
    model: str = typer.Argument(..., help="The custom model to write the labels into."),
    dataset: str | None = typer.Option(None, help="Argilla dataset (default: the model name)."),
    policy: str = typer.Option(
        "majority", help="majority, unanimous or any (see modlab.annotation.loop)."
    ),
    overwrite: bool = typer.Option(
        False, help="Replace labels that came from elsewhere (imports, manual edits)."
    ),
    workspace: str = typer.Option("modlab", help="Argilla workspace."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Pull submitted answers back into the store; show agreement and conflicts."""
    from modlab.annotation.loop import POLICIES, pull_annotations
    from modlab.data import ExampleStore

    if policy not in POLICIES:
        raise _fail(ValueError(f"--policy must be one of {', '.join(POLICIES)}"))
    try:
        report = pull_annotations(
            ExampleStore(), model, dataset, policy=policy, overwrite=overwrite, workspace=workspace
        )
    except (KeyError, LookupError, ValueError) as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(report.__dict__, indent=2, default=str))
        return
    typer.echo(report.summary())
    for c in report.unresolved:
        answers = "; ".join(f"{u}: {v}" for u, v in c["labels"].items())
        text = (c["text"] or "").replace("\n", " ")
        typer.echo(f"  conflict #{c['example_id']}: {answers} | {text[:80]}")


__all__ = ["annotate_app"]
