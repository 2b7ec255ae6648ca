"""Small helpers shared by the rule detectors (not part of the public surface)."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from modlab.detectors.base import Match, Mode, resolve_overlaps

# Confidence per level: plain forms are surest. ``resolve_overlaps`` breaks length ties
# by score, so the same span found at several levels keeps its lowest level.
LEVEL_SCORE: dict[Mode, float] = {Mode.NORMAL: 0.95, Mode.SUSPICIOUS: 0.75, Mode.PARANOID: 0.5}

DIGIT_WORDS: dict[str, str] = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def words(text: str) -> frozenset[str]:
    """A word set written as one space-separated string (keeps long lists readable)."""
    return frozenset(text.split())


def make_match(
    entity: str,
    text: str,
    start: int,
    end: int,
    level: Mode,
    component: str | None = None,
    score: float | None = None,
) -> Match:
    """A match whose ``text`` is exactly the input slice (the API reports it as written)."""
    return Match(
        entity=entity,
        start=start,
        end=end,
        text=text[start:end],
        score=LEVEL_SCORE[level] if score is None else score,
        level=level,
        component=component,
    )


def finalize(matches: list[Match], mode: Mode) -> list[Match]:
    """Drop matches above ``mode``; of overlapping ones keep the lowest level, then the longest.

    A loose PARANOID pattern can swallow a plain number and its neighbours; the plain
    match is the better span, so certainty outranks length here.
    """
    kept: list[Match] = []
    for level in sorted({m.level for m in matches if m.level <= mode}):
        tier = resolve_overlaps([m for m in matches if m.level == level])
        kept.extend(c for c in tier if not any(c.overlaps(k) for k in kept))
    return sorted(kept, key=lambda m: (m.start, m.end))


def trim_span(text: str, start: int, end: int, chars: str = ".,;:!?)]}'\"") -> tuple[int, int]:
    """Strip trailing sentence punctuation that a greedy pattern swallowed.

    A closing bracket is kept when the span also contains its opening one (wiki URLs).
    """
    pairs = {")": "(", "]": "[", "}": "{"}
    while end > start and text[end - 1] in chars:
        ch = text[end - 1]
        if ch in pairs and text.count(pairs[ch], start, end) >= text.count(ch, start, end):
            break
        end -= 1
    return start, end


_TLD_LOCK = threading.Lock()
_TLD_EXTRACTOR: Any = None


def _extractor() -> Any:
    """tldextract with its bundled Public Suffix List snapshot: never touches the network."""
    global _TLD_EXTRACTOR
    if _TLD_EXTRACTOR is None:
        with _TLD_LOCK:
            if _TLD_EXTRACTOR is None:
                import tldextract

                _TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _TLD_EXTRACTOR


@lru_cache(maxsize=8192)
def public_suffix(host: str) -> str:
    """The public suffix of ``host`` (``co.uk`` for ``a.b.co.uk``), or '' if none is known."""
    result = _extractor()(host.lower())
    return result.suffix if result.domain else ""


@lru_cache(maxsize=4096)
def is_public_suffix(label: str) -> bool:
    """Whether ``label`` (e.g. ``com``, ``co.uk``) is a known public suffix."""
    label = label.lower().strip(".")
    return bool(label) and public_suffix("x." + label) == label
