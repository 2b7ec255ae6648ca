"""Long texts scored window by window: the windows, the per-label maximum, the predictor."""

from __future__ import annotations

import numpy as np
import pytest

from modlab.training import train_model
from modlab.training.predictor import Predictor
from modlab.training.windows import WHOLE_TEXT_WINDOWS, text_windows, windowed_proba

MUSEUM = (
    "The museum opened a new wing last spring with paintings from the early twentieth "
    "century. Visitors can buy tickets online or at the entrance, and children under twelve "
    "enter for free. The cafe on the ground floor serves soup, sandwiches and coffee until "
    "five in the afternoon. Guided tours start every hour and last about forty minutes."
)


def test_texts_up_to_two_windows_are_scored_whole():
    assert text_windows("short text", 140) == []
    assert text_windows("x " * 140, 140) == []  # 280 characters: a tweet
    assert WHOLE_TEXT_WINDOWS * 140 == 280


def test_windows_are_runs_of_whole_sentences_that_cover_the_text():
    windows = text_windows(MUSEUM, 140)
    assert len(windows) == 4  # its four sentences: no two fit in 140 characters
    assert all(len(w) <= 140 for w in windows)
    assert " ".join(windows).split() == MUSEUM.split()
    assert windows[0].startswith("The museum") and windows[0].endswith("century.")
    # line breaks end a window's sentence too
    assert text_windows(MUSEUM.replace(". ", ".\n"), 140) == windows
    chat = " ".join(f"Message number {i} is here!" for i in range(20))  # 26-27 characters each
    packed = text_windows(chat, 140)
    assert [w.count("Message") for w in packed] == [5, 5, 5, 5]  # 5 x 27 + 4 spaces = 139
    assert all(len(w) <= 140 for w in packed)


def test_a_sentence_longer_than_a_window_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(120))
    windows = text_windows(words, 100)
    assert all(len(w) <= 100 for w in windows)
    assert " ".join(windows).split() == words.split()
    assert all(not w.startswith(" ") and not w.endswith(" ") for w in windows)
    with pytest.raises(ValueError, match="max_chars"):
        text_windows(words, 0)


def test_windowed_proba_keeps_each_labels_maximum_and_the_neutral_minimum():
    calls = []

    def score(texts):
        calls.append(list(texts))
        # column 0: "bad" when the text says so; column 1: neutral
        bad = np.array([0.9 if "bad" in t else 0.1 for t in texts])
        return np.stack([bad, 1 - bad], axis=1)

    long_text = MUSEUM + " This one sentence is bad. " + MUSEUM
    out = windowed_proba(score, ["fine", long_text], 140, neutral_column=1)
    assert len(calls) == 1  # whole texts and windows in one batch
    assert calls[0][:2] == ["fine", long_text] and len(calls[0]) > 4
    assert out[0].tolist() == [0.1, 0.9]  # short text unchanged
    assert out[1].tolist() == [0.9, pytest.approx(0.1)]  # the bad window wins; neutral: min
    # nothing long: one plain call
    assert windowed_proba(score, ["a", "b"], 140).shape == (2, 2)


INSULTS = ("you are a disgusting idiot", "what an idiot you are", "shut up you stupid moron",
           "you absolute moron", "idiot", "you are so stupid")  # fmt: skip
HARMLESS = ("the weather is nice today", "I bought bread and milk", "the meeting moved to noon",
            "see you at the station at five", "thanks for the lovely dinner",
            "the train was late again")  # fmt: skip
TRAIN = [(t, ["INSULT"]) for t in INSULTS] * 6 + [(t, ["NEUTRAL"]) for t in HARMLESS]
TRAIN += [(t, ["NEUTRAL"]) for t in ("my sister visits on sunday", "the bus leaves at nine",
          "we painted the kitchen", "lunch was soup and bread")] * 6  # fmt: skip


@pytest.fixture(scope="module")
def insult_model(tmp_path_factory):
    texts = [t for t, _ in TRAIN]
    labels = [y for _, y in TRAIN]
    return train_model(
        "insults", texts, labels, ["INSULT", "NEUTRAL"], multi_label=True, log=False,
        register=False, window_chars=140, test_size=0.2, val_size=0.2,
    ).predictor  # fmt: skip


def test_an_insult_inside_a_long_text_is_found_only_window_by_window(insult_model, tmp_path):
    long_text = MUSEUM + " You are a disgusting stupid idiot. " + MUSEUM
    assert insult_model.window_chars == 140
    windowed = insult_model.label_scores([long_text])[0]["INSULT"]
    insult_model.window_chars = None
    whole = insult_model.label_scores([long_text])[0]["INSULT"]
    insult_model.window_chars = 140
    assert windowed > 0.5 > whole
    # a long harmless text stays harmless, and short texts score as before
    assert insult_model.label_scores([MUSEUM + " " + MUSEUM])[0]["INSULT"] < 0.5
    loaded = Predictor.load(insult_model.save(tmp_path / "m"))
    assert loaded.window_chars == 140
    assert (
        loaded.predict_proba([long_text]).tolist()
        == insult_model.predict_proba([long_text]).tolist()
    )


def test_windows_need_a_multi_label_model():
    texts = [t for t, _ in TRAIN]
    labels = [y[0] for _, y in TRAIN]
    with pytest.raises(ValueError, match="multi-label"):
        train_model("x", texts, labels, ["INSULT", "NEUTRAL"], log=False, register=False,
                    window_chars=140)  # fmt: skip
    model = train_model("x", texts, labels, ["INSULT", "NEUTRAL"], log=False, register=False)
    model.predictor.window_chars = 140
    with pytest.raises(ValueError, match="multi-label"):
        model.predictor.predict_proba([MUSEUM + MUSEUM])
