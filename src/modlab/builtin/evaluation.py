"""Score the built-in analyzers on the held-out sets and print the target table.

The sets (:func:`modlab.builtin.datasets.eval_sets`) are never used for training or
threshold tuning. A text counts as flagged for a concept when any of the analyzer's labels
for that concept reaches its calibrated threshold (the service's rule); the concept's
score is the highest of those labels' scores (used for AUPRC and ECE).
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_recall_fscore_support

from modlab.analyzers.builtin import builtin_dir, is_built
from modlab.builtin import datasets as ds
from modlab.builtin.datasets import NO_DATA_LABELS, EvalSet, eval_sets
from modlab.training.calibration import ece_noise_floor, expected_calibration_error
from modlab.training.predictor import Predictor
from modlab.training.windows import DEFAULT_WINDOW_CHARS

# Which labels of each analyzer answer each evaluation concept.
CONCEPT_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "toxicity": {
        "hate": ("DISCRIMINATION",),
        "offensive": ("TOXICITY", "PROFANITY", "DISCRIMINATION"),
        "threat": ("TOXICITY",),
    },
    "openai": {
        "hate": ("hate",),
        "offensive": ("harassment", "hate"),
        "threat": ("harassment/threatening",),
        "self_harm": ("self-harm",),
        "sexual": ("sexual",),
    },
    "sightengine": {
        "hate": ("discriminatory",),
        "offensive": ("insulting", "toxic", "discriminatory"),
        "threat": ("violent",),
        "sexual": ("sexual",),
    },
    "nsfw": {"threat": ("UNSAFE",), "self_harm": ("UNSAFE",), "sexual": ("UNSAFE",)},
    "propriety": {"sexual": ("SEXUALLY_EXPLICIT",), "flirtation": ("FLIRTATION",)},
    "quality": {"spam": ("SPAM",)},
}
# (eval set, analyzer, metric, target) rows of the target table.
TARGETS: tuple[tuple[str, str, str, float | None], ...] = (
    ("tweeteval_hate", "toxicity", "macro_f1", 0.60),
    ("tweeteval_offensive", "toxicity", "macro_f1", 0.83),
    ("davidson_hate", "toxicity", "f1", 0.55),
    ("sms_spam", "quality", "f1", 0.97),
)
ECE_TARGET = 0.05


@dataclass
class SetScore:
    eval_set: str
    analyzer: str
    labels: tuple[str, ...]
    n: int
    positives: int
    macro_f1: float
    f1: float
    precision: float
    recall: float
    auprc: float
    ece: float
    ece_floor: float  # the ECE perfectly calibrated scores would show on this many rows

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def concept_scores(
    predictor: Predictor, labels: Sequence[str], texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(score, flagged) per text for a group of the predictor's labels."""
    proba = predictor.predict_proba(list(texts))
    names = predictor.labels_
    cols = [names.index(lbl) for lbl in labels]
    thresholds = np.array([predictor.threshold(lbl) for lbl in labels])
    sub = proba[:, cols]
    return sub.max(axis=1), (sub >= thresholds).any(axis=1)


def score_set(
    predictor: Predictor, analyzer: str, es: EvalSet, cache: dict | None = None
) -> SetScore:
    labels = CONCEPT_LABELS[analyzer][es.concept]
    if cache is not None and "proba" in cache:
        proba = cache["proba"]
    else:
        proba = predictor.predict_proba(es.texts)
        if cache is not None:
            cache["proba"] = proba
    names = predictor.labels_
    cols = [names.index(lbl) for lbl in labels]
    thresholds = np.array([predictor.threshold(lbl) for lbl in labels])
    score = proba[:, cols].max(axis=1)
    flag = (proba[:, cols] >= thresholds).any(axis=1).astype(int)
    y = np.asarray(es.y, dtype=int)
    tp = int((flag & y).sum())
    precision = tp / flag.sum() if flag.sum() else 0.0
    recall = tp / y.sum() if y.sum() else 0.0
    return SetScore(
        eval_set=es.name,
        analyzer=analyzer,
        labels=labels,
        n=len(y),
        positives=int(y.sum()),
        macro_f1=float(f1_score(y, flag, average="macro")),
        f1=float(f1_score(y, flag)),
        precision=float(precision),
        recall=float(recall),
        auprc=float(average_precision_score(y, score)) if 0 < y.sum() < len(y) else math.nan,
        ece=float(expected_calibration_error(y, score)),
        ece_floor=ece_noise_floor(score),
    )


