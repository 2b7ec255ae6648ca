"""Span-level evaluation of detectors: IoU matching, precision/recall/F-beta, timing.

Used by ``scripts/eval_detectors.py`` and the notebooks. A prediction matches a gold span
of the same family when their character IoU is at least a threshold (0.5 by default),
one-to-one, greedily by best IoU, which is how Presidio's evaluator scores spans too.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from modlab.detectors.base import DEFAULT_OPTIONS, DetectorOptions, Mode

# Presidio-research entity types → modlab detector families.
ENTITY_TO_FAMILY: dict[str, str] = {
    "STREET_ADDRESS": "address",
    "GPE": "address",
    "PERSON": "name",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "DOMAIN_NAME": "url",
    "CREDIT_CARD": "sensitive",
    "US_SSN": "sensitive",
    "IBAN_CODE": "sensitive",
    "IP_ADDRESS": "sensitive",
    "US_DRIVER_LICENSE": "sensitive",
}

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Example:
    """One text with its gold spans per family."""

    text: str
    gold: dict[str, list[Span]]


@dataclass(slots=True)
class Counts:
    """True/false positives and false negatives for one family."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def f_beta(self, beta: float) -> float:
        p, r = self.precision, self.recall
        if p == 0.0 and r == 0.0:
            return 0.0
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r)


@dataclass(slots=True)
class FamilyResult:
    family: str
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    texts: int = 0

    @property
    def ms_per_text(self) -> float:
        """Wall-clock milliseconds per text (inflated when other processes share the CPU)."""
        return 1000.0 * self.seconds / self.texts if self.texts else 0.0

    @property
    def cpu_ms_per_text(self) -> float:
        """CPU milliseconds per text: the detector's own cost, stable under machine load."""
        return 1000.0 * self.cpu_seconds / self.texts if self.texts else 0.0


def iou(a: Span, b: Span) -> float:
    """Character intersection over union of two half-open spans."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def match_spans(gold: Sequence[Span], pred: Sequence[Span], threshold: float = 0.5) -> Counts:
    """One-to-one greedy matching by IoU (best pairs first)."""
    pairs = sorted(
        ((iou(g, p), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred)),
        reverse=True,
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    for score, gi, pi in pairs:
        if score < threshold:
            break
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
    tp = len(used_g)
    return Counts(tp=tp, fp=len(pred) - tp, fn=len(gold) - tp)


_JOINER = re.compile(r"[\W_]{0,6}")


def merge_adjacent(text: str, spans: Iterable[Span]) -> list[Span]:
    """Join spans separated only by a few non-alphanumeric characters (", ", "\n> ").

    The synthetic data labels one address sometimes as one span and sometimes as five
    fragments (number, street, unit, city, postcode); at family level both are one
    address, so gold and predictions are merged the same way before matching.
    """
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and (start <= out[-1][1] or _JOINER.fullmatch(text[out[-1][1] : start])):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def load_presidio_synth(path: str | Path) -> list[Example]:
    """Presidio-research's synth_dataset_v2.json as examples with family-level gold spans."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    examples = []
    for row in rows:
        gold: dict[str, list[Span]] = {}
        for span in row["spans"]:
            family = ENTITY_TO_FAMILY.get(span["entity_type"])
            if family:
                gold.setdefault(family, []).append((span["start_position"], span["end_position"]))
        examples.append(Example(text=row["full_text"], gold=gold))
    return examples


def split_dev_test(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """Deterministic halves by a hash of the text: tune on dev, report on test."""
    dev, test = [], []
    for ex in examples:
        digest = hashlib.sha256(ex.text.encode("utf-8")).digest()
        (dev if digest[0] % 2 == 0 else test).append(ex)
    return dev, test


def evaluate(
    examples: Sequence[Example],
    detectors: dict[str, Callable[[str], list[Span]]],
    *,
    threshold: float = 0.5,
    merge: bool = True,
) -> dict[str, FamilyResult]:
    """Score each family's detector on ``examples`` (plus per-text timing)."""
    results = {family: FamilyResult(family) for family in detectors}
    for ex in examples:
        for family, detect in detectors.items():
            started, cpu_started = time.perf_counter(), time.thread_time()
            pred = detect(ex.text)
            results[family].seconds += time.perf_counter() - started
            results[family].cpu_seconds += time.thread_time() - cpu_started
            results[family].texts += 1
            gold = ex.gold.get(family, [])
            if merge:
                gold, pred = merge_adjacent(ex.text, gold), merge_adjacent(ex.text, pred)
            results[family].counts.add(match_spans(gold, pred, threshold))
    return results


def modlab_detector(
    family: str, mode: Mode, options: DetectorOptions = DEFAULT_OPTIONS
) -> Callable[[str], list[Span]]:
    """Adapter: a registered modlab detector as ``text -> spans``."""
    from modlab.detectors.registry import get_detector

    detector = get_detector(family)
    return lambda text: [(m.start, m.end) for m in detector.detect(text, mode, options)]


def overall(results: dict[str, FamilyResult], families: Iterable[str] | None = None) -> Counts:
    """Micro-averaged counts over ``families`` (all by default)."""
    total = Counts()
    for family, result in results.items():
        if families is None or family in families:
            total.add(result.counts)
    return total
