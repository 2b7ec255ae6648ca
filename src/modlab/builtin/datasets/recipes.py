"""One recipe per built-in analyzer: its texts, labels and sources, ready for train_model."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from modlab.analyzers.builtin import BUILTIN_LABELS
from modlab.builtin.datasets.concepts import LLM_CONCEPTS, SENTIMENTS, Example, concept_labels
from modlab.builtin.datasets.evalsets import drop_eval, eval_keys
from modlab.builtin.datasets.lexicon import lexicon_sentiment_examples
from modlab.builtin.datasets.llm import CONCEPT_KEYWORDS, keyword_rx
from modlab.builtin.datasets.moderation import (
    drop_heldout_seeds,
    example_repeats,
    extended_moderation_examples,
    llm_examples,
    moderation_examples,
    toxicity_examples,
)
from modlab.builtin.datasets.quality import quality_examples
from modlab.builtin.datasets.seeds import SMALL_RECIPE_REPEATS, everyday_first_person, read_seeds
from modlab.builtin.datasets.sources import (
    hard_negative_sections,
    hard_negatives,
    read_english_sentences,
    read_sms,
)
from modlab.training.splits import normalise_text


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
    base = [e for e in llm_examples() for _ in range(example_repeats(e, SMALL_RECIPE_REPEATS))]
    taken = {normalise_text(e.text) for e in base}
    taken |= {normalise_text(s.text) for s in read_seeds()}
    if name == "sentiment":
        examples = [e for e in base if e.label in SENTIMENTS]
        examples += lexicon_sentiment_examples(seed, taken | eval_keys())
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
    examples = drop_eval(drop_heldout_seeds(examples))
    return examples, [concept_labels(name, e) for e in examples]
