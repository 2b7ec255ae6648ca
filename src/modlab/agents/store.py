"""A project's agents: create, list, read, update (bumps the version), delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from modlab.storage.agents import Agent
from modlab.storage.db import Database
from modlab.storage.models import now_ms

STRICTNESS = ("easygoing", "balanced", "strict")
MAX_RULES = 20
MAX_RULE_CHARS = 1000
MAX_NAME_CHARS = 100


class AgentError(ValueError):
    """Invalid agent definition (the message names the field)."""


class AgentNotFound(LookupError):
    """No such agent in this project (another project's agents are not found either)."""


@dataclass(frozen=True)
class AgentSpec:
    """A detached snapshot of an agent: what evaluation needs."""

    id: str
    project_id: str
    name: str
    rules: tuple[str, ...]
    strictness: str
    version: int

    @property
    def key(self) -> str:
        """The project filter key / analyzer name: ``agent:<id>``."""
        return f"agent:{self.id}"


def _spec(row: Agent) -> AgentSpec:
    return AgentSpec(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        rules=tuple(row.rules or ()),
        strictness=row.strictness,
        version=row.version,
    )


def agent_json(row: Agent | AgentSpec, created_at: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "key": f"agent:{row.id}",
        "name": row.name,
        "rules": list(row.rules or ()),
        "strictness": row.strictness,
        "version": row.version,
    }
    if isinstance(row, Agent):
        out["createdAt"] = row.created_at
        out["updatedAt"] = row.updated_at
    return out


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise AgentError("name must be a non-empty string")
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        raise AgentError(f"name is over {MAX_NAME_CHARS} characters")
    return name


def validate_rules(rules: Any) -> list[str]:
    if isinstance(rules, str) or not isinstance(rules, list | tuple) or not rules:
        raise AgentError("rules must be a non-empty list of strings (the guidelines, in order)")
    if len(rules) > MAX_RULES:
        raise AgentError(f"rules has {len(rules)} entries; at most {MAX_RULES}")
    out = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, str) or not rule.strip():
            raise AgentError(f"rules[{i}] must be a non-empty string")
        rule = " ".join(rule.split())
        if len(rule) > MAX_RULE_CHARS:
            raise AgentError(f"rules[{i}] is over {MAX_RULE_CHARS} characters")
        out.append(rule)
    return out


def validate_strictness(strictness: Any) -> str:
    value = str(strictness or "").strip().lower()
    if value not in STRICTNESS:
        raise AgentError(f"strictness must be one of {', '.join(STRICTNESS)}, not {strictness!r}")
    return value


class AgentStore:
    """Agents per project; every lookup is scoped to the caller's project."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, project_id: str, name: str, rules: list[str], strictness: str = "balanced"
    ) -> dict[str, Any]:
        row = Agent(
            project_id=project_id,
            name=validate_name(name),
            rules=validate_rules(rules),
            strictness=validate_strictness(strictness),
            version=1,
        )
        with self.db.session() as s:
            s.add(row)
            s.flush()
            return agent_json(row)

    def list(self, project_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(
                select(Agent).where(Agent.project_id == project_id).order_by(Agent.created_at)
            ).all()
            return [agent_json(r) for r in rows]

    def _find(self, s: Any, project_id: str, agent_id: str) -> Agent:
        row = s.get(Agent, agent_id)
        if row is None or row.project_id != project_id:
            raise AgentNotFound(f"no agent {agent_id!r} in this project")
        return row

    def get(self, project_id: str, agent_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            return agent_json(self._find(s, project_id, agent_id))

    def spec(self, project_id: str, agent_id: str) -> AgentSpec:
        with self.db.session() as s:
            return _spec(self._find(s, project_id, agent_id))

    def load(self, agent_id: str) -> AgentSpec | None:
        """Any project's agent by id (for the resolver; callers check the project)."""
        with self.db.session() as s:
            row = s.get(Agent, agent_id)
            return _spec(row) if row is not None else None

    def update(
        self,
        project_id: str,
        agent_id: str,
        *,
        name: str | None = None,
        rules: list[str] | None = None,
        strictness: str | None = None,
    ) -> dict[str, Any]:
        """Change any of the fields; a change of rules or strictness bumps the version."""
        with self.db.session() as s:
            row = self._find(s, project_id, agent_id)
            if name is not None:
                row.name = validate_name(name)
            changed = False
            if rules is not None:
                new_rules = validate_rules(rules)
                changed |= new_rules != list(row.rules or ())
                row.rules = new_rules
            if strictness is not None:
                new_strictness = validate_strictness(strictness)
                changed |= new_strictness != row.strictness
                row.strictness = new_strictness
            if changed:
                row.version += 1
            row.updated_at = now_ms()
            s.flush()
            return agent_json(row)

    def delete(self, project_id: str, agent_id: str) -> None:
        with self.db.session() as s:
            s.delete(self._find(s, project_id, agent_id))
