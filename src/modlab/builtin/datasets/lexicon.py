"""Everyday text labelled for sentiment by a lexicon (VADER), the auto-labeller of last resort.

No labelled sentiment data exists here, and the seeds and the LLM-labelled pool are mostly
tweets about contested topics and well-formed sentences: trained on them alone, `sentiment`
read ordinary SMS ("Depends on where u going lor.", "Sorry, I'll call later") as NEGATIVE.
VADER (Hutto & Gilbert 2014; the ``vaderSentiment`` wheel ships its lexicon, so nothing is
downloaded) is too crude to label text on its own — on modlab's hand-labelled real texts
(``sentiment_real``) its three classes reach macro-F1 0.60-0.63 — but its ends are reliable
on ordinary messages: there, SMS and sentences with no lexicon word at all were neutral in 50
of 50, SMS at compound >= 0.75 positive in 10 of 14 (tweets in 9 of 15: political tweets use
"great" and "love" in anger, so no tweets are taken).
Only those ends are taken, from the training share of the everyday text (never the held-out
share, which is evaluation data).
"""

from __future__ import annotations

import random
from functools import lru_cache

from modlab.builtin.datasets.concepts import Example
from modlab.builtin.datasets.sources import everyday_by_kind
from modlab.training.splits import normalise_text

# (kind of everyday text, sentiment) -> rows taken. Neutral: no VADER lexicon word at all
# (compound exactly 0); positive: compound >= POSITIVE_MIN. Negative ends are left out: on
# ordinary SMS they are mostly jokes, proverbs and chain messages ("Solve d Case: A Man Was
# Found Murdered…"), and the negative class is already the seeds' and the pool's majority.
LEXICON_SENTIMENT_ROWS: dict[tuple[str, str], int] = {
    ("sms_ham", "neutral"): 300,
    ("prose", "neutral"): 150,
    ("sms_ham", "positive"): 150,
}
POSITIVE_MIN = 0.75


@lru_cache(maxsize=1)
def _analyzer():  # noqa: ANN202 - vaderSentiment has no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_sentiment(text: str) -> str | None:
    """``neutral`` / ``positive`` where VADER is sure enough to train on, else None."""
    compound = _analyzer().polarity_scores(text)["compound"]
    if compound == 0.0:
        return "neutral"
    if compound >= POSITIVE_MIN:
        return "positive"
    return None


def lexicon_sentiment_examples(seed: int, exclude: set[str]) -> list[Example]:
    """Training-share everyday texts with their lexicon sentiment (:data:`LEXICON_SENTIMENT_ROWS`),
    none of them blank or (once normalised) in ``exclude`` — pass the evaluation keys there."""
    rng = random.Random(seed)
    out: list[Example] = []
    for kind, texts in everyday_by_kind(held_out=False).items():
        candidates = sorted({t for t in texts if t.strip() and normalise_text(t) not in exclude})
        by_label: dict[str, list[str]] = {}
        for text in candidates:
            label = lexicon_sentiment(text)
            if label is not None:
                by_label.setdefault(label, []).append(text)
        for label, pool in sorted(by_label.items()):
            n = LEXICON_SENTIMENT_ROWS.get((kind, label), 0)
            out += [
                Example(t, f"lexicon_{kind}", {}, label=label)
                for t in rng.sample(pool, min(n, len(pool)))
            ]
    return out