def evaluate_predictor(
    predictor: Predictor, analyzer: str, sets: dict[str, EvalSet] | None = None
) -> list[SetScore]:
    """Every evaluation set the analyzer has labels for."""
    sets = sets or eval_sets()
    concepts = CONCEPT_LABELS.get(analyzer, {})  # none for sentiment
    out = []
    cache_by_set: dict[tuple[str, ...], dict] = {}
    for es in sets.values():
        if es.concept not in concepts:
            continue
        # Davidson hate and offensive share their texts: score them once.
        key = (len(es.texts), es.texts[0] if es.texts else "")
        out.append(score_set(predictor, analyzer, es, cache_by_set.setdefault(key, {})))
    return out


# Analyzers whose labels come (partly) from the hand-written seeds: scored on the held-out share.
SEED_ANALYZERS = ("toxicity", "propriety", "nsfw", "sentiment", "openai", "sightengine")


def evaluate_seeds(predictor: Predictor, analyzer: str) -> dict[str, Any]:
    """Per-label precision/recall/F1 on the held-out hand-written seeds (never trained on).

    The seeds are the reviewed core of the LLM-labelled concepts (sexual, flirtation,
    threat, violence, self-harm, sensitive topics, sentiment) and add hand-labelled hate and
    offensive text (toxicity): a label is predicted when it reaches its calibrated threshold
    (sentiment: the arg-max class). Few positives per label, so read the figures as ±0.1-0.2.
    """
    held = [s for s in ds.read_seeds() if ds.seed_heldout(s.text)]
    names = list(predictor.labels_)
    if analyzer == "sentiment":
        rows = [s for s in held if s.sentiment]
        gold, pred = _argmax_class_matrices(
            predictor, [s.text for s in rows], [s.sentiment for s in rows]
        )
    else:
        rows, gold, _ = _held_out_seed_labels(predictor, analyzer)
        pred = predictor.flags([s.text for s in rows]).astype(int)
    labels = [n for n in names if n != "NEUTRAL" or analyzer == "sentiment"]
    cols = [names.index(n) for n in labels]
    p, r, f, support = precision_recall_fscore_support(
        gold[:, cols], pred[:, cols], average=None, zero_division=0
    )
    return {
        "n_seeds": len(rows),
        "labels": {
            lbl: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                  "positives": int(support[i])}
            for i, lbl in enumerate(labels)
        },
    }  # fmt: skip


def _argmax_class_matrices(
    predictor: Predictor, texts: Sequence[str], classes: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """0/1 gold and arg-max prediction matrices (predictor's label order) of a single-label
    analyzer; ``classes`` are label names in any case."""
    names = list(predictor.labels_)
    gold = np.zeros((len(texts), len(names)), dtype=int)
    for i, label in enumerate(classes):
        gold[i, names.index(label.upper())] = 1
    pred = np.zeros_like(gold)
    if len(texts):
        pred[np.arange(len(texts)), predictor.predict_proba(list(texts)).argmax(axis=1)] = 1
    return gold, pred


def evaluate_sentiment_real(predictor: Predictor) -> dict[str, Any]:
    """Macro-F1 and per-class scores (arg-max class) on real texts labelled by hand
    (:func:`modlab.builtin.datasets.sentiment_real`: held-out tweets, SMS and sentences),
    overall and per source. The held-out seeds say how the model does on text like its
    training data; this says how it does on ordinary traffic nobody wrote for it."""
    rows = ds.sentiment_real()
    names = list(predictor.labels_)
    gold, pred = _argmax_class_matrices(predictor, [r[0] for r in rows], [r[1] for r in rows])
    y, p = gold.argmax(axis=1), pred.argmax(axis=1)
    prec, rec, f1, support = precision_recall_fscore_support(
        y, p, labels=range(len(names)), zero_division=0
    )
    by_source = {}
    for source in sorted({r[2] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r[2] == source]
        by_source[source] = {"n": len(idx), "accuracy": float(np.mean(y[idx] == p[idx]))}
    macro = f1_score(y, p, labels=range(len(names)), average="macro", zero_division=0)
    return {
        "n": len(rows),
        "macro_f1": float(macro),
        "accuracy": float(np.mean(y == p)),
        "labels": {
            name: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]),
                   "support": int(support[i])}
            for i, name in enumerate(names)
        },
        "by_source": by_source,
    }  # fmt: skip


