"""Long texts scored window by window, so one harmful sentence is not diluted by the rest.

The built-in models learn from tweets, SMS and short hand-written sentences. Given a
2,000-character post, a bag-of-n-grams model sees the one threat among ten ordinary
sentences as a small share of its features and scores the whole below any threshold
(toxicity's held-out seeds, mean F1 over its labels: 0.62 alone, 0.00 inside 300-1,500
characters of held-out prose scored whole). Cutting the text into windows of half a tweet
and keeping, per label, the highest score of the whole text and its windows restores much
of what the model sees in short text (0.58 by windows;
:func:`modlab.builtin.evaluation.long_text_scores`).

Windows are cut at sentence ends with a regular expression, not a sentence segmenter
(pysbd, NLTK's punkt): a window only has to be readable, not a linguistic sentence, and a
segmenter would cost more per request than the linear model it feeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

# Windows of half a tweet; texts up to WHOLE_TEXT_WINDOWS windows long (a tweet) are scored
# whole: the models are trained on texts of that length, and cutting tweets in two cost
# toxicity 0.011 TweetEval hate macro-F1.
DEFAULT_WINDOW_CHARS = 140
WHOLE_TEXT_WINDOWS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+|\s*\n\s*")


def _pieces(text: str, max_chars: int) -> list[str]:
    """Sentences of ``text``; a sentence longer than ``max_chars`` is cut between words."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars + 1)
            cut = cut if cut > 0 else max_chars
            out.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if sentence:
            out.append(sentence)
    return out


def text_windows(text: str, max_chars: int = DEFAULT_WINDOW_CHARS) -> list[str]:
    """Consecutive runs of whole sentences, each at most ``max_chars`` long where the
    sentences allow; ``[]`` for a text of at most ``WHOLE_TEXT_WINDOWS * max_chars``
    characters (it is scored as it is)."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    if len(text) <= WHOLE_TEXT_WINDOWS * max_chars:
        return []
    windows: list[str] = []
    current = ""
    for piece in _pieces(text, max_chars):
        if current and len(current) + 1 + len(piece) > max_chars:
            windows.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        windows.append(current)
    return windows if len(windows) > 1 else []


def windowed_proba(
    score: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    max_chars: int = DEFAULT_WINDOW_CHARS,
    neutral_column: int | None = None,
) -> np.ndarray:
    """``score(texts)`` (an ``(n, n_labels)`` array of independent per-label scores) with
    each long text's row replaced by the per-label maximum over the whole text and its
    windows; the neutral column takes the minimum (a text is neutral only if all of it is).

    One call to ``score`` for all texts and windows, so batching models stay batched.
    """
    texts = list(texts)
    windows = [text_windows(t, max_chars) for t in texts]
    if not any(windows):
        return score(texts)
    proba = np.asarray(score(texts + [w for ws in windows for w in ws]), dtype=float)
    out = proba[: len(texts)].copy()
    start = len(texts)
    for i, ws in enumerate(windows):
        if not ws:
            continue
        block = proba[start : start + len(ws)]
        start += len(ws)
        out[i] = np.maximum(out[i], block.max(axis=0))
        if neutral_column is not None:
            out[i, neutral_column] = min(proba[i, neutral_column], block[:, neutral_column].min())
    return out
