"""Person names (first / middle / last) with a small CRF token classifier.

The model (``resources/name_crf.crfsuite``, rebuilt by ``scripts/train_name_model.py``) tags
tokens with B/I labels per name component (FIRST, MIDDLE, LAST) from word-shape,
capitalisation, affix, context and gazetteer features. It is loaded lazily, once per
process; one tagger per thread (python-crfsuite taggers keep per-call state).

Modes use the CRF's marginal probabilities: NORMAL reports the Viterbi path, SUSPICIOUS
also tokens with P(name) >= 0.3, PARANOID >= 0.12 (lower-case names, unusual names).
``options.components`` selects which components are reported; contiguous selected
components of one person form one match ("Percival Dumbledore" for [middle, last]).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from modlab.detectors.base import DEFAULT_OPTIONS, Detector, DetectorOptions, Match, Mode
from modlab.detectors.registry import register

RESOURCES = Path(__file__).resolve().parent / "resources"
MODEL_PATH = RESOURCES / "name_crf.crfsuite"
NAMES_DIR = RESOURCES / "names"
COMMON_WORDS = RESOURCES / "profanity" / "common_en.txt"

COMPONENTS = ("first", "middle", "last")
LABELS = ("O", "B-FIRST", "I-FIRST", "B-MIDDLE", "I-MIDDLE", "B-LAST", "I-LAST")
THRESHOLDS = {Mode.SUSPICIOUS: 0.3, Mode.PARANOID: 0.12}
SCORE_FLOOR = {Mode.NORMAL: 0.0, Mode.SUSPICIOUS: 0.3, Mode.PARANOID: 0.12}

TOKEN_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
TITLES = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "madam",
    "madame", "mme", "mlle", "herr", "frau", "monsieur", "señor", "señora", "signor", "signora",
    "senhor", "senhora", "pan", "pani", "meneer", "mevrouw", "bay", "bayan", "sr", "sra",
    "srta", "don", "doña", "rev", "fr",
    "capt", "captain", "sgt", "officer", "judge", "uncle", "aunt", "auntie", "grandma",
    "grandpa", "coach", "president", "senator", "king", "queen", "prince", "princess",
}  # fmt: skip
NAME_CUES = {
    "name", "named", "called", "call", "calls", "i'm", "im", "is", "am", "by", "with", "and",
    "to", "from", "for", "hi", "hey", "hello", "dear", "thanks", "thank", "@", "cc", "ask",
    "tell", "met", "meet", "said", "says", "told", "love", "miss", "wife", "husband", "son",
    "daughter", "brother", "sister", "friend", "mom", "dad", "boss", "colleague", "cousin",
}  # fmt: skip
# Function words that are also someone's name (My, He, Do, Can, Else, Even): never gazetteer
# hits and never used as names in the training data.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "else",
        "even",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "may",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "bin", "ibn", "al", "el", "ter", "ten", "mac", "st", "y",
}  # fmt: skip


def _read_words(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.update(part.lower() for part in line.split())
    return frozenset(words)


@dataclass(frozen=True)
class Gazetteers:
    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]


@lru_cache(maxsize=2)
def gazetteers(include_fng: bool = True) -> Gazetteers:
    """The shipped name lists; ``include_fng=False`` leaves out the FakeNameGenerator names
    (for measuring how the model does on names it has never seen)."""
    first = _read_words(NAMES_DIR / "first_names.txt")
    last = _read_words(NAMES_DIR / "last_names.txt")
    if include_fng:
        first |= _read_words(NAMES_DIR / "fng_first.txt")
        last |= _read_words(NAMES_DIR / "fng_last.txt")
    return Gazetteers(first - STOPWORDS, last - PARTICLES - STOPWORDS, _read_words(COMMON_WORDS))


def tokenize(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def _shape(word: str) -> str:
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:6]


def _token_features(word: str, gaz: Gazetteers) -> list[str]:
    low = word.lower()
    feats = [
        "w=" + low,
        "sh=" + _shape(word),
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "p2=" + low[:2],
        "p3=" + low[:3],
        "len=" + str(min(len(word), 10)),
    ]
    if len(low) >= 5:
        feats.append("s4=" + low[-4:])
    if word[:1].isupper():
        feats.append("title" if word[1:].islower() or len(word) == 1 else "cap")
    if word.isupper() and len(word) > 1:
        feats.append("upper")
    if word.islower():
        feats.append("lower")
    if not word.isascii():
        feats.append("nonascii")
    if any(ch.isdigit() for ch in word):
        feats.append("digit")
    if "-" in word:
        feats.append("hyphen")
    if len(word) == 1 and word.isalpha() and word.isupper():
        feats.append("initial")
    f, la, c = low in gaz.first, low in gaz.last, low in gaz.common
    if f:
        feats.append("gF")
    if la:
        feats.append("gL")
    if c:
        feats.append("common")
    if (f or la) and not c:
        feats.append("gOnly")
    if low.rstrip(".") in TITLES:
        feats.append("titleword")
    if low in PARTICLES:
        feats.append("particle")
    return feats


_CTX_KEYS = ("w=", "sh=")
_CTX_FLAGS = {"title", "lower", "gF", "gL", "common", "gOnly", "titleword", "initial", "upper"}


@lru_cache(maxsize=65536)
def _cached_features(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    feats = _token_features(word, gazetteers())
    return tuple(feats), tuple(f for f in feats if f.startswith(_CTX_KEYS) or f in _CTX_FLAGS)


def sentence_features(
    text: str, spans: list[tuple[int, int]], gaz: Gazetteers | None = None
) -> list[list[str]]:
    """CRF features for each token (``spans`` from :func:`tokenize`).

    ``gaz`` replaces the shipped gazetteers (training uses a reduced copy).
    """
    words = [text[s:e] for s, e in spans]
    if gaz is None:
        pairs = [_cached_features(w) for w in words]
        base = [p[0] for p in pairs]
        ctx = [p[1] for p in pairs]
    else:
        base = [_token_features(w, gaz) for w in words]
        ctx = [[f for f in feats if f.startswith(_CTX_KEYS) or f in _CTX_FLAGS] for feats in base]
    n = len(words)
    out = []
    for i, feats in enumerate(base):
        row = ["bias", *feats]
        start = spans[i][0]
        prev_end = spans[i - 1][1] if i else 0
        gap = text[prev_end:start]
        if i == 0:
            row.append("BOS")
        if i == 0 or "\n" in gap:
            row.append("linestart")
        after_title = i > 0 and (
            words[i - 1].lower() in TITLES
            or (words[i - 1] == "." and i > 1 and words[i - 2].lower() in TITLES)
        )
        if after_title:
            row.append("after_title")
        elif i == 0 or words[i - 1] in {".", "!", "?", ":", '"', ">"} or "\n" in gap:
            row.append("sentstart")
        if i + 1 < n and text[spans[i][1] : spans[i + 1][0]] == "" and words[i + 1] == ".":
            row.append("dot_after")
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n:
                row.extend(f"{off}:{f}" for f in ctx[j])
            else:
                row.append(f"{off}:pad")
        if i > 0 and words[i - 1].lower() in NAME_CUES:
            row.append("cue-1")
        if i > 1 and words[i - 2].lower() in NAME_CUES:
            row.append("cue-2")
        if i == n - 1:
            row.append("EOS")
        out.append(row)
    return out


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True, slots=True)
class NamePart:
    component: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Person:
    parts: tuple[NamePart, ...]
    level: Mode

    @property
    def start(self) -> int:
        return self.parts[0].start

    @property
    def end(self) -> int:
        return self.parts[-1].end


def _labels_to_people(
    text: str, spans: list[tuple[int, int]], labels: list[str], probs: list[float], level: Mode
) -> list[Person]:
    people: list[Person] = []
    current: list[list] = []  # [component, start, end, [probs]]
    labels = list(labels)
    # The dot of an initial inside a name ("Sadia A. Rezaei") belongs to the name.
    for i in range(1, len(labels) - 1):
        if labels[i] == "O" and labels[i - 1] != "O" and labels[i + 1] != "O":
            (ps, pe), (s, e) = spans[i - 1], spans[i]
            if text[s:e] == "." and pe == s and pe - ps == 1 and text[ps].isupper():
                labels[i] = "I-" + labels[i - 1].split("-", 1)[1]

    def close() -> None:
        if current:
            parts = tuple(NamePart(c.lower(), s, e, sum(p) / len(p)) for c, s, e, p in current)
            people.append(Person(parts, level))
            current.clear()

    prev_comp: str | None = None
    for (s, e), label, p in zip(spans, labels, probs, strict=True):
        if label == "O":
            close()
            prev_comp = None
            continue
        tag, comp = label.split("-", 1)
        if current:
            gap = text[current[-1][2] : s]
            if "\n" in gap or gap.strip():
                close()
                prev_comp = None
        new_person = bool(current) and (
            (tag == "B" and comp == "FIRST")
            or (tag == "B" and comp == "LAST" and prev_comp == "LAST")
            or (comp == "MIDDLE" and prev_comp == "LAST")
        )
        if new_person:
            close()
        if current and current[-1][0] == comp and (tag == "I" or comp == "MIDDLE"):
            current[-1][2] = e
            current[-1][3].append(p)
        else:
            current.append([comp, s, e, [p]])
        prev_comp = comp
    close()
    return people


class NameModel:
    """Lazily opened CRF; one python-crfsuite tagger per thread."""

    def __init__(self, path: Path = MODEL_PATH, gaz: Gazetteers | None = None) -> None:
        self.path = path
        self.gaz = gaz  # None: the shipped gazetteers (cached features)
        self._local = threading.local()

    def _tagger(self):  # noqa: ANN202 - pycrfsuite.Tagger
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            import pycrfsuite

            if not self.path.exists():
                raise FileNotFoundError(
                    f"name model missing at {self.path}; run scripts/train_name_model.py"
                )
            tagger = pycrfsuite.Tagger()
            tagger.open(str(self.path))
            self._local.tagger = tagger
            self._local.labels = tuple(lab for lab in tagger.labels() if lab != "O")
        return tagger

    def people(self, text: str, mode: Mode) -> list[Person]:
        spans = tokenize(text)
        if not spans or not any(ch.isalpha() for ch in text):
            return []
        tagger = self._tagger()
        name_labels = self._local.labels
        tagger.set(sentence_features(text, spans, self.gaz))
        viterbi = tagger.tag()
        probs = [1.0 - tagger.marginal("O", i) for i in range(len(spans))]
        found = _labels_to_people(text, spans, viterbi, probs, Mode.NORMAL)
        for level in (Mode.SUSPICIOUS, Mode.PARANOID):
            if level > mode:
                break
            threshold = THRESHOLDS[level]
            labels = list(viterbi)
            extra = False
            for i, p in enumerate(probs):
                if labels[i] == "O" and p >= threshold:
                    word = text[spans[i][0] : spans[i][1]]
                    if _looks_like_name(word):
                        labels[i] = max(name_labels, key=lambda lab, i=i: tagger.marginal(lab, i))
                        extra = True
            if extra:
                found.extend(_labels_to_people(text, spans, labels, probs, level))
        return found


def _looks_like_name(word: str) -> bool:
    """Extra (below-Viterbi) tokens must look like a name: letters, not a common lower word."""
    if not word[:1].isalpha() or any(ch.isdigit() for ch in word):
        return False
    low = word.lower()
    if low in STOPWORDS:
        return False
    gaz = gazetteers()
    return not (word.islower() and low in gaz.common and low not in gaz.first)


_MODEL: NameModel | None = None
_MODEL_LOCK = threading.Lock()


def get_name_model() -> NameModel:
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = NameModel()
    return _MODEL


def warm_up() -> None:
    """Load the CRF and the gazetteers now (service start-up) rather than on first use."""
    get_name_model().people("Warm up with Albus Dumbledore.", Mode.PARANOID)


def _select(person: Person, components: tuple[str, ...]) -> list[list[NamePart]]:
    """Contiguous runs of the person's parts whose component is selected."""
    runs: list[list[NamePart]] = []
    current: list[NamePart] = []
    for part in person.parts:
        if part.component in components:
            current.append(part)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


