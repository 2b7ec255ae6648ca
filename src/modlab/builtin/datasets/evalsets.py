"""The held-out sets the targets are measured on; no training text may equal one of them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from modlab.builtin.datasets.concepts import EvalSet, Example
from modlab.builtin.datasets.seeds import (
    identity_template_examples,
    read_labelled_lines,
    seed_heldout,
)
from modlab.builtin.datasets.sources import (
    hard_negative_sections,
    heldout,
    read_davidson,
    read_sms,
    read_tweeteval,
    repo_list,
)
from modlab.training.splits import normalise_text

# Sentences about groups written only to evaluate (data/builtin/identity_statements.txt).
IDENTITY_STATEMENTS_FILE = "identity_statements.txt"


def eval_sets() -> dict[str, EvalSet]:
    """The held-out sets the targets are measured on (never used for training or tuning)."""
    dav = [(t, c) for t, c in read_davidson() if heldout(t)]
    sms = [(t, s) for t, s in read_sms() if heldout(t)]
    hate = read_tweeteval("hate", "test")
    off = read_tweeteval("offensive", "test")
    comment_spam, comment_ham = _comment_spam_heldout()
    identity = identity_template_examples(held_out=True)
    statements = read_labelled_lines(IDENTITY_STATEMENTS_FILE)
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
        "identity_statements": EvalSet(
            "identity_statements",
            [st.text for st in statements],
            [int("hate" in st.concepts) for st in statements],
            "hate",
            "(no target; 30 sentences that name a group without hate, 15 hateful ones, "
            "written apart from the templates; hate-class F1)",
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
    spam = [t for t in repo_list("spam_comments.txt") if seed_heldout(t)]
    ham = [t for s, t in hard_negative_sections() if s == COMMENT_HAM_SECTION and seed_heldout(t)]
    return spam, ham


@lru_cache(maxsize=1)
def eval_keys() -> frozenset[str]:
    """Normalised texts of every evaluation set: such texts are never trained on."""
    keys: set[str] = set()
    for es in eval_sets().values():
        keys.update(normalise_text(t) for t in es.texts)
    return frozenset(keys)


def drop_eval(examples: Iterable[Example]) -> list[Example]:
    banned = eval_keys()
    return [e for e in examples if e.text.strip() and normalise_text(e.text) not in banned]
