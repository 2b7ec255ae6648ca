"""The moderation pool (toxicity / openai / sightengine): public tweet sets, ToxiGen, seeds,
templates and LLM-labelled rows, every row with every concept.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from modlab.builtin.datasets.concepts import CONCEPTS, LLM_CONCEPTS, Example, is_profane
from modlab.builtin.datasets.evalsets import drop_eval
from modlab.builtin.datasets.llm import (
    apply_overrides,
    keyword_rx,
    llm_concepts,
    llm_sentiment,
    read_llm_labels,
)
from modlab.builtin.datasets.seeds import (
    MODERATION_REPEATS,
    casual_profanity_examples,
    everyday_first_person,
    identity_neutral,
    identity_template_examples,
    read_reviewed_real,
    read_seeds,
    seed_example,
    seed_heldout,
)
from modlab.builtin.datasets.sources import (
    everyday_texts,
    hard_negatives,
    heldout,
    read_davidson,
    read_toxigen,
    read_tweeteval,
)
from modlab.training.splits import normalise_text


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
    for text in everyday_texts():
        if not is_profane(text):  # a swearing SMS may or may not be offensive: left out
            out.append(Example(text, "everyday", dict.fromkeys(CONCEPTS, False)))
    # Ordinary first-person wishes and plans: the self-harm seeds are first-person wishes
    # ("I want to die") and little else is, so "I want to go home" read as self-harm/intent.
    for text in hard_negatives() + identity_neutral() + everyday_first_person():
        out.append(Example(text, "hard_negative", dict.fromkeys(CONCEPTS, False)))
    return tuple(drop_eval(out))


@lru_cache(maxsize=1)
def _moderation_concepts() -> dict[str, dict[str, bool]]:
    return {normalise_text(e.text): e.concepts for e in moderation_examples()}


@lru_cache(maxsize=1)
def llm_examples() -> tuple[Example, ...]:
    """Training seeds (hand labels), reviewed real texts (hand labels) and LLM-labelled pool
    rows, every concept set."""
    out = [seed_example(s) for s in read_seeds() if not seed_heldout(s.text)]
    out += [seed_example(s, source="reviewed") for s in read_reviewed_real()]
    mod = _moderation_concepts()
    for row in read_llm_labels():
        concepts = llm_concepts(row["llm"], row["text"])
        apply_overrides(row["text"], concepts)
        base = mod.get(normalise_text(row["text"]), {})
        concepts["hate"] = bool(base.get("hate"))
        concepts["offensive"] = bool(base.get("offensive")) or concepts["threat"]
        concepts["profane"] = is_profane(row["text"])
        source = "llm:" + row["source"].split(":")[0]
        out.append(Example(row["text"], source, concepts, label=llm_sentiment(row["llm"])))
    for ex in out:
        ex.concepts["hate_threat"] = ex.concepts["threat"] and ex.concepts["hate"]
    return tuple(drop_eval(drop_heldout_seeds(out)))


def drop_heldout_seeds(examples: Iterable[Example]) -> list[Example]:
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
        copies = example_repeats(e, MODERATION_REPEATS)
        out += [Example(e.text, e.source, dict(e.concepts)) for _ in range(copies)]
    out += drop_eval(identity_template_examples() + casual_profanity_examples())
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
    return drop_eval(out)


def example_repeats(ex: Example, weights: dict[str, int]) -> int:
    if ex.source in ("seed", "reviewed"):  # hand labels, seeds or reviewed real texts
        return weights["seed"]
    if any(ex.concepts.get(c) for c in LLM_CONCEPTS):
        return weights["llm_positive"]
    return 1