# Analyzers that flag harm: their share of flagged everyday text is a false-positive rate.
HARM_ANALYZERS = ("toxicity", "openai", "sightengine", "propriety", "nsfw")


def everyday_flag_rates(predictor: Predictor) -> dict[str, dict[str, Any]]:
    """Share of held-out everyday text (SMS ham, clean prose) flagged, by any label and per
    label. Real traffic is mostly such text: a few percent here is most of what a moderator
    sees. (nsfw SENSITIVE flags topics — politics, religion, health — by design.)"""
    out: dict[str, dict[str, Any]] = {}
    names = predictor.labels_
    cols = [i for i, n in enumerate(names) if n != predictor.neutral_label]
    for kind, texts in ds.everyday_heldout().items():
        flags = predictor.flags(texts)
        out[kind] = {
            "n": len(texts),
            "flagged": float(flags[:, cols].any(axis=1).mean()),
            "labels": {names[i]: float(flags[:, i].mean()) for i in cols},
        }
    return out


def _held_out_seed_labels(
    predictor: Predictor, analyzer: str
) -> tuple[list[ds.Seed], np.ndarray, list[int]]:
    """The held-out seeds, their 0/1 label matrix in the predictor's label order, and the
    columns of the flagging labels that have a positive among them."""
    held = [s for s in ds.read_seeds() if ds.seed_heldout(s.text)]
    names = list(predictor.labels_)
    gold = np.zeros((len(held), len(names)), dtype=int)
    for i, s in enumerate(held):
        for label in ds.concept_labels(analyzer, ds.seed_example(s)):
            gold[i, names.index(label)] = 1
    cols = [c for c, n in enumerate(names) if n != predictor.neutral_label and gold[:, c].any()]
    return held, gold, cols


def _mean_label_f1(
    predictor: Predictor, texts: list[str], gold: np.ndarray, cols: list[int]
) -> float:
    """Mean F1 over the label columns ``cols`` of ``predictor``'s flags on ``texts``."""
    flags = predictor.flags(texts)
    return float(np.mean([f1_score(gold[:, c], flags[:, c], zero_division=0) for c in cols]))


def _in_context(text: str, filler: Sequence[str], rng: random.Random) -> str:
    """``text`` between 2-5 and 0-3 random filler texts (a post, a chat log)."""
    before = rng.sample(list(filler), rng.randint(2, 5))
    after = rng.sample(list(filler), rng.randint(0, 3))
    return " ".join([*before, text.strip(), *after])


