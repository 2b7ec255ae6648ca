"""Hand-written, hand-labelled data: the seeds, the identity templates, casual profanity and
the template sentences against identity-term and first-person bias.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from modlab.builtin.datasets.concepts import (
    ALL_CONCEPTS,
    IMPLIED_CONCEPTS,
    LLM_CONCEPTS,
    SENTIMENTS,
    Example,
    is_profane,
)
from modlab.builtin.datasets.sources import REPO_DATA_DIR, read_lines, repo_jsonl, repo_list
from modlab.training.splits import normalise_text

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


LLM_SEEDS_FILE = "llm_seeds.txt"


SEED_HELDOUT_PERCENT = 25


@dataclass(frozen=True)
class Seed:
    """One hand-written, hand-labelled seed (data/builtin/llm_seeds.txt)."""

    text: str
    concepts: frozenset[str]  # LLM_CONCEPTS that hold, plus "hate" / "offensive"
    sentiment: str | None  # positive / negative / neutral, None: not a sentiment example


def _close_concepts(names: Iterable[str]) -> frozenset[str]:
    out = set(names)
    for name in list(out):
        out.update(IMPLIED_CONCEPTS.get(name, ()))
    return frozenset(out)


# The concepts a hand label may name (seed headers add "none").
HAND_LABEL_CONCEPTS = frozenset(LLM_CONCEPTS) | {"hate", "offensive"}


def read_labelled_lines(name: str) -> tuple[Seed, ...]:
    """The texts of a hand-labelled file in data/builtin (``@ <concepts> | <sentiment>``
    headers, see llm_seeds.txt)."""
    known = HAND_LABEL_CONCEPTS | {"none"}
    out: list[Seed] = []
    concepts: frozenset[str] | None = None
    sentiment: str | None = None
    for n, line in enumerate(read_lines(REPO_DATA_DIR / name), 1):
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


# Real texts from the training shares of the shared sets, read and labelled by hand (JSON lines:
# text, concepts, source). Training data only: their evaluation is sexual_real.jsonl, drawn
# from the held-out shares.
REVIEWED_REAL_FILE = "reviewed_real.jsonl"


@lru_cache(maxsize=1)
def read_reviewed_real() -> tuple[Seed, ...]:
    """The hand-labelled real texts of :data:`REVIEWED_REAL_FILE` (no sentiment given).

    JSON rather than the seeds' line format: tweets start with "@user" and "#tag", which that
    format reads as headers and comments.
    """
    out: list[Seed] = []
    for n, row in repo_jsonl(REVIEWED_REAL_FILE):
        names = row.get("concepts")
        if not isinstance(names, list) or set(names) - HAND_LABEL_CONCEPTS:
            raise ValueError(f"{REVIEWED_REAL_FILE}:{n}: unknown concepts {names!r}")
        out.append(Seed(row["text"], _close_concepts(names), None))
    return tuple(out)


def seed_heldout(text: str, percent: int = SEED_HELDOUT_PERCENT) -> bool:
    """The fixed share of the seeds kept for evaluation (salted hash: independent of heldout)."""
    digest = hashlib.sha1(("seed:" + normalise_text(text)).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def seed_example(seed: Seed, source: str = "seed") -> Example:
    """A hand-labelled text (seed or filled template) with every concept set."""
    concepts = {c: c in seed.concepts for c in LLM_CONCEPTS}
    concepts["hate"] = "hate" in seed.concepts
    concepts["offensive"] = "offensive" in seed.concepts or "hate" in seed.concepts
    concepts["profane"] = is_profane(seed.text)
    concepts["hate_threat"] = concepts["hate"] and concepts["threat"]
    return Example(seed.text, source, concepts, label=seed.sentiment)


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


# Weighting by repetition (train_model keeps exact duplicates in one split, so copies never
# leak into validation or test): the rare new concepts would drown among 40k tweets.
MODERATION_REPEATS = {"seed": 4, "llm_positive": 2}
SMALL_RECIPE_REPEATS = {"seed": 3, "llm_positive": 1}
CASUAL_PROFANITY_FILE = "casual_profanity.txt"


def casual_profanity_examples(held_out: bool = False) -> list[Example]:
    """Swearing aimed at nobody (casual_profanity.txt, training or held-out share): profane,
    every other concept false — profanity alone is not harassment or an insult."""
    return [
        Example(text, "casual_profanity", {**dict.fromkeys(ALL_CONCEPTS, False),
                                           "profane": is_profane(text)})
        for text in repo_list(CASUAL_PROFANITY_FILE)
        if seed_heldout(text) == held_out
        for _ in range(1 if held_out else MODERATION_REPEATS["seed"])
    ]  # fmt: skip
