"""Evaluating an agent with an auto-labelling LLM backend, the verdict cache and the resolver."""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from modlab.agents.store import AgentSpec, AgentStore
from modlab.analyzers.base import NEUTRAL, Analyzer, AnalyzerResult
from modlab.annotation.autolabel import AutoLabeler, Label, Schema, get_backend
from modlab.serving.errors import ApiError
from modlab.storage.agents import AgentResult
from modlab.storage.db import Database

log = logging.getLogger("modlab.agents")

PREFIX = "agent:"

STRICTNESS_PROMPTS = {
    "easygoing": (
        "Be lenient: choose a rule only when the text clearly and explicitly breaks it. "
        "Jokes, sarcasm, quotes and borderline cases are NEUTRAL. When in doubt, answer NEUTRAL."
    ),
    "balanced": (
        "Judge like a fair, experienced human moderator: choose a rule when the text most "
        "likely breaks it, taking its plain meaning and obvious intent into account."
    ),
    "strict": (
        "Be strict: choose a rule when the text plausibly breaks it, including implied, veiled, "
        "coded or borderline violations. When in doubt, choose the rule."
    ),
}


class AgentBackendUnavailable(ApiError):
    """No LLM backend is configured to evaluate agents (HTTP 503 with a clear message)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Verdict:
    """The broken rule (1-based; 0 = none), whether it came from the cache, and notes."""

    rule: int
    cached: bool = False
    error: str | None = None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rule_label(index: int) -> str:
    return f"RULE_{index}"


def build_schema(spec: AgentSpec) -> Schema:
    """The label set RULE_1..RULE_n + NEUTRAL; the rules are the labels' descriptions."""
    description = "\n".join(
        [
            f'You are the content moderation agent "{spec.name}". Decide whether the text '
            "breaks any of the numbered rules below.",
            STRICTNESS_PROMPTS[spec.strictness],
            "If the text breaks several rules, answer the lowest-numbered one. "
            "If it breaks none, answer NEUTRAL.",
        ]
    )
    labels = [
        Label(rule_label(i), description=f"the text breaks this rule: {rule}")
        for i, rule in enumerate(spec.rules, start=1)
    ]
    labels.append(Label(NEUTRAL, description="the text breaks none of the rules"))
    return Schema(
        name=f"agent {spec.name}",
        labels=tuple(labels),
        neutral=NEUTRAL,
        description=description,
    )


def result_json(spec: AgentSpec, verdict: Verdict) -> dict[str, Any]:
    """The API's answer: ``{label, score, rule, label_scores}``."""
    scores = {NEUTRAL: 0.0, **{rule_label(i): 0.0 for i in range(1, len(spec.rules) + 1)}}
    rule_text = None
    label = NEUTRAL
    if verdict.rule:
        label = rule_label(verdict.rule)
        scores[label] = 1.0
        rule_text = spec.rules[verdict.rule - 1]
    out: dict[str, Any] = {
        "label": label,
        "score": 1 if verdict.rule else 0,
        "rule": rule_text,
        "label_scores": scores,
    }
    if verdict.error:
        out["error"] = verdict.error
    return out


# -- backends -----------------------------------------------------------------------------------

_backend_lock = threading.Lock()
_backend: AutoLabeler | None = None
_backend_key: tuple[Any, ...] | None = None
_backend_factory: Callable[[], AutoLabeler] | None = None


def set_backend_factory(factory: Callable[[], AutoLabeler] | None) -> None:
    """Use ``factory`` instead of the configured backend (tests, notebooks); None resets."""
    global _backend_factory, _backend, _backend_key
    with _backend_lock:
        _backend_factory = factory
        _backend, _backend_key = None, None


def default_backend() -> AutoLabeler:
    """The configured LLM backend: an OpenAI-compatible endpoint if set, else local llama.cpp.

    Raises :class:`AgentBackendUnavailable` (HTTP 503) naming what to configure.
    """
    global _backend, _backend_key
    from modlab.settings import get_settings

    settings = get_settings()
    key: tuple[Any, ...] = (
        "factory" if _backend_factory else "settings",
        settings.llm_base_url,
        settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        settings.llm_model,
    )
    with _backend_lock:
        if _backend is not None and _backend_key == key:
            return _backend
        if _backend_factory is not None:
            backend = _backend_factory()
        elif settings.llm_base_url:
            backend = get_backend("openai")
        else:
            from modlab.annotation.backends.llama_cpp import llama_cpp_status

            status = llama_cpp_status()
            if status != "ok":
                raise AgentBackendUnavailable(
                    "AI agents need an LLM backend and none is configured: set "
                    "MODLAB_LLM_BASE_URL (any OpenAI-compatible endpoint, with "
                    "MODLAB_LLM_API_KEY / MODLAB_LLM_MODEL) or install the local llama.cpp "
                    f"backend ({status})"
                )
            backend = get_backend("llama_cpp")
        if _backend is not None:
            _backend.close()
        _backend, _backend_key = backend, key
        return backend