def long_text_scores(predictor: Predictor, analyzer: str, seed: int = 0) -> dict[str, Any]:
    """Long texts, scored whole and window by window (``predictor.window_chars``).

    Each held-out seed is put inside held-out everyday text (clean prose or SMS ham; a post
    or a chat log of 300-1,500 characters) and keeps its labels: the mean F1 over the labels
    says whether a harmful sentence survives its context. 300 documents of 5-10 everyday
    texts alone say how often a long harmless text is flagged.
    """
    rng = random.Random(seed)
    everyday = ds.everyday_heldout()
    held, gold, cols_with_pos = _held_out_seed_labels(predictor, analyzer)
    cols = [i for i, n in enumerate(predictor.labels_) if n != predictor.neutral_label]
    docs = {
        kind: [_in_context(s.text, filler, rng) for s in held] for kind, filler in everyday.items()
    }
    benign = {
        kind: [" ".join(rng.sample(filler, rng.randint(5, 10))) for _ in range(300)]
        for kind, filler in everyday.items()
    }
    window = predictor.window_chars
    out: dict[str, Any] = {"window_chars": window}
    for mode, chars in (("whole", None), ("windows", window or DEFAULT_WINDOW_CHARS)):
        scorer = copy.copy(predictor)  # the same model, scoring long texts this way
        scorer.window_chars = chars
        row: dict[str, float] = {}
        for kind in everyday:
            row[f"seeds_in_{kind}_f1"] = _mean_label_f1(scorer, docs[kind], gold, cols_with_pos)
            row[f"{kind}_docs_flagged"] = float(
                scorer.flags(benign[kind])[:, cols].any(axis=1).mean()
            )
        out[mode] = row
    return out


# How evaders disguise a word (the kinds seen in the tweet sets and in moderation logs).
_LEETS = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"}
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р"}  # look-alike letters
EVASIONS = ("leet", "mask", "spaced", "dots", "stretch", "homoglyph")


def disguise(word: str, kind: str, rng: random.Random) -> str:
    """``word`` disguised one way: "k1ll", "st*pid", "k i l l", "k.i.l.l", "stuuupid",
    or with a Cyrillic look-alike letter."""
    low = word.lower()
    if kind in ("leet", "homoglyph", "mask"):
        table = {"leet": _LEETS, "homoglyph": _CYRILLIC}.get(kind, dict.fromkeys("aeiou", "*"))
        spots = [i for i, c in enumerate(low) if c in table and (kind != "mask" or i > 0)]
        if not spots:
            return word
        i = rng.choice(spots)
        return word[:i] + table[low[i]] + word[i + 1 :]
    if kind == "stretch":
        i = rng.randrange(len(word))
        return word[: i + 1] + word[i] * 2 + word[i + 1 :]
    return (" " if kind == "spaced" else ".").join(word)


_LONGER_WORD = re.compile(r"[A-Za-z]{4,}")


def _disguise_half(text: str, kind: str, rng: random.Random) -> str:
    """``text`` with each word of four letters or more disguised with probability 1/2."""

    def one(m: re.Match[str]) -> str:
        return disguise(m.group(0), kind, rng) if rng.random() < 0.5 else m.group(0)

    return _LONGER_WORD.sub(one, text)


def evasion_scores(predictor: Predictor, analyzer: str, seed: int = 0) -> dict[str, float]:
    """Mean F1 over labels on the held-out seeds, clean and with half of their words of
    four letters or more disguised (one kind of :data:`EVASIONS` at a time)."""
    held, gold, cols = _held_out_seed_labels(predictor, analyzer)
    out = {"clean": _mean_label_f1(predictor, [s.text for s in held], gold, cols)}
    for kind in EVASIONS:
        rng = random.Random(seed)
        texts = [_disguise_half(s.text, kind, rng) for s in held]
        out[kind] = _mean_label_f1(predictor, texts, gold, cols)
    return out


def load_build_info(path: Path) -> dict[str, Any]:
    info = path / "build.json"
    return json.loads(info.read_text()) if info.exists() else {}


