"""Custom models' label schemas and their example store (imports, labels, suggestions).

The public API::

    from modlab.data import ExampleStore, mark_trained, FrozenLabelsError

Names are imported on first use, so ``import modlab.data.cli`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "modlab.data.importer": ["DuplicateRow", "ImportFailed", "ImportReport", "RejectedRow"],
    "modlab.data.readers": ["ImportSetupError"],
    "modlab.data.schemas": [
        "FrozenLabelsError",
        "LabelError",
        "LabelSchema",
        "LabelSpec",
        "SchemaError",
        "UnknownModelError",
    ],
    "modlab.data.store": [
        "LABEL_SOURCES",
        "DuplicateExampleError",
        "ExampleRecord",
        "ExampleStore",
        "ModelInfo",
        "ModelStats",
        "SuggestionRecord",
        "TrainingSet",
        "create_model",
        "get_schema",
        "mark_trained",
    ],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "DuplicateExampleError",
    "DuplicateRow",
    "ExampleRecord",
    "ExampleStore",
    "FrozenLabelsError",
    "ImportFailed",
    "ImportReport",
    "ImportSetupError",
    "LABEL_SOURCES",
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
assert sorted(__all__) == sorted(_WHERE)

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'modlab.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
