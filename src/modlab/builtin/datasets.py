"""Training data for the built-in analyzers: loaders, label mapping, fixed evaluation splits.

Public sets are read from ``get_settings().shared_dir / "data"`` (present on every
machine); what modlab wrote itself (hard negatives, short replies, comment spam) lives in
the repository under ``data/builtin/`` and the rest of the quality data is generated here
from a fixed seed.

Every source row is first mapped to *concepts* shared by all analyzers:

* ``hate``: hate speech against a group (Davidson class 0, TweetEval hate = 1, ToxiGen hate);
* ``offensive``: offensive / insulting / abusive (every hate row too; Davidson class 1,
  TweetEval offensive = 1);
* ``profane``: contains a swear word according to modlab's profanity lexicon (NORMAL mode),
  never set on the hand-written hard negatives.

and each analyzer's labels are a mapping of those concepts (:data:`CONCEPT_MAP`).

Evaluation splits never reach training, validation or threshold tuning:

* TweetEval: the official ``test`` splits;
* Davidson and SMS spam: a fixed 20 % chosen by a hash of the normalised text (stable on
  every machine, and duplicates always fall on the same side);

and any training text equal (after normalisation) to an evaluation text is dropped.
"""

from __future__ import annotations

import csv
import hashlib
import html
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from modlab.analyzers.builtin import BUILTIN_LABELS
from modlab.settings import REPO_ROOT, get_settings
from modlab.training.splits import normalise_text

HELDOUT_PERCENT = 20
REPO_DATA_DIR = REPO_ROOT / "data" / "builtin"
CONCEPTS = ("hate", "offensive", "profane")

# Analyzer label -> the concepts that make it positive (any of them).
CONCEPT_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "toxicity": {
        "TOXICITY": ("offensive",),
        "PROFANITY": ("profane",),
        "DISCRIMINATION": ("hate",),
    },
    "openai": {
        "hate": ("hate",),
        "harassment": ("offensive",),
    },
    "sightengine": {
        "discriminatory": ("hate",),
        "insulting": ("offensive",),
        "toxic": ("offensive", "profane"),
    },
}
# Labels of the multi-label analyzers with no labelled data yet (scored 0, never flag).
NO_DATA_LABELS: dict[str, tuple[str, ...]] = {
    name: tuple(lbl for lbl in BUILTIN_LABELS[name] if lbl not in mapping and lbl != "NEUTRAL")
    for name, mapping in CONCEPT_MAP.items()
}


def shared_data_dir() -> Path:
    return get_settings().shared_dir / "data"


