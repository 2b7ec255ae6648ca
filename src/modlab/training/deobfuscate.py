"""Undo the evasions people use to slip words past a filter: "k1ll", "f u c k", "i.d.i.o.t",
"sh*t", "@ss". A model that learned "kill" and "idiot" from n-grams sees none of them.

:class:`Deobfuscator` learns the vocabulary of a training set and rewrites a suspicious token
to a vocabulary word only when the token itself is not a word the data knows ("1st", "b4",
"mp3" stay as they are). The profanity detector has its own, list-bound evasion matching
(:mod:`modlab.detectors.profanity`); this one is bound to what a model was trained on, so it
also restores "k1ll" or "stup1d", which no swear-word list holds. No maintained library
undoes leetspeak against a vocabulary, hence the few rules here.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable

# Look-alike characters and the letters they stand for ("1" is an i or an l).
LEET: dict[str, str] = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l",
}  # fmt: skip
MASK = "*"
MIN_WORD = 3  # shorter tokens are too ambiguous to restore ("b4", "u2")
MIN_COUNT = 3  # a vocabulary word was seen at least this often in training
MAX_VARIANTS = 64  # "1"s that could be i or l: at most 6 of them are tried

_WORD = re.compile(rf"[^\W\d_]{{{MIN_WORD},}}")
# A token mixing letters with look-alikes or masks: "k1ll", "$hit", "f*ck", "1d10t".
_TOKEN = re.compile(r"[\w@$!|*]*[^\W\d_][\w@$!|*]*")
_SUSPECT = re.compile(r"[0-9@$!|*]")
# Digits only before or after the letters are numbers with units or names, not leetspeak:
# "5am", "70s", "1st", "ps4", "mp3", "covid19".
_NUMBER_LIKE = re.compile(r"\d+[^\W\d_]+|[^\W\d_]+\d+")
# Three or more single characters separated by one space, dot, dash or underscore.
_SPACED = re.compile(r"(?<![\w@$!|*])[\w@$!|*](?:[ .\-_][\w@$!|*]){2,}(?![\w@$!|*])")
_SEPARATORS = re.compile(r"[ .\-_]")


class Deobfuscator:
    """Rewrites obfuscated tokens to the training vocabulary's words (see module doc)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self._by_length: dict[int, list[str]] | None = None

    @classmethod
    def fit(cls, texts: Iterable[str], min_count: int = MIN_COUNT) -> Deobfuscator:
        """The vocabulary: lower-case alphabetic words of ``texts`` seen ``min_count`` times."""
        counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
        return cls({w: n for w, n in counts.items() if n >= min_count})

    def __call__(self, text: str) -> str:
        if not _SUSPECT.search(text) and not _SPACED.search(text):
            return text
        text = _SPACED.sub(self._join_spaced, text)
        if not _SUSPECT.search(text):
            return text
        return _TOKEN.sub(self._restore_token, text)

    def _join_spaced(self, match: re.Match[str]) -> str:
        joined = _SEPARATORS.sub("", match.group(0))
        if joined.lower() in self.vocabulary:
            return joined
        word = self.restore(joined)
        return word if word is not None else match.group(0)

    def _restore_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if not _SUSPECT.search(token):
            return token
        core = token.strip("!|*")  # "idiot!!" is punctuation, "$hit" is not
        word = self.restore(core)
        if word is None:
            return token
        start = token.index(core)
        return token[:start] + word + token[start + len(core) :]

    def restore(self, token: str) -> str | None:
        """The vocabulary word ``token`` disguises, or None (a known word, or no match)."""
        low = token.lower()
        if len(low) < MIN_WORD or low in self.vocabulary or low.isdigit():
            return None
        if _NUMBER_LIKE.fullmatch(low):
            return None
        if low.isalpha():
            return None  # nothing disguised
        best: tuple[int, str] | None = None
        for candidate in self._candidates(low):
            count = self.vocabulary.get(candidate, 0)
            if count and (best is None or count > best[0]):
                best = (count, candidate)
        return best[1] if best else None

    def _candidates(self, low: str) -> Iterable[str]:
        options = [LEET.get(c, c) if c != MASK else MASK for c in low]
        variants = itertools.islice(itertools.product(*options), MAX_VARIANTS)
        for chars in variants:
            word = "".join(chars)
            if MASK not in word:
                yield word
            elif word.count(MASK) <= 2:
                yield from self._masked_matches(word)

    def _masked_matches(self, pattern: str) -> list[str]:
        """Vocabulary words that fit ``pattern`` ("f*ck"): people mask swear words, so a
        listed swear word wins ("a**e" is "arse", not "able"); any other word only when it
        is the one fit ("st*pid")."""
        from modlab.detectors.profanity import english_swear_words

        if self._by_length is None:
            self._by_length = {}
            for w in self.vocabulary:
                self._by_length.setdefault(len(w), []).append(w)
        rx = re.compile(re.escape(pattern).replace(r"\*", "[a-z]"))
        fits = [w for w in self._by_length.get(len(pattern), ()) if rx.fullmatch(w)]
        swear = [w for w in fits if w in english_swear_words()]
        return swear or (fits if len(fits) == 1 else [])
