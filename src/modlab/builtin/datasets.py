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
  never set on the hand-written hard negatives;
* the LLM-labelled concepts (``LLM_CONCEPTS``: sexual, flirtation, threat, violence,
  self-harm, drugs/weapons, sensitive topics and subtypes, plus ``hate_threat``) from hand-written
  seeds and LLM auto-labels of unlabelled text (see "LLM-labelled concepts" below).

and each analyzer's labels are a mapping of those concepts (:data:`CONCEPT_MAP`).

Evaluation splits never reach training, validation or threshold tuning:

* TweetEval: the official ``test`` splits;
* Davidson and SMS spam: a fixed 20 % chosen by a hash of the normalised text (stable on
  every machine, and duplicates always fall on the same side);
* modlab's own comment spam and ordinary comments with links and prices (``comment_spam``,
  no target): the same fixed 25 % as the held-out seeds;

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
        # LLM-labelled concepts (see "LLM-labelled concepts" below)
        "sexual": ("sexual",),
        "sexual/minors": ("sexual_minors",),
        "harassment/threatening": ("threat",),
        "hate/threatening": ("hate_threat",),
        "self-harm": ("self_harm",),
        "self-harm/intent": ("self_harm_intent",),
        "self-harm/instructions": ("self_harm_instructions",),
        "violence": ("violence", "threat"),
        "violence/graphic": ("violence_graphic",),
    },
    "sightengine": {
        "discriminatory": ("hate",),
        "insulting": ("offensive",),
        "toxic": ("offensive", "profane"),
        "sexual": ("sexual",),
        "violent": ("violence", "threat"),
    },
    "propriety": {
        "FLIRTATION": ("flirtation",),
        "SEXUALLY_EXPLICIT": ("sexual",),
    },
    "nsfw": {
        "UNSAFE": (
            "sexual",
            "threat",
            "violence",
            "self_harm",
            "drugs_weapons",
        ),
        "SENSITIVE": ("sensitive",),
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


_WANTS = (
    "I want to", "I need to", "I'm going to", "I can't wait to", "tonight I'm going to",
    "I really want to", "I just need to", "I'd love to", "I have to", "we want to", "I wanna",
    "I'm gonna",
)  # fmt: skip
_EVERYDAY = (
    "sleep", "go home", "eat pizza", "watch a movie", "cook pasta", "call my mum",
    "finish this report", "go for a run", "buy new shoes", "clean my room", "play video games",
    "take a shower", "walk the dog", "read a book", "go to the gym", "see my friends",
    "learn the guitar", "fix my bike", "do the laundry", "study for the exam",
    "visit my grandma", "get a haircut", "book the flights", "try that new cafe",
    "go to bed early", "take a nap", "order takeaway", "bake a cake", "paint the kitchen",
    "write my cover letter",
)  # fmt: skip
_WHEN = ("", " tonight", " tomorrow", " so badly", " right now", " later", " this weekend",
         " after work")  # fmt: skip


def everyday_first_person(n: int = 600, seed: int = 5) -> list[str]:
    """Ordinary first-person wishes and plans ("I need to sleep", "tonight I'm going to cook").

    The small recipes' unsafe seeds are mostly first-person ("I want to die", "I need someone
    tonight") and their ordinary texts mostly are not, so nsfw learned "I want"/"I need"/
    "tonight" as unsafe and called "I need to sleep" UNSAFE 0.84. Template sentences,
    like the identity-term ones: they teach that the wish, not its grammar, matters.
    """
    combos = [f"{w} {a}{t}" for w in _WANTS for a in _EVERYDAY for t in _WHEN]
    return random.Random(seed).sample(combos, min(n, len(combos)))


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
    from modlab.detectors.profanity import safe_phrase_spans

    words, phrases = _profanity_lexicon()
    for start, end in reversed(safe_phrase_spans(text)):  # "Moby Dick", "blue tit"
        text = text[:start] + " " + text[end:]
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
    comment_spam, comment_ham = _comment_spam_heldout()
    identity = identity_template_examples(held_out=True)
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
        "identity_templates": EvalSet(
            "identity_templates",
            [e.text for e in identity],
            [int(e.concepts["hate"]) for e in identity],
            "hate",
            "(no target; held-out identity templates: hate vs counter-speech, negation, "
            "positive statements and abuse of non-protected targets, hate-class F1)",
        ),
        "sms_spam": EvalSet(
            "sms_spam",
            [t for t, _ in sms],
            [int(s) for _, s in sms],
            "spam",
            "target ≥ 0.97 (SPAM F1)",
        ),
        "comment_spam": EvalSet(
            "comment_spam",
            comment_spam + comment_ham,
            [1] * len(comment_spam) + [0] * len(comment_ham),
            "spam",
            "(no target; held-out hand-written comment spam vs. ordinary comments, SPAM F1)",
        ),
    }


