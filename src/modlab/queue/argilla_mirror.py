"""Argilla as the moderators' review UI for the queue (issue 8, part 6).

- :func:`mirror_flagged` pushes a project's open, flagged queue items to an Argilla dataset whose
  one question is the project's action set (the labels are the action names); the text is the
  field, the item's labels/scores, author and context are metadata.
- :func:`apply_reviews` polls submitted responses and applies the chosen action through the
  queue code (``ActionStore.take``: the action log, the queue behaviour and the
  ``QUEUE_ITEM_ACTION``/``COMPLETED`` webhooks via the outbox, in one transaction), then stores
  the decision as a labelled example (example source ``review``, label source ``argilla``)
  in the project's review model ``review-<project>`` of the
  :class:`~modlab.data.store.ExampleStore`, so the next training
  round learns from moderators' decisions. A response is applied once (``review_mirror``).
- :class:`ReviewPoller` runs ``apply_reviews`` every few seconds in a thread (off by default).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from modlab.projects import ProjectView
from modlab.queue.actions import ActionStore
from modlab.queue.items import ItemFilter, NotFound, QueueStore
from modlab.settings import Settings, get_settings
from modlab.storage.agents import ReviewMirror
from modlab.storage.db import Database
from modlab.storage.models import now_ms

log = logging.getLogger("modlab.queue.argilla")

SOURCE = "queue"
REVIEW_SOURCE = "review"
LABEL_SOURCE = "argilla"
NO_ACTION = "NO_ACTION"
MAX_ITEMS = 500
METADATA_TERMS = ("flagged", "labels", "top_label", "author", "context", "language")


@dataclass
class _Label:
    name: str
    description: str = ""
    examples: list[str] = field(default_factory=list)


@dataclass
class _ActionSchema:
    """The dataset's question: which action to take (the labels are the action names)."""

    name: str
    labels: list[_Label]
    multi_label: bool = False
    description: str = ""


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return slug[:48] or "project"


def dataset_name(project: ProjectView) -> str:
    """The default Argilla dataset of a project's review queue: ``queue-<project>``."""
    return f"queue-{_slug(project.name)}"


def review_model(project: ProjectView) -> str:
    """The ExampleStore model that collects moderators' decisions: ``review-<project>``."""
    return f"review-{_slug(project.name)}"


_BEHAVIOUR_TEXT = {
    "REMOVE": "completes the item",
    "ADD": "reopens the item",
    "NO_CHANGE": "leaves the item open",
}


def action_schema(project: ProjectView, actions: list[dict[str, Any]]) -> _ActionSchema:
    labels = []
    for a in actions:
        what = _BEHAVIOUR_TEXT.get(a.get("queueBehaviour", "NO_CHANGE"), "")
        value = f" (value: {a['value']})" if a.get("value") else ""
        labels.append(_Label(a["name"], f"Action{value}; {what}."))
    return _ActionSchema(
        name=f"{project.name} review",
        labels=labels,
        description="Choose the action to take on this flagged text. The item's labels and "
        "scores from the moderation models are in its metadata.",
    )


def _labels_text(labels: list[dict[str, Any]]) -> str:
    return ", ".join(f"{x['label']}={float(x.get('score') or 0):.2f}" for x in labels)


def _record(item: dict[str, Any]) -> dict[str, Any]:
    labels = item.get("labels") or []
    top = max(labels, key=lambda x: float(x.get("score") or 0), default=None)
    metadata = {
        "flagged": "yes" if item.get("flagged") else "no",
        "labels": _labels_text(labels),
        "top_label": top["label"] if top else None,
        "score": round(float(top.get("score") or 0), 4) if top else None,
        "author": item.get("authorId"),
        "context": item.get("contextId"),
        "language": item.get("language"),
    }
    return {"id": item["id"], "text": item.get("content") or "", "metadata": metadata}


def _ensure_dataset(name: str, schema: _ActionSchema, argilla: Any) -> None:
    """Create the dataset with the item's metadata as properties (filterable in the UI and
    visible to annotators, which extra metadata is not)."""
    import argilla as rg

    from modlab.annotation import argilla_sync

    ws = argilla_sync.ensure_workspace(argilla_sync.DEFAULT_WORKSPACE, argilla)
    if argilla_sync._quiet_lookup(argilla.datasets, name=name, workspace=ws) is not None:
        return
    settings = argilla_sync.dataset_settings(schema, argilla=argilla)
    for prop in METADATA_TERMS:
        settings.metadata.add(rg.TermsMetadataProperty(name=prop, title=prop, client=argilla))
    settings.metadata.add(rg.FloatMetadataProperty(name="score", title="score", client=argilla))
    rg.Dataset(name=name, workspace=ws, settings=settings, client=argilla).create()


