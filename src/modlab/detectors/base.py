"""The shared detector interface: text + mode in, typed character spans out.

Modelled on Presidio's recognizers (one small class per entity family, results as
typed spans, masking as a separate step) without its per-call NLP pipeline cost.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar


class Mode(IntEnum):
    """Detection strictness. Each mode includes everything the lower ones catch."""

    NORMAL = 1
    SUSPICIOUS = 2
    PARANOID = 3

    @classmethod
    def parse(cls, value: str | Mode) -> Mode:
        if isinstance(value, Mode):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            allowed = ", ".join(m.name for m in cls)
            raise ValueError(
                f"unknown detection mode {value!r}; expected one of {allowed}"
            ) from None


@dataclass(frozen=True, slots=True)
class Match:
    """One detected span. ``text`` is the span exactly as written in the input.

    ``level`` is the lowest mode that finds this span (a SUSPICIOUS-level match is
    only reported when the caller asked for SUSPICIOUS or PARANOID).
    ``component`` names the kind of value inside a family (e.g. ``credit_debit_number``
    for sensitive numbers, ``first``/``middle``/``last`` for names).
    """

    entity: str
    start: int
    end: int
    text: str
    score: float = 1.0
    level: Mode = Mode.NORMAL
    component: str | None = None

    def overlaps(self, other: Match) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class DetectorOptions:
    """Per-request knobs that come from the project's settings and filter."""

    region: str = "US"
    languages: tuple[str, ...] = ("en",)
    components: tuple[str, ...] = ("first", "middle", "last")
    extra: dict[str, object] = field(default_factory=dict)


DEFAULT_OPTIONS = DetectorOptions()


class Detector(ABC):
    """A rule/model detector for one entity family (``email``, ``phone``, ...).

    Subclasses do no heavy work in ``__init__``; expensive resources are loaded
    lazily on first use and shared across calls (detectors are used from many
    request threads, so they must be stateless per call).
    """

    name: ClassVar[str]

    @abstractmethod
    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        """Return the matches found at ``mode`` (and below), sorted by start offset."""


def resolve_overlaps(matches: list[Match]) -> list[Match]:
    """Keep the longest (then highest-scoring) of overlapping matches, sorted by start."""
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), -m.score, m.start))
    kept: list[Match] = []
    for candidate in ordered:
        if not any(candidate.overlaps(k) for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)