# The hard-negative section that is the ham side of the comment-spam evaluation.
COMMENT_HAM_SECTION = "ordinary comments that mention links, prices, channels and contacts"


def _comment_spam_heldout() -> tuple[list[str], list[str]]:
    """The held-out share (``seed_heldout``) of modlab's comment spam and of its ordinary
    comments with links, prices and contacts: SPAM beyond SMS, never trained on."""
    spam = [t for t in _repo_list("spam_comments.txt") if seed_heldout(t)]
    ham = [t for s, t in hard_negative_sections() if s == COMMENT_HAM_SECTION and seed_heldout(t)]
    return spam, ham


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


BUILDABLE = ("toxicity", "quality", "openai", "sightengine", "propriety", "nsfw", "sentiment")


def recipe(name: str, *, quick: bool = False, seed: int = 0) -> Recipe:
    """The training data of one built-in analyzer (``quick``: a small stratified subset)."""
    if name not in BUILDABLE:
        raise ValueError(f"no recipe for {name!r} (buildable: {', '.join(BUILDABLE)})")
    labels_all = BUILTIN_LABELS[name]
    if name == "quality":
        examples = quality_examples(seed)
        labels: list = [e.label for e in examples]
        multi, neutral = False, "NEUTRAL"
    elif name in ("propriety", "nsfw", "sentiment"):
        examples, labels = llm_recipe_examples(name, seed)
        multi = name != "sentiment"
        neutral = "NEUTRAL"
    else:
        if name in ("openai", "sightengine"):
            examples = list(extended_moderation_examples())
        else:
            examples = toxicity_examples()
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


# -- LLM-labelled concepts: propriety, nsfw, sentiment, openai / sightengine extensions ---------
#
# No public labelled data exists here for sexual / flirting / violence / threat / self-harm /
# drugs / sensitive-topic content or for sentiment, so these follow the product's own
# auto-labelling workflow (see data/builtin/README.md):
#
# * hand-written label descriptions (data/builtin/llm_schemas.json);
# * hand-written, hand-labelled seeds and hard negatives (data/builtin/llm_seeds.txt): the
#   reviewed core; a fixed share (seed_heldout) is never trained on and measures the builds;
# * an unlabelled pool of real text (tweets, SMS, lingua sentences; keyword-enriched for rare
#   concepts) scored by the local LLM (scripts/llm_label_builtin.py →
#   data/builtin/llm_labels.jsonl: each label's first-answer-token probability);
# * concepts from those probabilities by per-concept thresholds (LLM_THRESHOLDS), chosen on
#   the seeds' own LLM scores (the agreement figures in data/builtin/README.md).

