"""Building the profanity resources and measuring the detector (used by scripts/).

* :func:`build_common_words` / :func:`build_guard` regenerate ``common_en.txt`` and
  ``guard_en.txt`` (needs the dev dependency ``english-words`` and the shared data sets).
* :func:`evasion_set` makes a seeded set of obfuscated variants of the list's words and
  :func:`evaluate` reports recall per evasion type, Scunthorpe hits and clean-text hits.
"""

from __future__ import annotations

import csv
import random
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modlab.detectors.base import DetectorOptions, Mode
from modlab.detectors.profanity import (
    PROFANITY_DIR,
    ProfanityDetector,
    ProfanityMatcher,
    build_lexicon,
    english_entries,
    inflections,
)

# Words that contain a listed word but are clean; must never be reported, in any mode.
SCUNTHORPE = [
    "Scunthorpe", "assassin", "assassination", "classic", "classical", "cocktail", "cocktails",
    "therapist", "therapists", "Dickens", "shiitake", "Essex", "Sussex", "Wessex", "grape",
    "grapes", "Penistone", "Middlesex", "analysis", "analyst", "butterscotch", "butter",
    "button", "cockpit", "cockroach", "peacock", "Hancock", "Hitchcock", "assess", "assessment",
    "passage", "bass", "compass", "embarrass", "harass", "class", "grass", "glass", "mass",
    "cumin", "cucumber", "document", "circumstance", "scrap", "scrape", "skyscraper", "shitake",
    "title", "titan", "titillate", "constitution", "spicy", "Matsushita", "arsenal", "hello",
    "shell", "Cockburn", "Dickinson", "cocky", "hotshot", "pussycat", "rapeseed", "drape",
    "sextant", "sextet", "Sextus", "cucumbers", "bassist", "ambassador", "wassup", "assume",
    "pass", "password", "Cumberland", "Lightwater", "scunthorpe united", "penistone road",
]  # fmt: skip

EVASION_TYPES = [
    "leet", "repeat", "spacing", "punctuation", "homoglyph", "accent", "joined", "reversed",
    "masked",
]  # fmt: skip
EXPECTED_LEVEL = {
    "leet": Mode.SUSPICIOUS, "repeat": Mode.SUSPICIOUS, "spacing": Mode.SUSPICIOUS,
    "punctuation": Mode.SUSPICIOUS, "homoglyph": Mode.SUSPICIOUS, "accent": Mode.SUSPICIOUS,
    "joined": Mode.SUSPICIOUS, "reversed": Mode.PARANOID, "masked": Mode.PARANOID,
}  # fmt: skip

_LEET_OUT = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7"}
_HOMO_OUT = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "u": "ц",
             "k": "к", "i": "і", "s": "ѕ"}  # fmt: skip
_ACCENT_OUT = {"a": "áàâä", "e": "éèêë", "i": "íìîï", "o": "óòôö", "u": "úùûü", "c": "ç",
               "n": "ñ", "y": "ý"}  # fmt: skip
_JOIN_WORDS = ["this", "you", "off", "that", "head", "face", "all", "them", "yourself", "man"]
_CARRIERS = [
    "you are such a {} honestly",
    "what the {} is going on",
    "{} this game",
    "lol {}",
    "stop being a {} dude",
    "that was {} amazing",
]


@dataclass(frozen=True, slots=True)
class Evasion:
    kind: str
    root: str
    text: str
    start: int
    end: int


def evasion_roots() -> list[str]:
    """Single-word entries of the English list (after modlab's exclusions)."""
    return sorted({w for w in english_entries() if w.isalpha() and len(w) >= 3})


def _variant(kind: str, word: str, rng: random.Random) -> str | None:
    if kind == "leet":
        idx = [i for i, c in enumerate(word) if c in _LEET_OUT]
        if not idx:
            return None
        chosen = rng.sample(idx, k=max(1, min(len(idx), rng.randint(1, 2))))
        return "".join(rng.choice(_LEET_OUT[c]) if i in chosen else c for i, c in enumerate(word))
    if kind == "repeat":
        return "".join(c * rng.randint(2, 4) for c in word)
    if kind == "spacing":
        return " ".join(word)
    if kind == "punctuation":
        return rng.choice([".", "-", "_", ". "]).join(word)
    if kind == "homoglyph":
        idx = [i for i, c in enumerate(word) if c in _HOMO_OUT]
        if not idx:
            return None
        i = rng.choice(idx)
        return word[:i] + _HOMO_OUT[word[i]] + word[i + 1 :]
    if kind == "accent":
        idx = [i for i, c in enumerate(word) if c in _ACCENT_OUT]
        if not idx:
            return None
        i = rng.choice(idx)
        return word[:i] + rng.choice(_ACCENT_OUT[word[i]]) + word[i + 1 :]
    if kind == "joined":
        other = rng.choice(_JOIN_WORDS)
        return word + other if rng.random() < 0.7 else other + word
    if kind == "reversed":
        return word[::-1]
    if kind == "masked":
        if len(word) < 4:
            return word[0] + "*" * (len(word) - 1)
        inner = list(range(1, len(word) - 1))
        hidden = set(rng.sample(inner, k=rng.randint(1, len(inner))))
        return "".join("*" if i in hidden else c for i, c in enumerate(word))
    raise ValueError(kind)


