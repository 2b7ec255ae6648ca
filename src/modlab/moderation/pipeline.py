"""Run a project's filter over one text: detectors, masking, analyzers, ``flagged``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modlab.analyzers.base import DEFAULT_THRESHOLD, flags
from modlab.analyzers.registry import AnalyzerUnavailable, get_analyzer
from modlab.detectors import (
    DetectorOptions,
    Match,
    Mode,
    apply_masks,
    detector_names,
    get_detector,
)
from modlab.projects.filters import DETECTOR_NAMES


@dataclass
class ModerationResult:
    """The moderation object of the API plus what the request log indexes."""

    body: dict[str, Any]
    flagged: bool
    data_found: bool
    label: str | None = None
    score: float | None = None
    language: str | None = None
    models: dict[str, Any] = field(default_factory=dict)


def _components(matches: list[Match]) -> list[dict[str, str]]:
    """Group component values like the hosted API (one object; a repeat starts a new one)."""
    groups: list[dict[str, str]] = [{}]
    for m in matches:
        if not m.component:
            continue
        if m.component in groups[-1]:
            groups.append({})
        groups[-1][m.component] = m.text
    return [g for g in groups if g]


def run_detector(name: str, text: str, entry: dict[str, Any], options: DetectorOptions) -> dict:
    mode = Mode.parse(entry.get("mode", "NORMAL"))
    if name == "name" and entry.get("components"):
        options = DetectorOptions(
            region=options.region,
            languages=options.languages,
            components=tuple(entry["components"]),
            extra=options.extra,
        )
    matches = get_detector(name).detect(text, mode, options)
    out: dict[str, Any] = {
        "found": bool(matches),
        "mode": mode.name,
        "matches": [m.text for m in matches],
        "spans": [{"start": m.start, "end": m.end, "text": m.text} for m in matches],
    }
    if name == "sensitive":
        out["components"] = _components(matches)
    out["_matches"] = matches
    return out


def run_analyzer(name: str, text: str, entry: dict[str, Any]) -> dict[str, Any]:
    analyzer = get_analyzer(name)
    result = analyzer.predict([text])[0]
    thresholds = {**analyzer.default_thresholds, **(entry.get("thresholds") or {})}
    flagged_labels = flags(result.label_scores, thresholds, analyzer.neutral_label)
    out: dict[str, Any] = {
        "label": result.label,
        "score": round(result.score, 6),
        "label_scores": {k: round(v, 6) for k, v in result.label_scores.items()},
        "flagged": bool(flagged_labels),
    }
    out.update(result.extra)
    return out


def moderate(
    text: str, project_filter: dict[str, Any], options: DetectorOptions | None = None
) -> ModerationResult:
    """Apply every enabled filter entry to ``text`` and build the API response."""
    options = options or DetectorOptions()
    body: dict[str, Any] = {"original": text}
    spans_to_mask: list[tuple[int, int, str]] = []
    data_found = False
    flagged = False
    top_label: tuple[str, float] | None = None
    models: dict[str, Any] = {}
    language: str | None = None

    for name, entry in project_filter.items():
        if not entry.get("enabled", True):
            continue
        if name in DETECTOR_NAMES:
            if name not in detector_names():
                body[name] = {"available": False, "message": f"detector {name!r} is not installed"}
                continue
            found = run_detector(name, text, entry, options)
            matches = found.pop("_matches")
            if matches:
                data_found = flagged = True
                mask = entry.get("mask")
                if mask is not None:
                    spans_to_mask.extend((m.start, m.end, mask) for m in matches)
            body[name] = found
            continue
        if name == "language":
            from modlab.analyzers.language import analyze_language

            detected = analyze_language(text).to_dict()
            body[name] = detected
            language = detected.get("code")
            continue
        try:
            result = run_analyzer(name, text, entry)
        except AnalyzerUnavailable as exc:
            body[name] = {"available": False, "message": str(exc), "flagged": False}
            continue
        body[name] = result
        models[name] = result
        flagged = flagged or result["flagged"]
        if result["label"] != "NEUTRAL" and (top_label is None or result["score"] > top_label[1]):
            top_label = (result["label"], result["score"])

    content = apply_masks(text, spans_to_mask) if spans_to_mask else text
    head = {
        "original": text,
        "content": content,
        "content_moderated": content != text,
        "data_found": data_found,
        "flagged": flagged,
    }
    body = {**head, **{k: v for k, v in body.items() if k != "original"}}
    return ModerationResult(
        body=body,
        flagged=flagged,
        data_found=data_found,
        label=top_label[0] if top_label else None,
        score=top_label[1] if top_label else None,
        language=language,
        models=models,
    )


__all__ = ["DEFAULT_THRESHOLD", "ModerationResult", "moderate", "run_analyzer", "run_detector"]
