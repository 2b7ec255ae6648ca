"""Workbench tables: custom model definitions, versioned label schemas and the example store.

A *model* (``wb_models``) owns a sequence of label-schema versions (``wb_label_schemas``, each
with its ordered labels in ``wb_labels``) and the examples it is trained on (``wb_examples``).
Human labels live on the example; auto-label suggestions are kept apart (``wb_suggestions``)
until accepted. Every label change is appended to ``wb_label_events`` (who, what, when, how).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modlab.storage.db import Base
from modlab.storage.models import new_id, utcnow


class ModelDefinition(Base):
    """A custom classifier: its name, its type and (through its schemas) its labels."""

    __tablename__ = "wb_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    multi_label: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    schemas: Mapped[list[LabelSchemaVersion]] = relationship(
        back_populates="model",
        order_by="LabelSchemaVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class LabelSchemaVersion(Base):
    """One version of a model's labels; ``trained_at`` is set once a model is trained on it."""

    __tablename__ = "wb_label_schemas"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("wb_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    # Single-label: the name of the label meaning "nothing to flag" (one of the labels).
    # Multi-label: the name that stands for "no label applies" (not a label itself).
    neutral_label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    trained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    training_run: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    model: Mapped[ModelDefinition] = relationship(back_populates="schemas")
    labels: Mapped[list[LabelDefinition]] = relationship(
        back_populates="schema",
        order_by="LabelDefinition.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class LabelDefinition(Base):
    """A label of one schema version; ``position`` is its index (0, 1, 2, ...) in imports."""

    __tablename__ = "wb_labels"
    __table_args__ = (
        UniqueConstraint("schema_id", "position"),
        UniqueConstraint("schema_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schema_id: Mapped[int] = mapped_column(ForeignKey("wb_label_schemas.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list] = mapped_column(JSON, default=list)

    schema: Mapped[LabelSchemaVersion] = relationship(back_populates="labels")


class ImportBatch(Base):
    """One import run (file, data frame, request log, ...) and its report."""

    __tablename__ = "wb_import_batches"
    __table_args__ = (Index("ix_wb_import_batches_model", "model_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("imp_"))
    model_id: Mapped[int] = mapped_column(ForeignKey("wb_models.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(500), default="")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Example(Base):
    """A text of a model's example store, with its human label(s) if it has any.

    ``labels`` is a list of label names (one element for single-label models; possibly empty
    for multi-label models, meaning "no label applies"); NULL with ``labelled`` false means
    not labelled yet.
    """

    __tablename__ = "wb_examples"
    __table_args__ = (
        UniqueConstraint("model_id", "text_hash"),
        Index("ix_wb_examples_model_labelled", "model_id", "labelled"),
        Index("ix_wb_examples_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("wb_models.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    labelled: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[list | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    label_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    annotator: Mapped[str | None] = mapped_column(String(200), nullable=True)
    labelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("wb_import_batches.id", ondelete="SET NULL"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(500), nullable=True)
    meta: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    # MinHash signature (uint32 little-endian) of the text, for near-duplicate detection.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class LabelEvent(Base):
    """Audit trail: every label given to (or removed from) an example."""

    __tablename__ = "wb_label_events"
    __table_args__ = (Index("ix_wb_label_events_example", "example_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    example_id: Mapped[int] = mapped_column(ForeignKey("wb_examples.id", ondelete="CASCADE"))
    labels: Mapped[list | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    annotator: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Suggestion(Base):
    """A machine-proposed label for an example (auto-labelling); never a human label by itself."""

    __tablename__ = "wb_suggestions"
    __table_args__ = (
        Index("ix_wb_suggestions_model", "model_id", "agent"),
        Index("ix_wb_suggestions_example", "example_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("wb_models.id", ondelete="CASCADE"))
    example_id: Mapped[int] = mapped_column(ForeignKey("wb_examples.id", ondelete="CASCADE"))
    labels: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    label_scores: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    agent: Mapped[str] = mapped_column(String(200))
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