def evasion_set(seed: int = 13, roots: Iterable[str] | None = None) -> list[Evasion]:
    """One variant per (root, evasion type), each in a short carrier sentence."""
    rng = random.Random(seed)
    out: list[Evasion] = []
    for root in roots if roots is not None else evasion_roots():
        for kind in EVASION_TYPES:
            variant = _variant(kind, root, rng)
            if variant is None or variant == root:
                continue
            carrier = rng.choice(_CARRIERS)
            start = carrier.index("{}")
            text = carrier.format(variant)
            out.append(Evasion(kind, root, text, start, start + len(variant)))
    return out


def _found(detector: ProfanityDetector, ev: Evasion, mode: Mode) -> bool:
    return any(m.start < ev.end and ev.start < m.end for m in detector.detect(ev.text, mode))


def evaluate(
    clean_sentences: list[str] | None = None,
    seed: int = 13,
    other_languages: dict[str, list[str]] | None = None,
) -> dict[str, object]:
    """Recall per evasion type per mode, Scunthorpe hits, clean-text and foreign-text hits."""
    detector = ProfanityDetector()
    evasions = evasion_set(seed)
    recall: dict[str, dict[str, float]] = {}
    for kind in EVASION_TYPES:
        items = [e for e in evasions if e.kind == kind]
        row: dict[str, float] = {"n": len(items)}
        for mode in (Mode.NORMAL, Mode.SUSPICIOUS, Mode.PARANOID):
            hits = sum(_found(detector, e, mode) for e in items)
            row[mode.name] = hits / len(items) if items else 0.0
        recall[kind] = row
    scunthorpe_hits = [
        (word, mode.name, [m.text for m in found])
        for word in SCUNTHORPE
        for mode in Mode
        for found in [detector.detect(f"I said {word} yesterday.", mode)]
        if found
    ]
    clean: dict[str, object] = {}
    if clean_sentences:
        for mode in Mode:
            flagged = []
            start = time.perf_counter()
            for sentence in clean_sentences:
                found = detector.detect(sentence, mode)
                if found:
                    flagged.append((sentence, [m.text for m in found]))
            ms = 1000 * (time.perf_counter() - start) / len(clean_sentences)
            clean[mode.name] = {"flagged": len(flagged), "examples": flagged[:15], "ms": ms}
    roots = evasion_roots()
    found_plain = sum(bool(detector.detect(f"you {r} now", Mode.NORMAL)) for r in roots)
    plain = {"n": len(roots), "NORMAL": found_plain / len(roots)}
    # Text in other languages with the English list only: should give empty matches.
    foreign: dict[str, dict[str, int]] = {}
    for code, sentences in (other_languages or {}).items():
        foreign[code] = {"n": len(sentences)}
        for mode in Mode:
            foreign[code][mode.name] = sum(bool(detector.detect(t, mode)) for t in sentences)
    return {
        "recall": recall,
        "plain": plain,
        "scunthorpe": scunthorpe_hits,
        "clean": clean,
        "foreign": foreign,
    }


def compare_with_better_profanity(
    clean_sentences: list[str], seed: int = 13
) -> dict[str, dict[str, float]] | None:
    """Text-level side by side with ``better-profanity`` (the ``compare`` extra), or None.

    Both are asked the same yes/no question per text (modlab at PARANOID): recall per
    evasion type, Scunthorpe texts flagged, clean sentences flagged, and CPU ms per text.
    """
    try:
        from better_profanity import profanity as peer
    except ImportError:
        return None
    peer.load_censor_words()
    detector = ProfanityDetector()
    systems = {
        "modlab": lambda t: bool(detector.detect(t, Mode.PARANOID)),
        "better-profanity": peer.contains_profanity,
    }
    evasions = evasion_set(seed)
    scunthorpe = [f"I said {word} yesterday." for word in SCUNTHORPE]
    out: dict[str, dict[str, float]] = {}
    for name, flags in systems.items():
        row: dict[str, float] = {}
        for kind in EVASION_TYPES:
            items = [e.text for e in evasions if e.kind == kind]
            row[kind] = sum(map(flags, items)) / len(items) if items else 0.0
        start = time.process_time()
        row["clean_flagged"] = sum(map(flags, clean_sentences))
        row["ms_per_text"] = 1000 * (time.process_time() - start) / max(1, len(clean_sentences))
        row["scunthorpe_flagged"] = sum(map(flags, scunthorpe))
        out[name] = row
    return out


