"""Label schemas: a model's type, its labels (with descriptions) and how label values are read.

Rules (mirrored by the service and the training code):

* A **single-label** model assigns exactly one of its labels to a text. Its *neutral* label (by
  default ``NEUTRAL``, appended last when the given labels lack it) means "nothing to flag"; the
  service never flags on it.
* A **multi-label** model assigns any subset of its labels; the empty set means "no label
  applies". The neutral name (default ``NEUTRAL``) is accepted in imports as a spelling of the
  empty set but is not a label of the model.
* Label *indices* are positions in the label list (0, 1, 2, ...), the order given at creation.
* Schemas are versioned. Until a model is trained, labels may be edited (each edit is a new
  version). Once a version is trained (:func:`mark_trained`), names, order and the neutral label
  are frozen; descriptions and examples may still be refined (they steer auto-labelling). To
  change the labels of a trained model, derive a new model.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MODEL_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LABEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./ ]{0,99}$")
DEFAULT_NEUTRAL = "NEUTRAL"
# Names the service already uses for built-in analyzers and routes.
RESERVED_MODEL_NAMES = frozenset(
    {
        "toxicity", "quality", "propriety", "nsfw", "sentiment", "language", "openai", "batch",
        "email", "phone", "url", "address", "name", "username", "profanity", "sensitive",
    }
)  # fmt: skip
_INDEX_RE = re.compile(r"^[+-]?\d+(\.0*)?$")
_MULTI_SEPARATORS = re.compile(r"[,;|]")


class SchemaError(ValueError):
    """An invalid model or label definition."""


class FrozenLabelsError(SchemaError):
    """The labels of a trained model cannot change; derive a new model instead."""


class UnknownModelError(KeyError):
    """No model with that name."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown model"


class LabelError(ValueError):
    """A label value that the schema cannot read (unknown name, index out of range, ...)."""


@dataclass(frozen=True)
class LabelSpec:
    """One label: its name, what it means (also the auto-labeller's instructions), examples."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "examples": list(self.examples)}


@dataclass(frozen=True)
class LabelSchema:
    """A model's labels at one schema version."""

    model: str
    version: int
    multi_label: bool
    labels: tuple[LabelSpec, ...]
    neutral: str | None = DEFAULT_NEUTRAL
    description: str = ""
    trained_at: datetime | None = None
    training_run: str | None = None
    frozen: bool = False  # some version of the model is trained
    _lookup: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {spec.name.casefold(): spec.name for spec in self.labels}
        object.__setattr__(self, "_lookup", lookup)

    @property
    def name(self) -> str:
        """The model's name (what annotation tools title their datasets with)."""
        return self.model

    @property
    def type(self) -> str:
        return "multi-label" if self.multi_label else "single-label"

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.labels]

    @property
    def flag_labels(self) -> list[str]:
        """Labels that flag a text (every label but the neutral one)."""
        return [n for n in self.names if n != self.neutral]

    @property
    def trained(self) -> bool:
        return self.trained_at is not None

    def index(self, name: str) -> int:
        return self.names.index(self.canonical(name))

    def canonical(self, name: str) -> str:
        """The label's name as defined (names match case-insensitively)."""
        try:
            return self._lookup[name.strip().casefold()]
        except KeyError:
            raise LabelError(f"unknown label {name!r} (labels: {', '.join(self.names)})") from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "type": self.type,
            "neutral": self.neutral,
            "description": self.description,
            "labels": [spec.to_dict() for spec in self.labels],
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
            "frozen": self.frozen,
        }

    # -- reading label values ------------------------------------------------------------------

    def parse(self, value: Any, sep: str | None = None) -> list[str] | None:
        """Read a label cell: ``None`` when unlabelled, else the list of label names.

        Accepts indices (``0``, ``"2"``, ``1.0``) and names (case-insensitive). For multi-label
        models also a list, a JSON list (``"[0, 2]"``) or a string joined by ``sep`` (default any
        of ``,`` ``;`` ``|``); the neutral name or an empty list means "no label applies".
        Raises :class:`LabelError` for anything else.
        """
        if is_missing(value):
            return None
        if self.multi_label:
            return self._parse_multi(value, sep)
        if isinstance(value, list | tuple | set | frozenset) or _is_array(value):
            items = list(value)
            if len(items) != 1:
                raise LabelError(f"{len(items)} labels given to a single-label model")
            value = items[0]
            if is_missing(value):
                return None
        return [self._one(value)]

    def _parse_multi(self, value: Any, sep: str | None) -> list[str]:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise LabelError(f"malformed label list {value!r}") from exc
                if not isinstance(items, list):
                    raise LabelError(f"malformed label list {value!r}")
            else:
                parts = text.split(sep) if sep else _MULTI_SEPARATORS.split(text)
                items = [p for p in (p.strip() for p in parts) if p]
        elif isinstance(value, list | tuple | set | frozenset) or _is_array(value):
            items = list(value)
        else:
            items = [value]
        chosen: set[str] = set()
        for item in items:
            if is_missing(item):
                continue
            if (
                isinstance(item, str)
                and self.neutral
                and item.strip().casefold() == (self.neutral.casefold())
            ):
                continue
            chosen.add(self._one(item))
        return [n for n in self.names if n in chosen]

    def _one(self, value: Any) -> str:
        if isinstance(value, bool):
            raise LabelError(f"boolean label {value!r}; use label indices or names")
        if isinstance(value, str):
            text = value.strip()
            if _INDEX_RE.match(text):
                return self._by_index(int(float(text)), value)
            return self.canonical(text)
        if hasattr(value, "item") and not isinstance(value, list | tuple):  # numpy scalars
            value = value.item()
        if isinstance(value, int):
            return self._by_index(value, value)
        if isinstance(value, float):
            if value.is_integer():
                return self._by_index(int(value), value)
            raise LabelError(f"label index {value!r} is not a whole number")
        raise LabelError(f"unreadable label {value!r}")

    def _by_index(self, i: int, raw: Any) -> str:
        if 0 <= i < len(self.labels):
            return self.labels[i].name
        raise LabelError(f"label index {raw!r} out of range 0..{len(self.labels) - 1}")

    def check_names(self, names: Iterable[str]) -> list[str]:
        """Canonical names for stored/typed label names, in schema order (validates them)."""
        chosen = {self.canonical(n) for n in names}
        return [n for n in self.names if n in chosen]