LLM_CONCEPTS = (
    "sexual",
    "sexual_minors",
    "flirtation",
    "threat",
    "violence",
    "violence_graphic",
    "self_harm",
    "self_harm_intent",
    "self_harm_instructions",
    "drugs_weapons",
    "sensitive",
)
# Every concept an example can carry (the moderation pool's and the LLM-labelled ones).
ALL_CONCEPTS = (*CONCEPTS, *LLM_CONCEPTS, "hate_threat")
SENTIMENTS = ("positive", "negative", "neutral")
LLM_LABELS_FILE = "llm_labels.jsonl"
LLM_SEEDS_FILE = "llm_seeds.txt"
SEED_HELDOUT_PERCENT = 25
# Implied concepts (a subtype implies its parent).
_IMPLIES = {
    "sexual_minors": ("sexual",),
    "violence_graphic": ("violence",),
    "self_harm_intent": ("self_harm",),
    "self_harm_instructions": ("self_harm",),
}
# Content label of the LLM schema -> (concept, low, high, keyword group). The small LLM puts
# most probability on "none", so a concept holds when its label's first-token probability is
# >= high, or >= low and the text matches the concept's keyword group (CONCEPT_KEYWORDS): a
# documented correction rule, chosen on the seeds' own LLM scores (scripts/llm_label_builtin.py
# --report prints the F1 of each rule on the seeds).
LLM_THRESHOLDS: dict[str, tuple[str, float, float, str]] = {
    # seeds' F1 of this rule (LLM alone at its best plain threshold): see data/builtin/README.md
    "sexual": ("sexual", 0.01, 0.03, "sexual"),  # 0.72 (0.68)
    "flirting": ("flirtation", 0.10, 0.30, "flirt"),  # 0.77 (0.71)
    "threat": ("threat", 0.15, 0.15, "threat"),  # 0.69 (0.69)
    "violence": ("violence", 0.15, 0.20, "violence"),  # 0.76 (0.75)
    "suicide": ("self_harm", 0.01, 0.30, "self_harm"),  # 0.43 (0.33)
    "drugs": ("drugs_weapons", 0.005, 0.70, "drugs"),  # 0.49 (0.47)
    "politics": ("sensitive", 0.003, 0.005, "sensitive"),  # 0.52 (0.52)
}
# Subtype schemas: (schema, answer, concept, minimum probability); only when the parent holds.
LLM_SUBTYPE_THRESHOLDS: tuple[tuple[str, str, str, float], ...] = (
    # The small LLM leans to the first answer of these schemas (median p(graphic) 0.9 on the
    # pool's violent texts): high thresholds keep only its surest answers; these labels come
    # mostly from the hand-written seeds.
    ("sexual_minors", "minor", "sexual_minors", 0.5),
    ("violence_detail", "graphic", "violence_graphic", 0.95),
    ("self_harm_type", "intent", "self_harm_intent", 0.8),
    ("self_harm_type", "instructions", "self_harm_instructions", 0.5),
)
# Sentiment: the LLM's most probable answer, kept only when at least this probable.
LLM_SENTIMENT_MIN_P = 0.5

# Keyword groups (word-start match) used to enrich the LLM pool with candidates of rare
# concepts, and to leave unreviewed look-alikes out of the negatives (see _unreviewed_risky).
CONCEPT_KEYWORDS: dict[str, str] = {
    "sexual": r"sex|sexy|nude|naked|horny|porn|boob|tits|dick|cock|pussy|cum|suck|fuck me|"
    r"orgasm|blowjob|thong|lingerie|nipple|erect|bang her|bang him|ride me|hooker|stripper",
    "flirt": r"cute|gorgeous|beautiful|handsome|sexy|babe|baby girl|date me|your number|crush|"
    r"kiss|single\b|marry me|hottie|wink|miss you|love you|ur hot|you're hot|youre hot",
    "threat": r"i'?ll kill|gonna kill|going to kill|i will kill|kill you|shoot you|stab|"
    r"beat (your|ur|you)|punch|slap|choke|hang (them|him|her)|should die|deserve to die|"
    r"murder|break your|i'?ll hurt",
    "violence": r"kill|shot|shoot|gun|blood|bleed|stab|murder|dead|beat|fight|punch|bomb|"
    r"knife|war\b|attack|torture|massacre|behead|corpse",
    "self_harm": r"suicid|kill myself|kms|want to die|wanna die|cut myself|cutting|self harm|"
    r"self-harm|end it all|overdose|anorex|bulimi|starv|hang myself|slit|no reason to live",
    "drugs": r"weed|blunt|cocaine|coke\b|molly|xan|pills|high af|stoned|420|crack|meth|heroin|"
    r"drunk|wasted|shots\b|glock|rifle|ammo|ak47|pistol",
    "sensitive": r"trump|obama|hillary|election|vote|congress|senate|president|god\b|jesus|"
    r"church|pray|muslim|islam|christian|religion|abortion|immigra|refugee|terror|isis|"
    r"police|war\b|funeral|cancer",
}


@lru_cache(maxsize=16)
def keyword_rx(*groups: str) -> re.Pattern[str]:
    pattern = "|".join(CONCEPT_KEYWORDS[g] for g in groups)
    return re.compile(r"(?<![a-z])(?:" + pattern + r")", re.IGNORECASE)


