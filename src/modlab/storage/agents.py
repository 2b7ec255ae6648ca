"""AI-agent tables (agents, their cached verdicts) and the Argilla review mirror of the queue.

``agent_results`` caches one verdict per (agent, agent version, sha256 of the text): editing an
agent bumps its version, so old verdicts are never served for new rules.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modlab.storage.db import Base
from modlab.storage.models import new_id, now_ms


class Agent(Base):
    """An AI agent of a project: plain-language rules, in order, and how strictly to apply them."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("agt_"))
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    rules: Mapped[list] = mapped_column(JSON, default=list)
    strictness: Mapped[str] = mapped_column(String(16), default="balanced")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class AgentResult(Base):
    """A cached verdict: ``rule`` is the 1-based index of the broken rule, 0 for none."""

    __tablename__ = "agent_results"

    agent_id: Mapped[str] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[int] = mapped_column(Integer, default=0)
    backend: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)


class ReviewMirror(Base):
    """A queue item mirrored into Argilla for review, and whether its answer was applied.

    (Kept with the agent tables so issue 8's parts 5-6 share one migration.) ``applied_at`` is
    set by a conditional UPDATE before the action is taken, so a response is applied once even
    with several pollers.
    """

    __tablename__ = "review_mirror"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    mirrored_at: Mapped[int] = mapped_column(BigInteger, default=now_ms)
    applied_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    example_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
