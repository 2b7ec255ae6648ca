"""Undo the evasions people use to slip words past a filter: "k1ll", "f u c k", "i.d.i.o.t",
"sh*t", "@ss", "stuuupid", Cyrillic look-alike letters. A model that learned "kill" and
"idiot" from n-grams sees none of them.

:class:`Deobfuscator` learns the vocabulary of a training set and rewrites a suspicious token
to a vocabulary word only when the token itself is not a word the data knows ("1st", "b4",
"mp3", "niño" stay as they are); a spaced-out run that is no word is split into the most
probable vocabulary words ("k i l l m e" -> "kill me"). It reads look-alikes with the
profanity detector's tables (:mod:`modlab.detectors.profanity`), whose evasion matching is
bound to the swear-word lists; this one is bound to what a model was trained on, so it also
restores "k1ll" or "stup1d", which no list holds. No maintained library undoes leetspeak
against a vocabulary, hence the few rules here.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable

from modlab.detectors.profanity import HOMOGLYPHS, LEET, LEET_ALT, english_swear_words

# Look-alike characters and the letters they stand for (the profanity detector's table;
# "1" is an i or an l).
LOOKALIKES: dict[str, str] = {c: letter + LEET_ALT.get(c, "") for c, letter in LEET.items()}
MASK = "*"
MIN_WORD = 3  # shorter tokens are too ambiguous to restore ("b4", "u2")
MIN_COUNT = 3  # a vocabulary word was seen at least this often in training
MAX_VARIANTS = 64  # "1"s that could be i or l, stretched letters: at most this many tried

_WORD = re.compile(r"[^\W\d_]+")
# A token mixing letters with look-alikes or masks: "k1ll", "$hit", "f*ck", "1d10t".
_SYMBOLS = re.escape("".join(c for c in LOOKALIKES if not c.isalnum()) + MASK)  # @$!|€+*
_TOKEN = re.compile(rf"[\w{_SYMBOLS}]*[^\W\d_][\w{_SYMBOLS}]*")
_LOOKALIKE = re.compile("[" + re.escape("".join(LOOKALIKES)) + "*]")
_STRETCHED = re.compile(r"([^\W\d_])\1\1+")  # "stuuupid", "fuuuck"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")  # Cyrillic "о" for "o"
_SUSPECT = re.compile(f"{_LOOKALIKE.pattern}|{_STRETCHED.pattern}|{_NON_ASCII.pattern}")
# Digits only before or after the letters are numbers with units or names, not leetspeak:
# "5am", "70s", "1st", "ps4", "mp3", "covid19".
_NUMBER_LIKE = re.compile(r"\d+[^\W\d_]+|[^\W\d_]+\d+")
# Three or more single characters separated by one space, dot, dash or underscore.
_CHAR = rf"[\w{_SYMBOLS}]"
_SPACED = re.compile(rf"(?<!{_CHAR}){_CHAR}(?:[ .\-_]{_CHAR}){{2,}}(?!{_CHAR})")
_SEPARATORS = re.compile(r"[ .\-_]")


class Deobfuscator:
    """Rewrites obfuscated tokens to the training vocabulary's words (see module doc)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self._by_length: dict[int, list[str]] | None = None
        self._total = max(sum(vocabulary.values()), 1)

    def __getstate__(self) -> dict[str, dict[str, int]]:
        return {"vocabulary": self.vocabulary}  # the rest is derived from it

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["vocabulary"])

    @classmethod
    def fit(cls, texts: Iterable[str], min_count: int = MIN_COUNT) -> Deobfuscator:
        """The vocabulary: lower-case alphabetic words of ``texts`` seen ``min_count`` times."""
        counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
        return cls({w: n for w, n in counts.items() if n >= min_count})

    def __call__(self, text: str) -> str:
        text = _SPACED.sub(self._join_spaced, text)
        return _TOKEN.sub(self._restore_token, text) if _SUSPECT.search(text) else text

    def _join_spaced(self, match: re.Match[str]) -> str:
        """ "k i l l" -> "kill"; "k i l l m e" (two words spaced out) -> "kill me"."""
        joined = _SEPARATORS.sub("", match.group(0))
        if joined.lower() in self.vocabulary:
            return joined
        word = self.restore(joined)
        if word is not None:
            return word
        words = self.segment(joined.lower())
        return " ".join(words) if words and len(words) < len(joined) else match.group(0)

    def _restore_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if not _SUSPECT.search(token):
            return token
        core = token.strip("!|*+")  # "idiot!!" is punctuation, "$hit" is not
        word = self.restore(core) if core else None
        if word is None:
            return token
        start = token.index(core)
        return token[:start] + word + token[start + len(core) :]

    def restore(self, token: str) -> str | None:
        """The vocabulary word ``token`` disguises, or None (a known word, or no match)."""
        low = token.lower()
        if len(low) < MIN_WORD or low in self.vocabulary or low.isdigit():
            return None
        if _NUMBER_LIKE.fullmatch(low) or not _SUSPECT.search(low):
            return None
        if _NON_ASCII.search(low):  # Cyrillic / Greek look-alikes, not accents ("niño")
            low = "".join(HOMOGLYPHS.get(c, c) for c in low)
        best: tuple[int, str] | None = None
        for candidate in self._candidates(low):
            count = self.vocabulary.get(candidate, 0)
            if len(candidate) >= MIN_WORD and count and (best is None or count > best[0]):
                best = (count, candidate)
        return best[1] if best else None

    def _candidates(self, low: str) -> Iterable[str]:
        """Readings of ``low``: each stretched run as two letters or one, each look-alike as
        the letters it stands for, each mask as any letter (see :meth:`_masked_matches`)."""
        options: list[str | tuple[str, ...]] = []
        pos = 0
        for m in _STRETCHED.finditer(low):
            options += [LOOKALIKES.get(c, c) if c != MASK else MASK for c in low[pos : m.start()]]
            options.append((m.group(1) * 2, m.group(1)))
            pos = m.end()
        options += [LOOKALIKES.get(c, c) if c != MASK else MASK for c in low[pos:]]
        for parts in itertools.islice(itertools.product(*options), MAX_VARIANTS):
            word = "".join(parts)
            if MASK not in word:
                yield word
            elif word.count(MASK) <= 2:
                yield from self._masked_matches(word)

    def segment(self, joined: str) -> list[str] | None:
        """``joined`` split into the most probable sequence of vocabulary words, or None."""
        n = len(joined)
        best: list[tuple[float, int] | None] = [(0.0, 0)] + [None] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - 20), end):
                prev, count = best[start], self.vocabulary.get(joined[start:end], 0)
                if prev is None or not count:
                    continue
                score = prev[0] + math.log(count / self._total)
                if best[end] is None or score > best[end][0]:
                    best[end] = (score, start)
        if best[n] is None:
            return None
        words, end = [], n
        while end:
            start = best[end][1]
            words.append(joined[start:end])
            end = start
        return words[::-1]

    def _masked_matches(self, pattern: str) -> list[str]:
        """Vocabulary words that fit ``pattern`` ("f*ck"): people mask swear words, so a
        listed swear word wins ("a**e" is "arse", not "able"); any other word only when it
        is the one fit ("st*pid")."""
        if self._by_length is None:
            self._by_length = {}
            for w in self.vocabulary:
                self._by_length.setdefault(len(w), []).append(w)
        rx = re.compile(re.escape(pattern).replace(r"\*", "[a-z]"))
        fits = [w for w in self._by_length.get(len(pattern), ()) if rx.fullmatch(w)]
        swear = [w for w in fits if w in english_swear_words()]
        return swear or (fits if len(fits) == 1 else [])
