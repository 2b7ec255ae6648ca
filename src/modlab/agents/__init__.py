"""AI agents: plain-language rules, in order, judged by an LLM (issue 8, part 5).

A project adds an agent (``AgentStore.create``): a name, ordered rules and a strictness
(``easygoing`` / ``balanced`` / ``strict``). Evaluating it asks the auto-labelling LLM backend
(``modlab.annotation.autolabel``: any OpenAI-compatible endpoint via ``MODLAB_LLM_BASE_URL``, or
local llama.cpp) which rule a text breaks, with the label set ``RULE_1..RULE_n`` + ``NEUTRAL``.
The answer has the shape of the API's ``agent:<id>`` analyzer::

    {"label": "RULE_2" | "NEUTRAL", "score": 1 | 0, "rule": "<rule text>" | None,
     "label_scores": {"NEUTRAL": 0, "RULE_1": 0, "RULE_2": 1, ...}}

Verdicts are cached in ``agent_results`` by (agent id, agent version, sha256 of the text);
editing an agent bumps its version. Agents belong to one project: ``agent_scope(project_id)``
makes the ``agent:<id>`` resolver refuse other projects' agents.
"""

from __future__ import annotations

from modlab.agents.evaluate import (
    AgentAnalyzer,
    AgentBackendUnavailable,
    Verdict,
    agent_scope,
    build_schema,
    current_scope,
    default_backend,
    evaluate,
    install_resolver,
    result_json,
)
from modlab.agents.store import (
    STRICTNESS,
    AgentError,
    AgentNotFound,
    AgentSpec,
    AgentStore,
    agent_json,
)

__all__ = [
    "STRICTNESS",
    "AgentAnalyzer",
    "AgentBackendUnavailable",
    "AgentError",
    "AgentNotFound",
    "AgentSpec",
    "AgentStore",
    "Verdict",
    "agent_json",
    "agent_scope",
    "build_schema",
    "current_scope",
    "default_backend",
    "evaluate",
    "install_resolver",
    "result_json",
]