def mirror_flagged(
    db: Database,
    project: ProjectView,
    dataset: str | None = None,
    *,
    settings: Settings | None = None,
    argilla: Any = None,
    annotators: list[str] | tuple[str, ...] = (),
    annotator_password: str | None = None,
    include_mirrored: bool = False,
    limit: int = MAX_ITEMS,
) -> dict[str, Any]:
    """Push open flagged items (not yet mirrored) to Argilla; returns ``{dataset, pushed}``.

    The project needs at least one action (the question's options). ``annotators`` are created
    as Argilla annotator users if missing (``annotator_password``).
    """
    from modlab.annotation import argilla_sync

    dataset = dataset or dataset_name(project)
    actions = ActionStore(db).list(project.id)
    if not actions:
        raise ValueError(
            f"project {project.name!r} has no actions: create some (POST /api/v1/actions) "
            "before mirroring the queue to Argilla; they are the reviewers' choices"
        )
    items, _ = QueueStore(db).list_items(
        project.id, project.filter, ItemFilter(flagged=True, status="open"), limit=limit
    )
    if not include_mirrored and items:
        with db.session() as s:
            done = set(
                s.scalars(
                    select(ReviewMirror.request_id).where(
                        ReviewMirror.project_id == project.id,
                        ReviewMirror.request_id.in_([i["id"] for i in items]),
                    )
                )
            )
        items = [i for i in items if i["id"] not in done]
    if not items:
        return {"dataset": dataset, "pushed": []}
    argilla = argilla or argilla_sync.client(settings)
    schema = action_schema(project, actions)
    _ensure_dataset(dataset, schema, argilla)
    argilla_sync.push_records(
        dataset,
        schema,
        [_record(i) for i in items],
        annotators=annotators,
        annotator_password=annotator_password,
        source=SOURCE,
        batch=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        argilla=argilla,
    )
    with db.session() as s:
        for item in items:
            row = s.get(ReviewMirror, (project.id, item["id"]))
            if row is None:
                s.add(ReviewMirror(project_id=project.id, request_id=item["id"], dataset=dataset))
            else:
                row.dataset = dataset
                row.mirrored_at = now_ms()
    return {"dataset": dataset, "pushed": [i["id"] for i in items]}


def _claim(db: Database, project_id: str, item_id: str, reviewer: str) -> bool:
    """Mark the item's review as applied (once: a conditional UPDATE)."""
    with db.session() as s:
        if s.get(ReviewMirror, (project_id, item_id)) is None:
            s.add(ReviewMirror(project_id=project_id, request_id=item_id, dataset=""))
            s.flush()
        done = s.execute(
            update(ReviewMirror)
            .where(
                ReviewMirror.project_id == project_id,
                ReviewMirror.request_id == item_id,
                ReviewMirror.applied_at.is_(None),
            )
            .values(applied_at=now_ms(), reviewer=reviewer)
        )
        return done.rowcount == 1


def _unclaim(db: Database, project_id: str, item_id: str) -> None:
    with db.session() as s:
        s.execute(
            update(ReviewMirror)
            .where(ReviewMirror.project_id == project_id, ReviewMirror.request_id == item_id)
            .values(applied_at=None, reviewer=None)
        )


def store_decision(
    db: Database, project: ProjectView, text: str, action: str, reviewer: str, item_id: str
) -> int | None:
    """The moderator's decision as a labelled example of ``review-<project>`` (source review)."""
    from modlab.data.store import DuplicateExampleError, ExampleStore

    store = ExampleStore(db)
    model = review_model(project)
    names = [a["name"] for a in ActionStore(db).list(project.id)]
    try:
        schema = store.get_schema(model)
        if action not in schema.names:
            store.update_labels(model, [*schema.names, action], note="new action")
    except LookupError:
        labels = sorted(set(names) | {action}, key=[*names, action].index)
        store.create_model(
            model,
            labels,
            # A single-label model needs two labels: with one action, "NO_ACTION" is the other.
            neutral=None if len(labels) > 1 else NO_ACTION,
            description=f"Moderators' decisions on {project.name}'s review queue",
        )
    except Exception:  # e.g. labels frozen after training: keep the action, skip the example
        log.exception("could not add label %r to %s", action, model)
        return None
    meta = {"item_id": item_id, "project": project.name}
    try:
        example_id = store.add_example(model, text, meta=meta, source=REVIEW_SOURCE)
    except DuplicateExampleError as exc:
        example_id = exc.example_id
    # The example's source is "review"; its label source is "argilla" (the ExampleStore's
    # LABEL_SOURCES has no "review"): a moderator's answer given in Argilla.
    store.set_label(example_id, action, source=LABEL_SOURCE, annotator=reviewer)
    return example_id


