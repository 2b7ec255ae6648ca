"""The concepts every training row is mapped to, and each analyzer's labels as a mapping of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from modlab.analyzers.builtin import BUILTIN_LABELS

CONCEPTS = ("hate", "offensive", "profane")


# Analyzer label -> the concepts that make it positive (any of them).
CONCEPT_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "toxicity": {
        "TOXICITY": ("offensive",),
        "PROFANITY": ("profane",),
        "DISCRIMINATION": ("hate",),
    },
    "openai": {
        "hate": ("hate",),
        "harassment": ("offensive",),
        # LLM-labelled concepts (see "LLM-labelled concepts" below)
        "sexual": ("sexual",),
        "sexual/minors": ("sexual_minors",),
        "harassment/threatening": ("threat",),
        "hate/threatening": ("hate_threat",),
        "self-harm": ("self_harm",),
        "self-harm/intent": ("self_harm_intent",),
        "self-harm/instructions": ("self_harm_instructions",),
        "violence": ("violence", "threat"),
        "violence/graphic": ("violence_graphic",),
    },
    "sightengine": {
        "discriminatory": ("hate",),
        "insulting": ("offensive",),
        "toxic": ("offensive", "profane"),
        "sexual": ("sexual",),
        "violent": ("violence", "threat"),
    },
    "propriety": {
        "FLIRTATION": ("flirtation",),
        "SEXUALLY_EXPLICIT": ("sexual",),
    },
    "nsfw": {
        "UNSAFE": (
            "sexual",
            "threat",
            "violence",
            "self_harm",
            "drugs_weapons",
        ),
        "SENSITIVE": ("sensitive",),
    },
}


# Labels of the multi-label analyzers with no labelled data yet (scored 0, never flag).
NO_DATA_LABELS: dict[str, tuple[str, ...]] = {
    name: tuple(lbl for lbl in BUILTIN_LABELS[name] if lbl not in mapping and lbl != "NEUTRAL")
    for name, mapping in CONCEPT_MAP.items()
}


@dataclass
class Example:
    text: str
    source: str
    concepts: dict[str, bool] = field(default_factory=dict)  # hate / offensive / profane
    label: str | None = None  # single-label analyzers (quality)


@dataclass
class EvalSet:
    """A held-out set scored by :mod:`modlab.builtin.evaluation` (one binary concept)."""

    name: str
    texts: list[str]
    y: list[int]
    concept: str  # hate / offensive / threat / spam
    anchor: str = ""


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def _profanity_lexicon() -> tuple[frozenset[str], dict[str, list[tuple[str, ...]]]]:
    """modlab's English swear-word list (LDNOOBW + modlab's additions, with inflections).

    Plain token lookup, not the profanity *detector*: the label must not change when the
    detector's fuzzy matching or language checks do, and it must be fast (50k texts).
    """
    from modlab.detectors.profanity import build_lexicon

    lex = build_lexicon(["en"])
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for phrase in lex.phrases:
        phrases.setdefault(phrase[0], []).append(phrase)
    return frozenset(lex.exact), phrases


def is_profane(text: str) -> bool:
    from modlab.detectors.profanity import safe_phrase_spans

    words, phrases = _profanity_lexicon()
    for start, end in reversed(safe_phrase_spans(text)):  # "Moby Dick", "blue tit"
        text = text[:start] + " " + text[end:]
    tokens = _TOKEN.findall(text.lower())
    if any(t in words for t in tokens):
        return True
    return any(
        tuple(tokens[i : i + len(p)]) == p
        for i, tok in enumerate(tokens)
        for p in phrases.get(tok, ())
    )


def concept_labels(name: str, ex: Example) -> list[str]:
    """The analyzer's labels for one example (multi-label; NEUTRAL when none applies)."""
    hits = [lbl for lbl, cs in CONCEPT_MAP[name].items() if any(ex.concepts.get(c) for c in cs)]
    if not hits and "NEUTRAL" in BUILTIN_LABELS[name]:
        return ["NEUTRAL"]
    return hits


LLM_CONCEPTS = (
    "sexual",
    "sexual_minors",
    "flirtation",
    "threat",
    "violence",
    "violence_graphic",
    "self_harm",
    "self_harm_intent",
    "self_harm_instructions",
    "drugs_weapons",
    "sensitive",
)


# Every concept an example can carry (the moderation pool's and the LLM-labelled ones).
ALL_CONCEPTS = (*CONCEPTS, *LLM_CONCEPTS, "hate_threat")


SENTIMENTS = ("positive", "negative", "neutral")


# Implied concepts (a subtype implies its parent).
IMPLIED_CONCEPTS = {
    "sexual_minors": ("sexual",),
    "violence_graphic": ("violence",),
    "self_harm_intent": ("self_harm",),
    "self_harm_instructions": ("self_harm",),
}