def evaluate_builtins(models_dir: Path, names: Sequence[str]) -> dict[str, Any]:
    """Scores of every built analyzer among ``names`` (missing ones are reported as such)."""
    sets = eval_sets()
    results: dict[str, Any] = {}
    for name in names:
        if not is_built(name, models_dir):
            results[name] = {"built": False}
            continue
        path = builtin_dir(name, models_dir)
        predictor = Predictor.load(path)
        info = load_build_info(path)
        results[name] = {
            "built": True,
            "trainer": info.get("trainer"),
            "build_seconds": info.get("build_seconds"),
            "internal_test": info.get("metrics", {}),
            "sets": [s.to_dict() for s in evaluate_predictor(predictor, name, sets)],
            "thresholds": predictor.thresholds,
        }
        if name in SEED_ANALYZERS:
            results[name]["seeds"] = evaluate_seeds(predictor, name)
        if name == "sentiment":
            results[name]["real_texts"] = evaluate_sentiment_real(predictor)
        if name in HARM_ANALYZERS:
            results[name]["everyday"] = everyday_flag_rates(predictor)
            results[name]["long_texts"] = long_text_scores(predictor, name)
            results[name]["evasions"] = evasion_scores(predictor, name)
    return results


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "  -  "
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_report(results: dict[str, Any]) -> str:
    lines = ["Targets (held-out splits never used for training or thresholds)", ""]
    lines.append(
        f"{'eval set':<22}{'analyzer':<13}{'metric':<10}{'value':>7}{'target':>8}  ok   anchor"
    )
    sets = eval_sets()
    for set_name, analyzer, metric, target in TARGETS:
        res = results.get(analyzer, {})
        row = next((s for s in res.get("sets", []) if s["eval_set"] == set_name), None)
        value = row[metric] if row else None
        ok = "" if value is None else ("yes" if value >= target else "NO")
        lines.append(
            f"{set_name:<22}{analyzer:<13}{metric:<10}{_fmt(value):>7}{target:>8.2f}  "
            f"{ok:<4} {sets[set_name].anchor}"
        )
    lines += [
        "",
        "Calibration: ECE of the analyzer's scores (target ≤ 0.05); in brackets the ECE that",
        "perfectly calibrated scores would show on as many rows (small sets cannot show less)",
        "",
    ]
    lines.append(f"{'analyzer':<13}{'trainer':<13}{'build s':>8}{'ECE test':>16}  per eval set")
    for name, res in results.items():
        if not res.get("built"):
            lines.append(f"{name:<13}not built")
            continue
        test = res["internal_test"]
        ece = f"{_fmt(test.get('ece'))} ({_fmt(test.get('ece_floor'))})"
        per = ", ".join(
            f"{s['eval_set']} {_fmt(s['ece'])} ({_fmt(s.get('ece_floor'))})" for s in res["sets"]
        )
        lines.append(
            f"{name:<13}{res['trainer'] or '?':<13}{_fmt(res['build_seconds']):>8}{ece:>16}  {per}"
        )
    lines += [
        "",
        "Every analyzer on every held-out set it has labels for",
        "",
        f"{'analyzer':<13}{'eval set':<22}{'labels':<38}{'macroF1':>8}{'F1':>7}{'P':>7}"
        f"{'R':>7}{'AUPRC':>7}{'ECE':>7}",
    ]
    for name, res in results.items():
        for s in res.get("sets", []):
            lines.append(
                f"{name:<13}{s['eval_set']:<22}{'/'.join(s['labels']):<38}"
                f"{_fmt(s['macro_f1']):>8}{_fmt(s['f1']):>7}{_fmt(s['precision']):>7}"
                f"{_fmt(s['recall']):>7}{_fmt(s['auprc']):>7}{_fmt(s['ece']):>7}"
            )
    lines += _everyday_section(results) + _long_text_section(results)
    lines += _evasion_section(results)
    lines += [
        "",
        "LLM-labelled concepts on the held-out hand-written seeds (few positives: ±0.1-0.2)",
        "",
        f"{'analyzer':<13}{'label':<26}{'pos':>5}{'P':>7}{'R':>7}{'F1':>7}",
    ]
    for name, res in results.items():
        seeds = res.get("seeds")
        if not seeds:
            continue
        for label, m in seeds["labels"].items():
            lines.append(
                f"{name:<13}{label:<26}{m['positives']:>5}{_fmt(m['precision']):>7}"
                f"{_fmt(m['recall']):>7}{_fmt(m['f1']):>7}"
            )
    lines += _sentiment_real_section(results)
    lines += ["", "Per-label metrics on the internal test split (same sources as training)", ""]
    for name, res in results.items():
        if not res.get("built"):
            continue
        m = res["internal_test"]
        labels = [k.split(".", 1)[1] for k in m if k.startswith("f1.")]
        for label in labels:
            if label in NO_DATA_LABELS.get(name, ()):
                continue
            lines.append(
                f"{name:<13}{label:<24} F1 {_fmt(m.get(f'f1.{label}')):>6}  "
                f"AUPRC {_fmt(m.get(f'auprc.{label}')):>6}  ECE {_fmt(m.get(f'ece.{label}')):>6}  "
                f"support {int(m.get(f'support.{label}', 0))}"
            )
        missing = NO_DATA_LABELS.get(name, ())
        if missing:
            lines.append(f"{name:<13}no labelled data (score 0, never flag): {', '.join(missing)}")
    return "\n".join(lines)


