"""Evasions undone against a training vocabulary: leetspeak, spaced letters, masked letters."""

from __future__ import annotations

import pytest

from modlab.training.deobfuscate import Deobfuscator
from modlab.training.trainers import make_trainer

CORPUS = [
    "kill the lights",
    "you idiot",
    "that is stupid",
    "what the fuck",
    "oh shit",
    "you bitch",
    "hello friend",
    "the arse of a horse",
    "it was able to fly",
] * 3 + ["a rare word"]


@pytest.fixture(scope="module")
def restore() -> Deobfuscator:
    return Deobfuscator.fit(CORPUS)


def test_the_vocabulary_is_words_seen_often_enough(restore):
    assert restore.vocabulary["kill"] == 3 and "rare" not in restore.vocabulary
    assert restore.vocabulary["a"] == 4  # short words too: they split spaced-out runs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k1ll yourself", "kill yourself"),
        ("you are an 1d10t", "you are an idiot"),
        ("I will K1LL you", "I will kill you"),
        ("h3ll0 fr13nd", "hello friend"),
        ("$hit happens", "shit happens"),
        ("k i l l yourself", "kill yourself"),
        ("you are an i.d.i.o.t", "you are an idiot"),
        ("f-u-c-k off", "fuck off"),
        ("f*ck you", "fuck you"),
        ("st*pid b!tch!!", "stupid bitch!!"),  # the one fit; trailing "!!" is punctuation
        ("a**e", "arse"),  # masked: the swear word wins over "able"
        ("wh*t the", "what the"),  # masked, not a swear word: the one fit
        ("you stuuuupid idiooot", "you stupid idiot"),  # stretched letters
        ("kiiiill", "kill"),
        ("you \u0456d\u0456\u043et", "you idiot"),  # Cyrillic look-alikes
        ("k i l l t h e lights", "kill the lights"),  # two words spaced out as one run
    ],
)
def test_evasions_become_the_words_they_hide(restore, text, expected):
    assert restore(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "meet at 5pm on the 1st",  # numbers with units
        "my ps4 and the 70s",
        "b4 u go",  # too short to tell
        "idiot!!",  # punctuation, not a disguise
        "@user thanks",  # not a vocabulary word once restored
        "1 2 3 go",
        "b*t",  # masked, nothing in the vocabulary fits
        "sooo good",  # not a vocabulary word either way ("so" and "soo" unseen)
        "Привет, как дела?",  # Russian is not a disguise
    ],
)
def test_ordinary_tokens_stay_as_they_are(restore, text):
    assert restore(text) == text


def test_linear_trainer_sees_through_evasions_and_keeps_its_vocabulary(tmp_path):
    texts = ["you idiot", "what an idiot", "stupid idiot", "idiot"] * 5
    texts += ["hello friend", "nice day", "see you soon", "thanks a lot"] * 5
    labels = [["INSULT"]] * 20 + [["NEUTRAL"]] * 20

    def fitted(deobfuscate: bool):
        model = make_trainer(
            "linear", labels=["INSULT", "NEUTRAL"], multi_label=True, deobfuscate=deobfuscate
        )
        return model.fit(texts, labels)

    plain, seeing = fitted(False), fitted(True)
    evasive = ["you 1d10t", "you i d i o t"]
    assert (seeing.predict_proba(evasive)[:, 0] > 0.5).all()
    assert (plain.predict_proba(evasive)[:, 0] < seeing.predict_proba(evasive)[:, 0]).all()
    # clean text scores the same either way
    assert seeing.predict_proba(["you idiot"])[0, 0] == pytest.approx(
        plain.predict_proba(["you idiot"])[0, 0], abs=1e-6
    )
    loaded = type(seeing).load(seeing.save(tmp_path / "m"))
    assert loaded.deobfuscator_.vocabulary == seeing.deobfuscator_.vocabulary
    assert loaded.predict_proba(evasive).tolist() == seeing.predict_proba(evasive).tolist()
