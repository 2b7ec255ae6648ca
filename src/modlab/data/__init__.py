"""Custom models' label schemas and their example store (imports, labels, suggestions).

The public API::

    from modlab.data import ExampleStore, mark_trained, FrozenLabelsError
"""

from modlab.data.importer import DuplicateRow, ImportFailed, ImportReport, RejectedRow
from modlab.data.readers import ImportSetupError
from modlab.data.schemas import (
    FrozenLabelsError,
    LabelError,
    LabelSchema,
    LabelSpec,
    SchemaError,
    UnknownModelError,
)
from modlab.data.store import (
    LABEL_SOURCES,
    DuplicateExampleError,
    ExampleRecord,
    ExampleStore,
    ModelInfo,
    ModelStats,
    SuggestionRecord,
    TrainingSet,
    create_model,
    get_schema,
    mark_trained,
)

__all__ = [
    "LABEL_SOURCES",
    "DuplicateExampleError",
    "DuplicateRow",
    "ExampleRecord",
    "ExampleStore",
    "FrozenLabelsError",
    "ImportFailed",
    "ImportReport",
    "ImportSetupError",
    "LabelError",
    "LabelSchema",
    "LabelSpec",
    "ModelInfo",
    "ModelStats",
    "RejectedRow",
    "SchemaError",
    "SuggestionRecord",
    "TrainingSet",
    "UnknownModelError",
    "create_model",
    "get_schema",
    "mark_trained",
]