def _heading(*lines: str) -> list[str]:
    """A report section's start: a blank line, the title lines, a blank line, the header."""
    return ["", *lines[:-1], "", lines[-1]]


def _sentiment_real_section(results: dict[str, Any]) -> list[str]:
    real = results.get("sentiment", {}).get("real_texts")
    if not real:
        return []
    lines = _heading(
        f"sentiment on {real['n']} real texts labelled by hand (held-out tweets, SMS, sentences):",
        f"macro-F1 {_fmt(real['macro_f1'])}, accuracy {_fmt(real['accuracy'])}",
        f"{'label':<13}{'n':>5}{'P':>7}{'R':>7}{'F1':>7}",
    )
    for label, m in real["labels"].items():
        lines.append(
            f"{label:<13}{m['support']:>5}{_fmt(m['precision']):>7}{_fmt(m['recall']):>7}"
            f"{_fmt(m['f1']):>7}"
        )
    per = ", ".join(
        f"{src} {_fmt(m['accuracy'])} (n {m['n']})" for src, m in real["by_source"].items()
    )
    return [*lines, f"accuracy by source: {per}"]


def _everyday_section(results: dict[str, Any]) -> list[str]:
    lines = _heading(
        "Everyday text flagged (held-out SMS ham and lingua English sentences; false positives)",
        f"{'analyzer':<13}{'text':<10}{'n':>6}{'flagged':>9}  most flagged labels",
    )
    for name, res in results.items():
        for kind, rates in res.get("everyday", {}).items():
            top = sorted(rates["labels"].items(), key=lambda kv: -kv[1])[:3]
            worst = ", ".join(f"{label} {rate:.3f}" for label, rate in top if rate > 0)
            lines.append(f"{name:<13}{kind:<10}{rates['n']:>6}{_fmt(rates['flagged']):>9}  {worst}")
    return lines


def _long_text_section(results: dict[str, Any]) -> list[str]:
    lines = _heading(
        "Long texts: held-out seeds inside 300-1,500 characters of held-out prose / SMS ham",
        "(mean F1 over labels), and long harmless texts flagged; scored whole vs by windows",
        f"{'analyzer':<13}{'mode':<9}{'seeds in prose':>15}{'in SMS':>8}"
        f"{'prose docs flagged':>20}{'SMS docs flagged':>18}",
    )
    for name, res in results.items():
        long = res.get("long_texts")
        for mode in ("whole", "windows") if long else ():
            m = long[mode]
            lines.append(
                f"{name:<13}{mode:<9}{_fmt(m['seeds_in_prose_f1']):>15}"
                f"{_fmt(m['seeds_in_sms_ham_f1']):>8}{_fmt(m['prose_docs_flagged']):>20}"
                f"{_fmt(m['sms_ham_docs_flagged']):>18}"
            )
    return lines


def _evasion_section(results: dict[str, Any]) -> list[str]:
    lines = _heading(
        "Evasions: held-out seeds with half their longer words disguised (mean F1 over labels)",
        f"{'analyzer':<13}{'clean':>7}" + "".join(f"{k:>11}" for k in EVASIONS),
    )
    for name, res in results.items():
        ev = res.get("evasions")
        if ev:
            cells = "".join(f"{_fmt(ev[k]):>11}" for k in EVASIONS)
            lines.append(f"{name:<13}{_fmt(ev['clean']):>7}{cells}")
    return lines