@dataclass(frozen=True)
class Seed:
    """One hand-written, hand-labelled seed (data/builtin/llm_seeds.txt)."""

    text: str
    concepts: frozenset[str]  # LLM_CONCEPTS that hold, plus "hate" / "offensive"
    sentiment: str | None  # positive / negative / neutral, None: not a sentiment example


def _close_concepts(names: Iterable[str]) -> frozenset[str]:
    out = set(names)
    for name in list(out):
        out.update(_IMPLIES.get(name, ()))
    return frozenset(out)


def read_labelled_lines(name: str) -> tuple[Seed, ...]:
    """The texts of a hand-labelled file in data/builtin (``@ <concepts> | <sentiment>``
    headers, see llm_seeds.txt)."""
    known = set(LLM_CONCEPTS) | {"hate", "offensive", "none"}
    out: list[Seed] = []
    concepts: frozenset[str] | None = None
    sentiment: str | None = None
    for n, line in enumerate(_lines(REPO_DATA_DIR / name), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            head, _, senti = line[1:].partition("|")
            names = head.split()
            if not names or set(names) - known:
                raise ValueError(f"{name}:{n}: unknown concepts {names}")
            concepts = _close_concepts(c for c in names if c != "none")
            senti = senti.strip() or "-"
            if senti != "-" and senti not in SENTIMENTS:
                raise ValueError(f"{name}:{n}: unknown sentiment {senti!r}")
            sentiment = None if senti == "-" else senti
            continue
        if concepts is None:
            raise ValueError(f"{name}:{n}: text before the first '@' header")
        out.append(Seed(line, concepts, sentiment))
    return tuple(out)


@lru_cache(maxsize=1)
def read_seeds() -> tuple[Seed, ...]:
    return read_labelled_lines(LLM_SEEDS_FILE)


def seed_heldout(text: str, percent: int = SEED_HELDOUT_PERCENT) -> bool:
    """The fixed share of the seeds kept for evaluation (salted hash: independent of heldout)."""
    digest = hashlib.sha1(("seed:" + normalise_text(text)).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def llm_concepts(llm: dict, text: str = "") -> dict[str, bool]:
    """LLM first-token probabilities (one llm_labels.jsonl row's ``llm``) → concepts."""
    content = llm.get("content", {})
    out = dict.fromkeys(LLM_CONCEPTS, False)
    for label, (concept, low, high, group) in LLM_THRESHOLDS.items():
        p = content.get(label, 0.0)
        out[concept] = p >= high or (p >= low and bool(keyword_rx(group).search(text)))
    parents = {c: p[0] for c, p in _IMPLIES.items()}
    for schema, answer, concept, threshold in LLM_SUBTYPE_THRESHOLDS:
        parent = parents[concept]
        scores = llm.get(schema, {})
        ok = out[parent] or (concept == "violence_graphic" and out["threat"])
        out[concept] = ok and scores.get(answer, 0.0) >= threshold
    if out["violence_graphic"]:
        out["violence"] = True
    return out


def llm_sentiment(llm: dict) -> str | None:
    scores = llm.get("sentiment") or {}
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return best if scores[best] >= LLM_SENTIMENT_MIN_P else None


@lru_cache(maxsize=1)
def read_llm_labels() -> tuple[dict, ...]:
    """Rows of data/builtin/llm_labels.jsonl (pool rows only: seeds are labelled by hand)."""
    import json

    path = REPO_DATA_DIR / LLM_LABELS_FILE
    if not path.exists():
        return ()
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("source") not in ("seed", "hard_negative") and "content" in row["llm"]:
                rows.append(row)
    return tuple(rows)


def hard_negative_sections() -> list[tuple[str, str]]:
    """``(section title, text)`` of hard_negatives.txt (its ``## title`` comment lines)."""
    out, section = [], ""
    for line in _lines(REPO_DATA_DIR / "hard_negatives.txt"):
        line = line.strip()
        if line.startswith("##"):
            section = line.lstrip("# ").lower()
        elif line and not line.startswith("#"):
            out.append((section, line))
    return out


def seed_example(seed: Seed, source: str = "seed") -> Example:
    """A hand-labelled text (seed or filled template) with every concept set."""
    concepts = {c: c in seed.concepts for c in LLM_CONCEPTS}
    concepts["hate"] = "hate" in seed.concepts
    concepts["offensive"] = "offensive" in seed.concepts or "hate" in seed.concepts
    concepts["profane"] = is_profane(seed.text)
    concepts["hate_threat"] = concepts["hate"] and concepts["threat"]
    return Example(seed.text, source, concepts, label=seed.sentiment)


@lru_cache(maxsize=1)
def _moderation_concepts() -> dict[str, dict[str, bool]]:
    return {normalise_text(e.text): e.concepts for e in moderation_examples()}


LLM_OVERRIDES_FILE = "llm_overrides.jsonl"


@lru_cache(maxsize=1)
def llm_overrides() -> dict[str, dict[str, bool]]:
    """Reviewed corrections (data/builtin/llm_overrides.jsonl): normalised text -> concepts.

    Rows are matched on a prefix of the text, as long as the row gives (texts are quoted
    cut at 120 characters when reviewed).
    """
    import json

    path = REPO_DATA_DIR / LLM_OVERRIDES_FILE
    out: dict[str, dict[str, bool]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "text" in row:
                unknown = set(row["set"]) - set(LLM_CONCEPTS)
                if unknown:
                    raise ValueError(f"{LLM_OVERRIDES_FILE}: unknown concepts {unknown}")
                out[normalise_text(row["text"].rstrip("…"))] = dict(row["set"])
    return out


def _override(text: str, concepts: dict[str, bool]) -> None:
    key = normalise_text(text)
    for prefix, changes in llm_overrides().items():
        if key.startswith(prefix):
            concepts.update(changes)


IDENTITY_TEMPLATES_FILE = "identity_templates.txt"
# Targets that are not protected groups: the same abuse is offensive, not hate.
_OTHER_TARGETS = (
    "politicians", "lawyers", "bankers", "landlords", "referees", "telemarketers",
    "internet trolls", "Chelsea fans", "my coworkers", "journalists", "estate agents",
    "tax collectors",
)  # fmt: skip
GROUPS_PER_TEMPLATE = 4  # protected groups per training template
OTHER_TARGETS_PER_TEMPLATE = 2  # non-protected targets per hateful training template


def identity_template_examples(held_out: bool = False) -> list[Example]:
    """Texts of identity_templates.txt with every concept set (source ``identity_template``).

    Training: each template not held out (``seed_heldout`` of the template) filled with a few
    groups chosen by a hash of the template; ``held_out``: the others, filled with every group
    (the ``identity_templates`` evaluation set). Hateful templates are also filled with
    non-protected targets, labelled without ``hate``: the model must learn that hate needs a
    protected group, not a strong word.
    """
    out: list[Example] = []
    for tpl in read_labelled_lines(IDENTITY_TEMPLATES_FILE):
        if seed_heldout(tpl.text) != held_out:
            continue
        rng = random.Random(tpl.text)  # str seeds hash with sha512: the same on every machine
        groups, others = _IDENTITY_GROUPS, _OTHER_TARGETS
        if not held_out:
            groups = rng.sample(groups, GROUPS_PER_TEMPLATE)
            others = rng.sample(others, OTHER_TARGETS_PER_TEMPLATE)
        fills = [(g, tpl.concepts) for g in groups]
        if "hate" in tpl.concepts:
            fills += [(g, tpl.concepts - {"hate"}) for g in others]
        for group, names in fills:
            filled = Seed(tpl.text.replace("{g}", group), names, tpl.sentiment)
            out.append(seed_example(filled, source="identity_template"))
    return out


CASUAL_PROFANITY_FILE = "casual_profanity.txt"


def casual_profanity_examples(held_out: bool = False) -> list[Example]:
    """Swearing aimed at nobody (casual_profanity.txt, training or held-out share): profane,
    every other concept false — profanity alone is not harassment or an insult."""
    return [
        Example(text, "casual_profanity", {**dict.fromkeys(ALL_CONCEPTS, False),
                                           "profane": is_profane(text)})
        for text in _repo_list(CASUAL_PROFANITY_FILE)
        if seed_heldout(text) == held_out
        for _ in range(1 if held_out else MODERATION_REPEATS["seed"])
    ]  # fmt: skip


@lru_cache(maxsize=1)
def llm_examples() -> tuple[Example, ...]:
    """Training seeds (hand labels) + LLM-labelled pool rows, every concept set."""
    out = [seed_example(s) for s in read_seeds() if not seed_heldout(s.text)]
    mod = _moderation_concepts()
    for row in read_llm_labels():
        concepts = llm_concepts(row["llm"], row["text"])
        _override(row["text"], concepts)
        base = mod.get(normalise_text(row["text"]), {})
        concepts["hate"] = bool(base.get("hate"))
        concepts["offensive"] = bool(base.get("offensive")) or concepts["threat"]
        concepts["profane"] = is_profane(row["text"])
        source = "llm:" + row["source"].split(":")[0]
        out.append(Example(row["text"], source, concepts, label=llm_sentiment(row["llm"])))
    for ex in out:
        ex.concepts["hate_threat"] = ex.concepts["threat"] and ex.concepts["hate"]
    return tuple(_drop_eval(_drop_heldout_seeds(out)))


def _drop_heldout_seeds(examples: Iterable[Example]) -> list[Example]:
    banned = {normalise_text(s.text) for s in read_seeds() if seed_heldout(s.text)}
    return [e for e in examples if normalise_text(e.text) not in banned]


def _unreviewed_risky(text: str, groups: tuple[str, ...]) -> bool:
    """A text that looks like it may hold one of ``groups``' concepts but was not reviewed."""
    return bool(keyword_rx(*groups).search(text))


_STRONG_GROUPS = ("sexual", "threat", "self_harm")


@lru_cache(maxsize=1)
def extended_moderation_examples() -> tuple[Example, ...]:
    """openai / sightengine: the moderation pool plus the LLM-labelled concepts.

    Rows of the big pool that the LLM labelled get its concepts; the others count as negative
    for the new concepts (train_model needs every label of every row), except those matching
    the sexual / threat / self-harm keyword groups, which are left out (too likely to be
    unlabelled positives; about a fifth of the pool). The figurative-violence, medical and
    news hard negatives are negatives for every new concept, as their definitions say.
    """
    labelled = {normalise_text(e.text): e for e in llm_examples()}
    out: list[Example] = []
    for ex in moderation_examples():
        key = normalise_text(ex.text)
        if key in labelled:
            continue  # added below with every concept
        if ex.source != "hard_negative" and _unreviewed_risky(ex.text, _STRONG_GROUPS):
            continue
        concepts = {**dict.fromkeys(LLM_CONCEPTS, False), **ex.concepts, "hate_threat": False}
        out.append(Example(ex.text, ex.source, concepts))
    for e in labelled.values():
        copies = _repeats(e, MODERATION_REPEATS)
        out += [Example(e.text, e.source, dict(e.concepts)) for _ in range(copies)]
    out += _drop_eval(identity_template_examples() + casual_profanity_examples())
    return tuple(out)


def toxicity_examples() -> list[Example]:
    """toxicity: the moderation pool plus the hand-written seeds (training share).

    The seeds add what the tweet sets lack: threats without slurs, hate phrased politely,
    counter-speech and identity statements that are not hate, long-form text, hard
    negatives. Their hate / offensive labels are hand-given; profanity comes from the lists.
    """
    out = list(moderation_examples())
    taken = {normalise_text(e.text) for e in out}
    for s in read_seeds():
        if seed_heldout(s.text) or normalise_text(s.text) in taken:
            continue
        seed = seed_example(s)
        concepts = {c: seed.concepts[c] for c in CONCEPTS}
        out += [Example(s.text, "seed", dict(concepts)) for _ in range(MODERATION_REPEATS["seed"])]
    out += identity_template_examples() + casual_profanity_examples()
    return _drop_eval(out)


# Weighting by repetition (train_model keeps exact duplicates in one split, so copies never
# leak into validation or test): the rare new concepts would drown among 40k tweets.
MODERATION_REPEATS = {"seed": 4, "llm_positive": 2}
SMALL_RECIPE_REPEATS = {"seed": 3, "llm_positive": 1}


def _repeats(ex: Example, weights: dict[str, int]) -> int:
    if ex.source == "seed":
        return weights["seed"]
    if any(ex.concepts.get(c) for c in LLM_CONCEPTS):
        return weights["llm_positive"]
    return 1


def _keyword_free_sample(texts: Iterable[str], n: int, seed: int, exclude: set[str]) -> list[str]:
    """``n`` random distinct ``texts`` with no keyword of any concept group, none of them (once
    normalised) in ``exclude``: the NEUTRAL filler of the small recipes (noisy negatives)."""
    rx = keyword_rx(*CONCEPT_KEYWORDS)
    cands = sorted({t for t in texts if not rx.search(t) and normalise_text(t) not in exclude})
    return random.Random(seed).sample(cands, min(n, len(cands)))


def _neutral_tweets(n: int, seed: int, exclude: set[str]) -> list[str]:
    """Random non-offensive TweetEval training tweets."""
    tweets = (
        e.text
        for e in moderation_examples()
        if e.source.startswith("tweeteval_offensive") and not e.concepts.get("offensive")
    )
    return _keyword_free_sample(tweets, n, seed, exclude)


# Pet names and flirting the concept keywords miss, common in SMS between partners.
_SMS_ROMANCE = re.compile(
    r"(?<![a-z])(?:lov|luv|booty|juicy|naughty|xxx|sweet|darling|honey|princess|dear|bed\b|"
    r"ass\b|wet\b|hot\b|hug|muah|dream|heart|lady|boy ?friend|girl ?friend|wife|husband)",
    re.IGNORECASE,
)


def _neutral_sms(n: int, seed: int, exclude: set[str]) -> list[str]:
    """Random SMS ham without pet names, never an SMS spam evaluation text.

    Short first-person everyday messages ("I want to go home", "tonight I'm cooking"), which
    the tweets and sentences lack: without them nsfw called "I want to go home" UNSAFE 0.9.
    """
    ham = (text for text, spam in read_sms() if not spam and not _SMS_ROMANCE.search(text))
    return _keyword_free_sample(ham, n, seed, exclude | eval_keys())


def _neutral_sentences(n: int, seed: int, exclude: set[str]) -> list[str]:
    """Random lingua English sentences of four words or more."""
    sentences = (s for s in read_english_sentences() if len(s.split()) >= 4)
    return _keyword_free_sample(sentences, n, seed, exclude)


SMS_FILLER = 800  # keyword-free SMS ham per small recipe (propriety, nsfw)


def llm_recipe_examples(name: str, seed: int = 0) -> tuple[list[Example], list]:
    """Examples and labels of propriety / nsfw / sentiment."""
    base = [e for e in llm_examples() for _ in range(_repeats(e, SMALL_RECIPE_REPEATS))]
    taken = {normalise_text(e.text) for e in base}
    taken |= {normalise_text(s.text) for s in read_seeds()}
    if name == "sentiment":
        examples = [e for e in base if e.label in SENTIMENTS]
        return examples, [e.label.upper() for e in examples]
    examples = list(base)
    filler: list[Example] = []
    if name == "propriety":
        negs = [
            Example(t, "hard_negative", dict.fromkeys(LLM_CONCEPTS, False))
            for t in hard_negatives()
        ]
        filler = [Example(t, "tweets", {}) for t in _neutral_tweets(1500, seed, taken)]
        filler += [Example(t, "lingua_en", {}) for t in _neutral_sentences(500, seed, taken)]
        filler += [Example(t, "sms", {}) for t in _neutral_sms(SMS_FILLER, seed, taken)]
        examples += negs
    else:  # nsfw: keyword-free tweets only (lingua sentences touch SENSITIVE topics)
        for section, text in hard_negative_sections():
            if "identity" in section:
                continue  # racism / religion / immigration as topics: ambiguous for SENSITIVE
            sensitive = "medical" in section or "news" in section
            concepts = dict.fromkeys(LLM_CONCEPTS, False)
            concepts["sensitive"] = sensitive
            examples.append(Example(text, "hard_negative", concepts))
        filler = [Example(t, "tweets", {}) for t in _neutral_tweets(1000, seed + 1, taken)]
        filler += [Example(t, "sms", {}) for t in _neutral_sms(SMS_FILLER, seed + 1, taken)]
    examples += [
        Example(t, "hard_negative", dict.fromkeys(LLM_CONCEPTS, False))
        for t in everyday_first_person()
    ]
    examples += filler
    examples = _drop_eval(_drop_heldout_seeds(examples))
    return examples, [concept_labels(name, e) for e in examples]