def heldout(text: str, percent: int = HELDOUT_PERCENT) -> bool:
    """True for the fixed evaluation share of Davidson / SMS spam (hash of normalised text)."""
    digest = hashlib.sha1(normalise_text(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_RT = re.compile(r"(^|\s)RT\s+(?=@)")
_SPACE = re.compile(r"\s+")


def clean_tweet(text: str) -> str:
    """Davidson's raw tweets in TweetEval's form: ``@user`` mentions, no ``RT``, no entities.

    Removing the source's artefacts keeps the model from learning *which data set* a text
    came from (Davidson is 77 % offensive, so ``RT @`` would become an offensive cue).
    """
    text = html.unescape(html.unescape(text))
    text = _URL.sub("http", text)
    text = _RT.sub(" ", text)
    text = _MENTION.sub("@user", text)
    text = text.lstrip("!: ").strip()
    return _SPACE.sub(" ", text)


@dataclass
class Example:
    text: str
    source: str
    concepts: dict[str, bool] = field(default_factory=dict)  # hate / offensive / profane
    label: str | None = None  # single-label analyzers (quality)


@dataclass
class EvalSet:
    """A held-out set scored by :mod:`modlab.builtin.evaluation` (one binary concept)."""

    name: str
    texts: list[str]
    y: list[int]
    concept: str  # hate / offensive / spam
    anchor: str = ""


# -- readers --------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _repo_list(name: str) -> list[str]:
    out = []
    for line in _lines(REPO_DATA_DIR / name):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


@lru_cache(maxsize=1)
def read_davidson() -> list[tuple[str, int]]:
    """``(clean text, class)`` per tweet: 0 hate, 1 offensive, 2 neither."""
    rows = []
    with (shared_data_dir() / "davidson" / "labeled_data.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.append((clean_tweet(row["tweet"]), int(row["class"])))
    return rows


@lru_cache(maxsize=4)
def read_tweeteval(task: str, split: str) -> list[tuple[str, int]]:
    base = shared_data_dir() / "tweeteval" / task
    texts = _lines(base / f"{split}_text.txt")
    labels = [int(v) for v in _lines(base / f"{split}_labels.txt")]
    if len(texts) != len(labels):
        raise ValueError(f"tweeteval/{task}/{split}: {len(texts)} texts, {len(labels)} labels")
    return [(t.strip(), y) for t, y in zip(texts, labels, strict=True)]


@lru_cache(maxsize=1)
def read_toxigen() -> list[tuple[str, bool]]:
    rows = []
    with (shared_data_dir() / "toxigen" / "toxigen_seed_sentences.tsv").open(
        encoding="utf-8"
    ) as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            text = (row.get("text") or "").strip().lstrip("- ").strip()
            if text:
                rows.append((text, row["label"].strip() == "hate"))
    return rows


@lru_cache(maxsize=1)
def read_sms() -> list[tuple[str, bool]]:
    rows = []
    with (shared_data_dir() / "sms_spam" / "sms.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2:
                rows.append(("\t".join(row[1:]).strip(), row[0] == "spam"))
    return rows


@lru_cache(maxsize=1)
def read_english_sentences() -> list[str]:
    path = shared_data_dir() / "lingua_testdata" / "language-testdata" / "sentences" / "en.txt"
    return [s.strip() for s in _lines(path) if s.strip()]


def hard_negatives() -> list[str]:
    return _repo_list("hard_negatives.txt")


_IDENTITY_GROUPS = (
    "Muslims", "Jews", "Christians", "Black people", "white people", "Asian people",
    "Mexicans", "immigrants", "refugees", "women", "men", "gay people", "lesbians",
    "trans people", "disabled people", "Native Americans", "Latinos", "Arabs", "Indians",
    "Chinese people", "older people", "atheists",
)  # fmt: skip
_NEUTRAL_TEMPLATES = (
    "I went to a talk about the history of {g} in this city.",
    "My neighbours are {g} and they are lovely.",
    "The report looks at how many {g} work in tech.",
    "There is a festival organised by {g} this weekend.",
    "Some of my best colleagues are {g}.",
    "The survey asked {g} about their experience with public transport.",
)


def identity_neutral() -> list[str]:
    """Neutral sentences that mention identity groups (against identity-term bias)."""
    return [t.format(g=g) for g in _IDENTITY_GROUPS for t in _NEUTRAL_TEMPLATES]


# -- profanity concept -----------------------------------------------------------------------


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def _profanity_lexicon() -> tuple[frozenset[str], dict[str, list[tuple[str, ...]]]]:
    """modlab's English swear-word list (LDNOOBW + modlab's additions, with inflections).

    Plain token lookup, not the profanity *detector*: the label must not change when the
    detector's fuzzy matching or language checks do, and it must be fast (50k texts).
    """
    from modlab.detectors.profanity import build_lexicon

    lex = build_lexicon(["en"])
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for phrase in lex.phrases:
        phrases.setdefault(phrase[0], []).append(phrase)
    return frozenset(lex.exact), phrases


def is_profane(text: str) -> bool:
    words, phrases = _profanity_lexicon()
    tokens = _TOKEN.findall(text.lower())
    if any(t in words for t in tokens):
        return True
    return any(
        tuple(tokens[i : i + len(p)]) == p
        for i, tok in enumerate(tokens)
        for p in phrases.get(tok, ())
    )


# -- evaluation sets --------------------------------------------------------------------------


def eval_sets() -> dict[str, EvalSet]:
    """The held-out sets the targets are measured on (never used for training or tuning)."""
    dav = [(t, c) for t, c in read_davidson() if heldout(t)]
    sms = [(t, s) for t, s in read_sms() if heldout(t)]
    hate = read_tweeteval("hate", "test")
    off = read_tweeteval("offensive", "test")
    return {
        "tweeteval_hate": EvalSet(
            "tweeteval_hate",
            [t for t, _ in hate],
            [y for _, y in hate],
            "hate",
            "BERTweet 0.564; target ≥ 0.60 (macro-F1)",
        ),
        "tweeteval_offensive": EvalSet(
            "tweeteval_offensive",
            [t for t, _ in off],
            [y for _, y in off],
            "offensive",
            "TimeLMs-2021 0.822; target ≥ 0.83 (macro-F1)",
        ),
        "davidson_hate": EvalSet(
            "davidson_hate",
            [t for t, _ in dav],
            [int(c == 0) for _, c in dav],
            "hate",
            "Davidson LR 0.51; target ≥ 0.55 (hate-class F1)",
        ),
        "davidson_offensive": EvalSet(
            "davidson_offensive",
            [t for t, _ in dav],
            [int(c in (0, 1)) for _, c in dav],
            "offensive",
            "(no target; hate or offensive vs neither, F1)",
        ),
        "sms_spam": EvalSet(
            "sms_spam",
            [t for t, _ in sms],
            [int(s) for _, s in sms],
            "spam",
            "target ≥ 0.97 (SPAM F1)",
        ),
    }


@lru_cache(maxsize=1)
def eval_keys() -> frozenset[str]:
    """Normalised texts of every evaluation set: such texts are never trained on."""
    keys: set[str] = set()
    for es in eval_sets().values():
        keys.update(normalise_text(t) for t in es.texts)
    return frozenset(keys)


def _drop_eval(examples: Iterable[Example]) -> list[Example]:
    banned = eval_keys()
    return [e for e in examples if e.text.strip() and normalise_text(e.text) not in banned]


# -- moderation pool (toxicity / openai / sightengine) ----------------------------------------


@lru_cache(maxsize=1)
def moderation_examples() -> tuple[Example, ...]:
    """Every training example for the moderation analyzers, with hate/offensive/profane."""
    out: list[Example] = []
    for text, cls in read_davidson():
        if heldout(text):
            continue
        out.append(Example(text, "davidson", {"hate": cls == 0, "offensive": cls in (0, 1)}))
    for split in ("train", "val"):
        for text, y in read_tweeteval("hate", split):
            # HatEval's non-hate tweets are not annotated for offensiveness; they count as
            # not offensive (train_model cannot leave one label of a row unannotated).
            concepts = {"hate": y == 1, "offensive": y == 1}
            out.append(Example(text, f"tweeteval_hate_{split}", concepts))
        for text, y in read_tweeteval("offensive", split):
            concepts = {"hate": False, "offensive": y == 1}
            out.append(Example(text, f"tweeteval_offensive_{split}", concepts))
    for text, hate in read_toxigen():
        out.append(Example(text, "toxigen", {"hate": hate, "offensive": hate}))
    for ex in out:
        ex.concepts["profane"] = is_profane(ex.text)
    for text in hard_negatives() + identity_neutral():
        out.append(Example(text, "hard_negative", dict.fromkeys(CONCEPTS, False)))
    return tuple(_drop_eval(out))


def concept_labels(name: str, ex: Example) -> list[str]:
    """The analyzer's labels for one example (multi-label; NEUTRAL when none applies)."""
    hits = [lbl for lbl, cs in CONCEPT_MAP[name].items() if any(ex.concepts.get(c) for c in cs)]
    if not hits and "NEUTRAL" in BUILTIN_LABELS[name]:
        return ["NEUTRAL"]
    return hits


# -- quality pool -------------------------------------------------------------------------------

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
    base = _repo_list("unsubstantial.txt")
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
    out += [Example(t, "comment_spam", label="SPAM") for t in _repo_list("spam_comments.txt")]
    sentences = read_english_sentences()
    out += [Example(t, "lingua_en", label="NEUTRAL") for t in sentences]
    tweets = [t for t, y in read_tweeteval("offensive", "train") if y == 0]
    out += [Example(t, "tweets", label="NEUTRAL") for t in rng.sample(tweets, 2000)]
    out += [Example(t, "hard_negative", label="NEUTRAL") for t in hard_negatives()]
    out += [Example(t, "generated", label="INCOHERENT") for t in incoherent_texts(1600)]
    out += [Example(t, "replies", label="UNSUBSTANTIAL") for t in unsubstantial_texts(1200)]
    return _drop_eval(out)


# -- recipes -----------------------------------------------------------------------------------


@dataclass
class Recipe:
    name: str
    label_names: tuple[str, ...]
    multi_label: bool
    neutral_label: str | None
    texts: list[str]
    labels: list[list[str]] | list[str]
    sources: list[str]

    def label_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.label_names, 0)
        for lab in self.labels:
            for item in lab if isinstance(lab, list) else [lab]:
                counts[item] += 1
        return counts


BUILDABLE = ("toxicity", "quality", "openai", "sightengine")


def recipe(name: str, *, quick: bool = False, seed: int = 0) -> Recipe:
    """The training data of one built-in analyzer (``quick``: a small stratified subset)."""
    if name not in BUILDABLE:
        raise ValueError(
            f"no recipe for {name!r} (buildable: {', '.join(BUILDABLE)}; propriety, nsfw and "
            "sentiment need LLM-labelled data)"
        )
    labels_all = BUILTIN_LABELS[name]
    if name == "quality":
        examples = quality_examples(seed)
        labels: list = [e.label for e in examples]
        multi, neutral = False, "NEUTRAL"
    else:
        examples = list(moderation_examples())
        labels = [concept_labels(name, e) for e in examples]
        multi = True
        neutral = "NEUTRAL" if "NEUTRAL" in labels_all else None
    if quick:
        idx = _quick_subset(labels, 600, seed)
        examples = [examples[i] for i in idx]
        labels = [labels[i] for i in idx]
    return Recipe(
        name=name,
        label_names=tuple(labels_all),
        multi_label=multi,
        neutral_label=neutral,
        texts=[e.text for e in examples],
        labels=labels,
        sources=[e.source for e in examples],
    )


def _quick_subset(labels: list, n: int, seed: int) -> list[int]:
    """About ``n`` rows with every label that has data represented."""
    rng = random.Random(seed)
    by_key: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        key = "|".join(lab) if isinstance(lab, list) else str(lab)
        by_key.setdefault(key, []).append(i)
    per = max(n // max(len(by_key), 1), 40)
    out: list[int] = []
    for rows in by_key.values():
        out += rng.sample(rows, min(per, len(rows)))
    return sorted(out)