@register("name")
class NameDetector(Detector):
    """Person names; ``options.components`` picks first / middle / last."""

    def __init__(self, model: NameModel | None = None) -> None:
        self._model = model  # None: the shared, lazily loaded shipped model

    def detect(
        self, text: str, mode: Mode = Mode.NORMAL, options: DetectorOptions = DEFAULT_OPTIONS
    ) -> list[Match]:
        mode = Mode.parse(mode)
        components = tuple(c.lower() for c in options.components) or COMPONENTS
        if not text or not text.strip():
            return []
        best: dict[tuple[int, int], Match] = {}
        model = self._model or get_name_model()
        for person in model.people(text, mode):
            if person.level > mode:
                continue
            for run in _select(person, components):
                start, end = run[0].start, run[-1].end
                score = round(sum(p.score for p in run) / len(run), 4)
                if person.level > Mode.NORMAL and score < SCORE_FLOOR[person.level]:
                    continue
                match = Match(
                    entity="name",
                    start=start,
                    end=end,
                    text=text[start:end],
                    score=score,
                    level=person.level,
                    component="+".join(dict.fromkeys(p.component for p in run)),
                )
                key = (start, end)
                if key not in best or match.level < best[key].level:
                    best[key] = match
        return _resolve(list(best.values()))


def _resolve(matches: list[Match]) -> list[Match]:
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), m.level, -m.score, m.start))
    kept: list[Match] = []
    for candidate in ordered:
        if not any(candidate.overlaps(k) for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)