# -- evaluation ---------------------------------------------------------------------------------


def _parse_rule(label: str | None, n_rules: int) -> int | None:
    if label == NEUTRAL:
        return 0
    if label and label.startswith("RULE_") and label[5:].isdigit():
        index = int(label[5:])
        if 1 <= index <= n_rules:
            return index
    return None


def evaluate(
    db: Database,
    spec: AgentSpec,
    texts: Sequence[str],
    *,
    backend: AutoLabeler | None = None,
    use_cache: bool = True,
) -> list[Verdict]:
    """Which rule each text breaks; cached by (agent, version, text hash)."""
    hashes = [text_hash(t) for t in texts]
    cached: dict[str, int] = {}
    if use_cache and hashes:
        with db.session() as s:
            rows = s.scalars(
                select(AgentResult).where(
                    AgentResult.agent_id == spec.id,
                    AgentResult.version == spec.version,
                    AgentResult.text_hash.in_(set(hashes)),
                )
            ).all()
            cached = {r.text_hash: r.rule for r in rows}
    todo: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in cached and h not in todo:
            todo[h] = t
    fresh: dict[str, Verdict] = {}
    if todo:
        backend = backend or default_backend()
        labels = backend.label(list(todo.values()), build_schema(spec), progress=False)
        to_store = []
        for h, out in zip(todo, labels, strict=True):
            rule = _parse_rule(out.label, len(spec.rules))
            if rule is None:  # the LLM gave no usable answer: say so, do not cache it
                fresh[h] = Verdict(0, error=out.rationale or "no usable answer from the LLM")
                continue
            fresh[h] = Verdict(rule)
            to_store.append(
                AgentResult(
                    agent_id=spec.id,
                    version=spec.version,
                    text_hash=h,
                    rule=rule,
                    backend=str(out.agent or backend.agent)[:200],
                )
            )
        if to_store and use_cache:
            try:
                with db.session() as s:
                    for row in to_store:
                        s.merge(row)
            except Exception:  # a concurrent insert of the same verdict is harmless
                log.debug("could not cache agent verdicts", exc_info=True)
    return [Verdict(cached[h], cached=True) if h in cached else fresh[h] for h in hashes]


# -- the analyzer and its resolver ----------------------------------------------------------------

_scope: contextvars.ContextVar[str | None] = contextvars.ContextVar("agent_scope", default=None)


@contextmanager
def agent_scope(project_id: str) -> Iterator[None]:
    """Within this block ``agent:<id>`` only resolves to agents of ``project_id``."""
    token = _scope.set(project_id)
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> str | None:
    return _scope.get()


class AgentAnalyzer(Analyzer):
    """An agent as an analyzer, so ``agent:<id>`` works in filters and ``/api/v1/analyze``."""

    neutral_label = NEUTRAL

    def __init__(self, db: Database, spec: AgentSpec) -> None:
        self.db = db
        self.spec = spec
        self.name = spec.key  # type: ignore[misc]

    @property
    def labels(self) -> tuple[str, ...]:
        return (NEUTRAL, *(rule_label(i) for i in range(1, len(self.spec.rules) + 1)))

    @property
    def version(self) -> str:
        return str(self.spec.version)

    def predict(self, texts: Sequence[str]) -> list[AnalyzerResult]:
        out = []
        for verdict in evaluate(self.db, self.spec, texts):
            body = result_json(self.spec, verdict)
            extra: dict[str, Any] = {"rule": body["rule"]}
            if verdict.error:
                extra["error"] = verdict.error
            out.append(AnalyzerResult(label_scores=body["label_scores"], extra=extra))
        return out


_resolver_db: Database | None = None
_resolver_lock = threading.Lock()


def resolve(name: str) -> AgentAnalyzer | None:
    """``agent:<id>`` to its analyzer; None for other names, unknown ids and other projects."""
    if not name.startswith(PREFIX) or _resolver_db is None:
        return None
    spec = AgentStore(_resolver_db).load(name[len(PREFIX) :])
    if spec is None:
        return None
    scope = current_scope()
    if scope is not None and scope != spec.project_id:
        return None
    return AgentAnalyzer(_resolver_db, spec)


def install_resolver(db: Database) -> None:
    """Register the ``agent:<id>`` resolver with the analyzer registry (once; latest db wins)."""
    global _resolver_db
    from modlab.analyzers.registry import add_resolver

    with _resolver_lock:
        first = _resolver_db is None
        _resolver_db = db
        if first:
            add_resolver(resolve)
