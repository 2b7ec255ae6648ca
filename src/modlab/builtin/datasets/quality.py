"""The quality pool: SMS spam, modlab's comment spam, and generated INCOHERENT /
UNSUBSTANTIAL text (no public labelled data for those two).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from modlab.builtin.datasets.concepts import Example
from modlab.builtin.datasets.evalsets import drop_eval
from modlab.builtin.datasets.sources import (
    hard_negatives,
    heldout,
    read_english_sentences,
    read_sms,
    read_tweeteval,
    repo_list,
)

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")


def _augment_reply(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        text = text.upper()
    elif r < 0.4 and text[:1].isalpha():
        text = text.capitalize()
    if rng.random() < 0.25 and text and text[-1].isalpha():
        text += text[-1] * rng.randint(1, 4)
    if rng.random() < 0.25:
        text += rng.choice(["!", "!!", "!!!", ".", "...", "?", " :)", " 😂", " 👍", " 🔥"])
    return text


def keyboard_mash(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(1, 6)):
        row = rng.choice(_KEYBOARD_ROWS[:3]) if rng.random() < 0.8 else "".join(_KEYBOARD_ROWS)
        words.append("".join(rng.choice(row) for _ in range(rng.randint(3, 12))))
    return " ".join(words)


def word_salad(rng: random.Random, vocab: Sequence[str]) -> str:
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(4, 18))).capitalize()


def shuffled_sentence(rng: random.Random, sentences: Sequence[str]) -> str:
    words = rng.choice(sentences).split()
    rng.shuffle(words)
    return " ".join(words)


def char_noise(rng: random.Random, sentences: Sequence[str]) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    chars = list(rng.choice(sentences))
    rate = rng.uniform(0.35, 0.7)
    for i, ch in enumerate(chars):
        if ch.isalpha() and rng.random() < rate:
            chars[i] = rng.choice(letters)
    return "".join(chars)


def incoherent_texts(n: int, seed: int = 7) -> list[str]:
    """Generated gibberish of four kinds: keyboard mash, word salad, shuffled, char noise."""
    rng = random.Random(seed)
    sentences = [s for s in read_english_sentences() if 5 <= len(s.split()) <= 25]
    vocab = sorted({w.strip(".,;:!?\"'()").lower() for s in sentences[:3000] for w in s.split()})
    vocab = [w for w in vocab if w.isalpha()]
    makers: list[Callable[[], str]] = [
        lambda: keyboard_mash(rng),
        lambda: word_salad(rng, vocab),
        lambda: shuffled_sentence(rng, sentences),
        lambda: char_noise(rng, sentences),
    ]
    return [makers[i % len(makers)]() for i in range(n)]


def unsubstantial_texts(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    base = repo_list("unsubstantial.txt")
    out = list(base)
    while len(out) < n:
        out.append(_augment_reply(rng.choice(base), rng))
    return out


def quality_examples(seed: int = 0) -> list[Example]:
    """SPAM / INCOHERENT / UNSUBSTANTIAL / NEUTRAL (single-label)."""
    rng = random.Random(seed)
    out: list[Example] = []
    for text, spam in read_sms():
        if heldout(text):
            continue
        if not spam and len(text.split()) <= 3:
            continue  # "Ok..." as NEUTRAL would contradict UNSUBSTANTIAL
        out.append(Example(text, "sms", label="SPAM" if spam else "NEUTRAL"))
    out += [Example(t, "comment_spam", label="SPAM") for t in repo_list("spam_comments.txt")]
    sentences = read_english_sentences()
    out += [Example(t, "lingua_en", label="NEUTRAL") for t in sentences]
    tweets = [t for t, y in read_tweeteval("offensive", "train") if y == 0]
    out += [Example(t, "tweets", label="NEUTRAL") for t in rng.sample(tweets, 2000)]
    out += [Example(t, "hard_negative", label="NEUTRAL") for t in hard_negatives()]
    out += [Example(t, "generated", label="INCOHERENT") for t in incoherent_texts(1600)]
    out += [Example(t, "replies", label="UNSUBSTANTIAL") for t in unsubstantial_texts(1200)]
    return drop_eval(out)
