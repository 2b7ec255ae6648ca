"""The held-out sets the targets are measured on; no training text may equal one of them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from modlab.builtin.datasets.concepts import SENTIMENTS, EvalSet, Example
from modlab.builtin.datasets.seeds import (
    identity_template_examples,
    read_labelled_lines,
    seed_heldout,
)
from modlab.builtin.datasets.sources import (
    everyday_by_kind,
    hard_negative_sections,
    heldout,
    read_davidson,
    read_sms,
    read_tweeteval,
    repo_jsonl,
    repo_list,
)
from modlab.training.splits import normalise_text

# Sentences about groups written only to evaluate (data/builtin/identity_statements.txt).
IDENTITY_STATEMENTS_FILE = "identity_statements.txt"
# Threats at a person and everyday sentences with their words (data/builtin/threat_statements.txt).
THREAT_STATEMENTS_FILE = "threat_statements.txt"
# First-person self-harm and everyday sentences (data/builtin/self_harm_statements.txt).
SELF_HARM_STATEMENTS_FILE = "self_harm_statements.txt"
# Real held-out tweets, SMS and sentences labelled by hand for sentiment (JSON lines).
SENTIMENT_REAL_FILE = "sentiment_real.jsonl"
# Real held-out SMS and tweets labelled by hand for sexual content and flirtation (JSON lines).
SEXUAL_REAL_FILE = "sexual_real.jsonl"


def eval_sets() -> dict[str, EvalSet]:
    """The held-out sets the targets are measured on (never used for training or tuning)."""
    dav = [(t, c) for t, c in read_davidson() if heldout(t)]
    comment_spam, comment_ham = _comment_spam_heldout()
    sets = (
        _eval_set(
            "tweeteval_hate",
            read_tweeteval("hate", "test"),
            "hate",
            "BERTweet 0.564; target ≥ 0.60 (macro-F1)",
        ),
        _eval_set(
            "tweeteval_offensive",
            read_tweeteval("offensive", "test"),
            "offensive",
            "TimeLMs-2021 0.822; target ≥ 0.83 (macro-F1)",
        ),
        _eval_set(
            "davidson_hate",
            ((t, c == 0) for t, c in dav),
            "hate",
            "Davidson LR 0.51; target ≥ 0.55 (hate-class F1)",
        ),
        _eval_set(
            "davidson_offensive",
            ((t, c in (0, 1)) for t, c in dav),
            "offensive",
            "(no target; hate or offensive vs neither, F1)",
        ),
        _eval_set(
            "identity_templates",
            ((e.text, e.concepts["hate"]) for e in identity_template_examples(held_out=True)),
            "hate",
            "(no target; held-out identity templates: hate vs counter-speech, negation, "
            "positive statements and abuse of non-protected targets, hate-class F1)",
        ),
        _written_set(
            "identity_statements",
            IDENTITY_STATEMENTS_FILE,
            "hate",
            "(no target; 30 sentences that name a group without hate, 15 hateful ones, "
            "written apart from the templates; hate-class F1)",
        ),
        _written_set(
            "threat_statements",
            THREAT_STATEMENTS_FILE,
            "threat",
            "(no target; 30 threats at a person, half of them implicit, 30 everyday sentences "
            "with violent idioms, injuries and sport, written apart from the seeds; threat F1)",
        ),
        _written_set(
            "self_harm_statements",
            SELF_HARM_STATEMENTS_FILE,
            "self_harm",
            "(no target; 20 first-person self-harm statements, most of them indirect, 30 "
            "everyday first-person sentences about ending, leaving, changing, cutting and pills, "
            "written apart from the seeds; self-harm F1)",
        ),
        _eval_set(
            "sexual_real",
            ((r["text"], r["sexual"]) for r in _sexual_real()),
            "sexual",
            "(no target; real held-out SMS, sex-line spam and tweets, half of them chosen by "
            "sexual / flirting keywords, labelled by hand: sexual F1)",
        ),
        _eval_set(
            "flirtation_real",
            ((r["text"], r["flirtation"]) for r in _sexual_real() if r["flirtation"] is not None),
            "flirtation",
            "(no target; the same texts where flirting could be judged: flirtation F1)",
        ),
        _eval_set(
            "sms_spam",
            ((t, s) for t, s in read_sms() if heldout(t)),
            "spam",
            "target ≥ 0.97 (SPAM F1)",
        ),
        _eval_set(
            "comment_spam",
            [(t, 1) for t in comment_spam] + [(t, 0) for t in comment_ham],
            "spam",
            "(no target; held-out hand-written comment spam vs. ordinary comments, SPAM F1)",
        ),
    )
    return {es.name: es for es in sets}


def _eval_set(
    name: str, rows: Iterable[tuple[str, int | bool]], concept: str, anchor: str
) -> EvalSet:
    """An :class:`EvalSet` from ``(text, is positive)`` rows."""
    rows = list(rows)
    return EvalSet(name, [t for t, _ in rows], [int(y) for _, y in rows], concept, anchor)


def _written_set(name: str, filename: str, concept: str, anchor: str) -> EvalSet:
    """A hand-written evaluation file (``llm_seeds.txt`` format): positive where a line's
    header names ``concept``."""
    rows = ((st.text, concept in st.concepts) for st in read_labelled_lines(filename))
    return _eval_set(name, rows, concept, anchor)


# The hard-negative section that is the ham side of the comment-spam evaluation.
COMMENT_HAM_SECTION = "ordinary comments that mention links, prices, channels and contacts"


def _comment_spam_heldout() -> tuple[list[str], list[str]]:
    """The held-out share (``seed_heldout``) of modlab's comment spam and of its ordinary
    comments with links, prices and contacts: SPAM beyond SMS, never trained on."""
    spam = [t for t in repo_list("spam_comments.txt") if seed_heldout(t)]
    ham = [t for s, t in hard_negative_sections() if s == COMMENT_HAM_SECTION and seed_heldout(t)]
    return spam, ham


def everyday_heldout() -> dict[str, list[str]]:
    """Ordinary text never trained on: the held-out SMS ham and lingua English sentences.

    The share of it that a harm analyzer flags is its false-positive rate on everyday
    traffic, where the tweet benchmarks (a third to three quarters offensive) cannot see it.
    """
    return everyday_by_kind(held_out=True)


@lru_cache(maxsize=1)
def _sexual_real() -> tuple[dict, ...]:
    """Rows of :data:`SEXUAL_REAL_FILE`: ``text``, ``source``, ``sexual`` and ``flirtation``
    (None where it could not be judged, e.g. sex-line spam). Drawn from evaluation data only
    (held-out SMS ham and spam, held-out Davidson tweets, TweetEval test tweets)."""
    rows = []
    for n, row in repo_jsonl(SEXUAL_REAL_FILE):
        sexual_ok = isinstance(row.get("sexual"), bool)
        if not sexual_ok or row.get("flirtation") not in (True, False, None):
            raise ValueError(
                f"{SEXUAL_REAL_FILE}:{n}: 'sexual' must be true/false, 'flirtation' true/false/null"
            )
        rows.append(row)
    return tuple(rows)


@lru_cache(maxsize=1)
def sentiment_real() -> tuple[tuple[str, str, str], ...]:
    """``(text, sentiment, source)`` of real texts labelled by hand for sentiment.

    Drawn from texts that are evaluation data already (TweetEval test tweets, the held-out
    SMS ham and English sentences), so never trained on; the seeds the sentiment model
    learns from are hand-written, and this set says how it does on text nobody wrote for it.
    """
    rows = []
    for n, row in repo_jsonl(SENTIMENT_REAL_FILE):
        if row.get("sentiment") not in SENTIMENTS:
            raise ValueError(
                f"{SENTIMENT_REAL_FILE}:{n}: unknown sentiment {row.get('sentiment')!r}"
            )
        rows.append((row["text"], row["sentiment"], row["source"]))
    return tuple(rows)


@lru_cache(maxsize=1)
def eval_keys() -> frozenset[str]:
    """Normalised texts of every evaluation set: such texts are never trained on."""
    keys: set[str] = set()
    for es in eval_sets().values():
        keys.update(normalise_text(t) for t in es.texts)
    for texts in everyday_heldout().values():
        keys.update(normalise_text(t) for t in texts)
    keys.update(normalise_text(text) for text, _, _ in sentiment_real())
    return frozenset(keys)


def drop_eval(examples: Iterable[Example]) -> list[Example]:
    banned = eval_keys()
    return [e for e in examples if e.text.strip() and normalise_text(e.text) not in banned]