# --------------------------------------------------------------------------- resources

_TOKEN_RE = re.compile(r"[a-z]+")
_NOISE_RE = re.compile(r"https?://\S+|@\w+|&\w+;")


def _corpus_texts(data_dir: Path) -> Iterable[str]:
    sms = data_dir / "sms_spam" / "sms.tsv"
    if sms.exists():
        for line in sms.read_text(encoding="utf-8", errors="replace").splitlines():
            yield line.split("\t", 1)[-1]
    for path in sorted((data_dir / "tweeteval").glob("*/*_text.txt")):
        yield from path.read_text(encoding="utf-8", errors="replace").splitlines()
    davidson = data_dir / "davidson" / "labeled_data.csv"
    if davidson.exists():
        with davidson.open(encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                yield row.get("tweet", "")


def dictionary_words() -> set[str]:
    from english_words import get_english_words_set  # dev dependency, build time only

    return set(get_english_words_set(["web2", "gcide"], alpha=True, lower=True))


def build_common_words(data_dir: Path, size: int = 12000, min_count: int = 3) -> list[str]:
    """Frequent chat/social-media words that are real dictionary words and not profane."""
    dictionary = dictionary_words()
    lex = build_lexicon(["en"], use_guard=False)
    profane = set(lex.exact) | set(lex.folded)
    counts: Counter[str] = Counter()
    for text in _corpus_texts(data_dir):
        counts.update(_TOKEN_RE.findall(_NOISE_RE.sub(" ", text.lower())))
    words = [
        w
        for w, c in counts.most_common()
        if c >= min_count and w in dictionary and w not in profane and (len(w) >= 2 or w in "ai")
    ]
    return sorted(words[:size])


# Dictionary words the fuzzy rules hit that really are profane: never guarded.
NOT_GUARDED = {
    "bitched", "bitchery", "bitching", "bitchy", "bullshitter", "cocksure", "cunts", "dicked",
    "fucked", "fucker", "fuckers", "fucking", "fucks", "pissed", "pisser", "pisses", "pissy",
    "shitted", "shitter", "shitting", "shitty", "wanked", "wanker", "wanking", "whored",
    "whoring", "sluttish", "assholes", "bastardy", "cunting", "chickenshit", "fuckedup",
    "goddamned", "hardass", "bareass", "bareassed", "pissedoff", "pissoff", "pissant", "asshead",
    "shagged", "shagging", "whoredom", "whoremaster", "whoremonger", "whoreson", "outwhore",
    "doubledamn", "overdamn", "predamn", "smutty",
}  # fmt: skip
# ... and neither is any word containing one of these.
NOT_GUARDED_PARTS = ("fuck", "nigger", "cunt", "shit", "bitch")


def build_guard(extra_words: Iterable[str] = ()) -> list[str]:
    """Dictionary words that any rule would report although they are not list entries."""
    lex = build_lexicon(["en"], use_guard=False)
    matcher = ProfanityMatcher(lex)
    explicit = set(english_entries())
    for word in list(explicit):
        explicit |= {f for f in inflections(word) if f in NOT_GUARDED}
    candidates = dictionary_words() | set(extra_words)
    guard = []
    for word in sorted(candidates):
        if len(word) < 3 or word in explicit or word in NOT_GUARDED:
            continue
        if any(part in word for part in NOT_GUARDED_PARTS) and not word.startswith("shitt"):
            continue
        if matcher.find(word, Mode.PARANOID):
            guard.append(word)
    return guard


def write_resource(name: str, header: str, words: Iterable[str]) -> Path:
    path = PROFANITY_DIR / name
    lines = [f"# {line}" if line else "#" for line in header.strip().splitlines()]
    path.write_text("\n".join([*lines, *words]) + "\n", encoding="utf-8")
    return path


__all__ = [
    "EVASION_TYPES",
    "SCUNTHORPE",
    "DetectorOptions",
    "build_common_words",
    "build_guard",
    "evaluate",
    "evasion_set",
]
