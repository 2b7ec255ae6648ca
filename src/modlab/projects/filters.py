"""The per-project filter: which detectors and models run, in which mode, with which mask.

Shaped like moderationapi.com's project filter so its users can switch by changing
the base URL; validated strictly (unknown keys are an error, never silently kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DETECTOR_NAMES = ("email", "phone", "url", "address", "name", "username", "profanity", "sensitive")
BUILTIN_ANALYZERS = ("toxicity", "quality", "propriety", "nsfw", "sentiment", "openai")
NAME_COMPONENTS = ("first", "middle", "last")

DetectionMode = Literal["NORMAL", "SUSPICIOUS", "PARANOID"]


class FilterError(ValueError):
    """A filter that does not validate; ``field`` names the offending entry."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"filter.{field}: {message}" if field else message)
        self.field = field


class DetectorFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    mode: DetectionMode = "NORMAL"
    mask: str | None = None
    components: list[Literal["first", "middle", "last"]] | None = None


class ModelFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)


def default_mask(name: str) -> str:
    return "{{ " + name + " hidden }}"


def default_filter() -> dict[str, Any]:
    """What a new project starts with (the same four detectors the hosted API starts with)."""
    return {
        name: DetectorFilter(mode="NORMAL", mask=default_mask(name)).model_dump(exclude_none=True)
        for name in ("email", "phone", "url", "address")
    }


def _is_model_key(key: str) -> bool:
    return (
        key in BUILTIN_ANALYZERS
        or key == "language"
        or key.startswith("agent:")
        or key.startswith("custom:")
    )


def validate_filter(
    raw: Any, known_models: set[str] | Callable[[], set[str]] | None = None
) -> dict[str, Any]:
    """Validate a whole filter object; return it normalised (JSON-ready).

    ``known_models`` are the custom model ids that exist (or a function returning them,
    called only when a key is neither a detector nor a built-in: listing registered models
    means opening the MLflow registry); any other key is rejected with its name.
    """
    if not isinstance(raw, dict):
        raise FilterError("", "filter must be a JSON object keyed by model id")
    lookup = known_models if callable(known_models) else (lambda: set(known_models or ()))
    cached: list[set[str]] = []

    def custom_models() -> set[str]:
        if not cached:
            cached.append(lookup())
        return cached[0]

    out: dict[str, Any] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise FilterError(key, "must be an object")
        try:
            if key in DETECTOR_NAMES:
                parsed = DetectorFilter.model_validate(entry)
                if parsed.components is not None and key != "name":
                    raise FilterError(key, "components is only valid for the name detector")
                if parsed.mask is None:
                    parsed.mask = default_mask(key)
                out[key] = parsed.model_dump(exclude_none=True)
            elif _is_model_key(key) or key in custom_models():
                out[key] = ModelFilter.model_validate(entry).model_dump()
            else:
                known = ", ".join((*DETECTOR_NAMES, *BUILTIN_ANALYZERS, *sorted(custom_models())))
                raise FilterError(key, f"unknown model id; known: {known}")
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise FilterError(f"{key}.{where}" if where else key, err["msg"]) from None
    return out


def merge_filter(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Partial update: entries in ``patch`` replace fields of the current entries."""
    merged = {k: dict(v) for k, v in current.items()}
    for key, entry in patch.items():
        if entry is None:
            merged.pop(key, None)
        elif isinstance(entry, dict):
            merged[key] = {**merged.get(key, {}), **entry}
        else:
            merged[key] = entry
    return merged
