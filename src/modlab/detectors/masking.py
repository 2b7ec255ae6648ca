"""Masking is a separate step from detection (as in Presidio's anonymizer)."""

from __future__ import annotations

from collections.abc import Iterable


def merge_spans(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Merge overlapping/adjacent-overlapping (start, end, mask) spans; first mask wins."""
    merged: list[list] = []
    for start, end, mask in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, mask])
    return [(s, e, m) for s, e, m in merged]


def apply_masks(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """Replace each span with its mask, right to left so earlier offsets stay valid."""
    out = text
    for start, end, mask in reversed(merge_spans(spans)):
        out = out[:start] + mask + out[end:]
    return out
