"""Identity-term masking: the names of protected groups go, what is said about them stays."""

from __future__ import annotations

import numpy as np
import pytest

from modlab.training.identity_terms import mask_identity_terms, names_identity_group
from modlab.training.trainers import load_trainer, make_trainer


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Women are amazing", "are amazing"),
        ("Black people are a disease", "are a disease"),  # the noun after the name goes too
        ("Native Americans have enriched our culture", "have enriched our culture"),
        ("I hate all MUSLIMS!", "I hate all !"),
        ("gay men and trans women", "and"),
        ("The Indian community centre", "The centre"),
    ],
)
def test_mask_identity_terms_drops_group_names(text, masked):
    assert mask_identity_terms(text) == masked
    assert names_identity_group(text) and not names_identity_group(masked)


@pytest.mark.parametrize(
    "text",
    [
        "these people are awful",  # "people" alone is not a group's name
        "politicians are all liars",  # non-protected targets stay: abuse of them is not hate
        "Whitewater rafting with the girls",  # word boundaries; "girls" stays (sexual/minors)
        "you fucking idiot",  # insults and slurs are what the model must see
    ],
)
def test_mask_identity_terms_keeps_everything_else(text):
    assert mask_identity_terms(text) == text and not names_identity_group(text)


@pytest.mark.parametrize("trainer", ["linear", "hybrid"])
def test_identity_blind_model_judges_what_is_said_not_who_is_named(tmp_path, trainer):
    # As in the public hate sets: some groups are named mostly in hateful texts.
    hateful = ("are vermin", "are filthy animals", "should be deported", "are a disease")
    hate = [f"{g} {p}" for g in ("women", "immigrants", "Muslims") for p in hateful]
    calm = [f"Christians {p}" for p in ("deserve respect", "are our neighbours", "are kind")]
    calm += [f"the {w} was lovely today" for w in ("weather", "concert", "walk", "lunch")]
    calm += [f"I liked the {w} we saw" for w in ("film", "show", "match", "museum")]
    texts, labels = hate + calm, ["HATE"] * len(hate) + ["NEUTRAL"] * len(calm)
    probe = ["women are our neighbours", "Christians are our neighbours", "refugees are vermin"]
    scores = {}
    for mask in (False, True):
        t = make_trainer(trainer, labels=["NEUTRAL", "HATE"], C=10.0, mask_identity_terms=mask)
        scores[mask] = t.fit(texts, labels).predict_proba(probe)[:, 1]
    # Unmasked, "women" is hate and "Christians" is not; blind to the names, both read the
    # same, the benign statement is not hate and the dehumanising one about a group never
    # seen in training is.
    assert scores[False][0] > scores[False][1] + 0.2
    assert scores[True][0] == pytest.approx(scores[True][1])
    assert scores[True][0] < 0.5 < scores[True][2]
    loaded = load_trainer(t.save(tmp_path / trainer))
    assert loaded.mask_identity_terms
    assert np.allclose(loaded.predict_proba(probe)[:, 1], scores[True], atol=1e-4)