def apply_reviews(
    db: Database,
    project: ProjectView,
    dataset: str | None = None,
    settings: Settings | None = None,
    *,
    argilla: Any = None,
) -> dict[str, Any]:
    """Apply each mirrored item's first submitted Argilla response once.

    Returns ``{"applied": [{item, action, reviewer, events, example}], "skipped": [...]}``.
    """
    from modlab.annotation import argilla_sync

    settings = settings or get_settings()
    dataset = dataset or dataset_name(project)
    argilla = argilla or argilla_sync.client(settings)
    rows = argilla_sync.pull_responses(dataset, argilla=argilla, statuses={"submitted"})
    with db.session() as s:
        applied = set(
            s.scalars(
                select(ReviewMirror.request_id).where(
                    ReviewMirror.project_id == project.id, ReviewMirror.applied_at.is_not(None)
                )
            )
        )
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["record_id"] not in applied:
            first.setdefault(row["record_id"], row)
    actions = {a["name"]: a for a in ActionStore(db).list(project.id)}
    out: dict[str, Any] = {"dataset": dataset, "applied": [], "skipped": []}
    for item_id, row in first.items():
        label = row["label"][0] if isinstance(row["label"], list) else row["label"]
        action = actions.get(str(label))
        if action is None:
            out["skipped"].append({"item": item_id, "reason": f"no action named {label!r}"})
            continue
        reviewer = str(row["user"])
        if not _claim(db, project.id, item_id, reviewer):
            continue  # another poller applied it
        try:
            _, entry, events = ActionStore(db).take(
                project.id, project.filter, item_id, action["id"], actor=f"argilla:{reviewer}"
            )
        except NotFound as exc:
            out["skipped"].append({"item": item_id, "reason": str(exc)})
            continue  # the item is gone: leave it claimed so it is not retried
        except Exception:
            _unclaim(db, project.id, item_id)
            raise
        example_id = None
        try:
            example_id = store_decision(
                db, project, row.get("text") or "", action["name"], reviewer, item_id
            )
        except Exception:  # the action stands even if the training example cannot be stored
            log.exception("could not store the review of %s as an example", item_id)
        with db.session() as s:
            s.execute(
                update(ReviewMirror)
                .where(ReviewMirror.project_id == project.id, ReviewMirror.request_id == item_id)
                .values(action_id=action["id"], example_id=example_id)
            )
        out["applied"].append(
            {
                "item": item_id,
                "action": action["name"],
                "actionId": action["id"],
                "reviewer": reviewer,
                "events": events,
                "log": entry,
                "example": example_id,
            }
        )
    return out


class ReviewPoller:
    """Mirror and apply reviews for some projects every ``interval_s`` seconds (a thread)."""

    def __init__(
        self,
        db: Database,
        projects: Any,
        *,
        interval_s: float = 10.0,
        settings: Settings | None = None,
        mirror: bool = True,
    ) -> None:
        self.db = db
        self.projects = projects  # a callable returning ProjectViews, or a list of them
        self.interval_s = interval_s
        self.settings = settings
        self.mirror = mirror
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> list[dict[str, Any]]:
        reports = []
        projects = self.projects() if callable(self.projects) else self.projects
        for project in projects:
            try:
                if self.mirror and ActionStore(self.db).list(project.id):
                    mirror_flagged(self.db, project, settings=self.settings)
                reports.append(apply_reviews(self.db, project, settings=self.settings))
            except LookupError:
                continue  # no dataset yet
            except Exception:
                log.exception("review poll failed for project %s", project.name)
        return reports

    def start(self) -> ReviewPoller:
        def loop() -> None:
            while not self._stop.wait(self.interval_s):
                self.run_once()

        self._thread = threading.Thread(target=loop, name="modlab-review-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = [
    "REVIEW_SOURCE",
    "ReviewPoller",
    "action_schema",
    "apply_reviews",
    "dataset_name",
    "mirror_flagged",
    "review_model",
    "store_decision",
]