def is_missing(value: Any) -> bool:
    """None, NaN, a blank string, or pandas' NA / NaT."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, int | list | tuple | set | frozenset | dict) or _is_array(value):
        return False
    pd = sys.modules.get("pandas")  # only pandas/numpy values can be NA here
    if pd is not None:
        try:
            return bool(pd.isna(value))
        except (TypeError, ValueError):
            return False
    return False


def _is_array(value: Any) -> bool:
    return type(value).__name__ == "ndarray"


def coerce_labels(labels: Any) -> list[LabelSpec]:
    """Labels given as names, ``(name, description)`` pairs, dicts, :class:`LabelSpec` or a
    ``{name: description}`` mapping."""
    if isinstance(labels, str):
        raise SchemaError("labels must be a list of names (or specs), not one string")
    if isinstance(labels, Mapping):
        items: list[Any] = []
        for name, desc in labels.items():
            if isinstance(desc, Mapping):
                items.append({"name": name, **desc})
            else:
                items.append({"name": name, "description": desc or ""})
    else:
        items = list(labels)
    specs = []
    for item in items:
        if isinstance(item, LabelSpec):
            spec = item
        elif isinstance(item, str):
            spec = LabelSpec(item.strip())
        elif isinstance(item, Mapping):
            unknown = set(item) - {"name", "description", "examples"}
            if unknown:
                raise SchemaError(f"unknown label field(s): {', '.join(sorted(unknown))}")
            spec = LabelSpec(
                str(item["name"]).strip(),
                str(item.get("description") or ""),
                tuple(str(e) for e in item.get("examples") or ()),
            )
        elif isinstance(item, tuple) and 1 <= len(item) <= 3:
            spec = LabelSpec(
                str(item[0]).strip(),
                str(item[1]) if len(item) > 1 else "",
                tuple(item[2]) if len(item) > 2 else (),
            )
        else:
            raise SchemaError(f"cannot read label {item!r}")
        specs.append(spec)
    return specs


def build_labels(
    labels: Any, *, multi_label: bool, neutral: str | None
) -> tuple[list[LabelSpec], str | None]:
    """Validate labels and place the neutral label; returns (labels, neutral)."""
    specs = coerce_labels(labels)
    if neutral is not None:
        neutral = neutral.strip()
        _check_label_name(neutral)
    folded = [s.name.casefold() for s in specs]
    if multi_label:
        if neutral and neutral.casefold() in folded:
            raise SchemaError(
                f"a multi-label model has no {neutral!r} label: an example with no labels is "
                f"neutral. Leave {neutral!r} out of the labels."
            )
    elif neutral:
        if neutral.casefold() in folded:
            neutral = specs[folded.index(neutral.casefold())].name
        else:
            specs.append(LabelSpec(neutral, "None of the other labels applies."))
    flagging = [s for s in specs if s.name != neutral]
    if not flagging:
        raise SchemaError("a model needs at least one label besides the neutral one")
    if not multi_label and len(specs) < 2:
        raise SchemaError("a single-label model needs at least two labels")
    seen: set[str] = set()
    for spec in specs:
        _check_label_name(spec.name)
        if spec.name.casefold() in seen:
            raise SchemaError(f"duplicate label {spec.name!r} (names are case-insensitive)")
        seen.add(spec.name.casefold())
    return specs, neutral


def _check_label_name(name: str) -> None:
    if not LABEL_NAME_RE.match(name) or name.strip() != name:
        raise SchemaError(
            f"invalid label name {name!r}: start with a letter or digit; use letters, digits, "
            "space, '_', '-', '.', '/'; at most 100 characters"
        )
    if _INDEX_RE.match(name):
        raise SchemaError(f"label name {name!r} would read as a label index; use a word")


def check_model_name(name: str, *, allow_reserved: bool = False) -> str:
    if not MODEL_NAME_RE.match(name or ""):
        raise SchemaError(
            f"invalid model name {name!r}: lower-case letters, digits, '-' and '_', "
            "at most 64 characters, starting with a letter or digit"
        )
    if name in RESERVED_MODEL_NAMES and not allow_reserved:
        raise SchemaError(f"model name {name!r} is reserved for a built-in model or detector")
    return name
