"""Projects and their keys: the operations the CLI, notebooks and HTTP API share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from modlab.projects.filters import default_filter, merge_filter, validate_filter
from modlab.projects.keys import display_prefix, generate_key, hash_key, key_matches, masked
from modlab.storage.db import Database
from modlab.storage.models import ApiKey, Project


class ProjectError(ValueError):
    """A project operation that cannot be done (unknown project, duplicate name…)."""


class ProjectNotFound(ProjectError):
    pass


@dataclass(frozen=True)
class ProjectView:
    """A detached, read-only snapshot of a project (safe to cache and pass around)."""

    id: str
    name: str
    filter: dict[str, Any]
    settings: dict[str, Any]
    key_prefix: str | None
    created_at: datetime
    webhook_secret: str
    rate_limit_requests: int | None
    rate_limit_window_s: float | None

    def public(self) -> dict[str, Any]:
        """The project object of the API (the key is never shown again, only masked)."""
        return {
            "_id": self.id,
            "name": self.name,
            "filter": self.filter,
            "apiKey": masked(self.key_prefix) if self.key_prefix else None,
            "created_at": self.created_at.isoformat(),
        }


def _active_key(project: Project) -> ApiKey | None:
    active = [k for k in project.keys if k.revoked_at is None]
    return max(active, key=lambda k: k.id) if active else None


def _view(project: Project) -> ProjectView:
    key = _active_key(project)
    created = project.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return ProjectView(
        id=project.id,
        name=project.name,
        filter=dict(project.filter or {}),
        settings=dict(project.settings or {}),
        key_prefix=key.prefix if key else None,
        created_at=created,
        webhook_secret=project.webhook_secret,
        rate_limit_requests=project.rate_limit_requests,
        rate_limit_window_s=project.rate_limit_window_s,
    )


def _find(session: Session, ref: str) -> Project:
    """Look a project up by id or by name."""
    project = session.get(Project, ref) or session.scalar(
        select(Project).where(Project.name == ref)
    )
    if project is None:
        raise ProjectNotFound(f"no project with id or name {ref!r}")
    return project


class ProjectStore:
    """Create, read, update projects and rotate/verify their keys."""

    def __init__(self, db: Database, known_models: Callable[[], set[str]] | None = None) -> None:
        self.db = db
        # Custom model ids a filter may name (the MLflow registry, for the service).
        self._known_models = known_models or set

    def create(self, name: str, filter: dict[str, Any] | None = None) -> tuple[ProjectView, str]:
        """Create a project; returns it and its API key (the only time the key is visible)."""
        name = name.strip()
        if not name:
            raise ProjectError("project name must not be empty")
        if len(name) > 200:
            raise ProjectError("project name must be at most 200 characters")
        flt = (
            validate_filter(filter, self._known_models) if filter is not None else default_filter()
        )
        key = generate_key()
        with self.db.session() as s:
            if s.scalar(select(Project.id).where(Project.name == name)):
                raise ProjectError(f"a project named {name!r} already exists")
            project = Project(name=name, filter=flt, settings={})
            project.keys.append(ApiKey(key_hash=hash_key(key), prefix=display_prefix(key)))
            s.add(project)
            s.flush()
            return _view(project), key

    def list(self) -> list[ProjectView]:
        with self.db.session() as s:
            return [_view(p) for p in s.scalars(select(Project).order_by(Project.created_at))]

    def get(self, ref: str) -> ProjectView:
        with self.db.session() as s:
            return _view(_find(s, ref))

    def rotate_key(self, ref: str) -> str:
        """Revoke the project's keys and issue a new one (printed once)."""
        key = generate_key()
        with self.db.session() as s:
            project = _find(s, ref)
            now = datetime.now(UTC)
            for old in project.keys:
                if old.revoked_at is None:
                    old.revoked_at = now
            project.keys.append(ApiKey(key_hash=hash_key(key), prefix=display_prefix(key)))
        return key

    def update(
        self,
        ref: str,
        *,
        name: str | None = None,
        filter_patch: dict[str, Any] | None = None,
        replace_filter: bool = False,
        rate_limit: tuple[int, float] | None = None,
        settings_patch: dict[str, Any] | None = None,
    ) -> ProjectView:
        """Partial update of name/filter/settings, validated before anything is written."""
        with self.db.session() as s:
            project = _find(s, ref)
            if name is not None:
                name = name.strip()
                if not name:
                    raise ProjectError("name must not be empty")
                clash = s.scalar(select(Project.id).where(Project.name == name))
                if clash and clash != project.id:
                    raise ProjectError(f"a project named {name!r} already exists")
                project.name = name
            if filter_patch is not None:
                base = {} if replace_filter else dict(project.filter or {})
                project.filter = validate_filter(
                    merge_filter(base, filter_patch), self._known_models
                )
            if rate_limit is not None:
                project.rate_limit_requests, project.rate_limit_window_s = rate_limit
            if settings_patch is not None:
                project.settings = {**(project.settings or {}), **settings_patch}
            s.flush()
            return _view(project)

    def delete(self, ref: str) -> None:
        with self.db.session() as s:
            s.delete(_find(s, ref))

    def authenticate(self, key: str) -> ProjectView | None:
        """The project a key belongs to, or None. Revoked keys never match."""
        if not key or len(key) > 200:
            return None
        digest = hash_key(key)
        with self.db.session() as s:
            # Key, project and its keys eagerly: 2 queries instead of 1 + 2 lazy loads.
            row = s.scalar(
                select(ApiKey)
                .where(ApiKey.key_hash == digest)
                .options(joinedload(ApiKey.project).selectinload(Project.keys))
            )
            if row is None or row.revoked_at is not None or not key_matches(key, row.key_hash):
                return None
            return _view(row.project)
