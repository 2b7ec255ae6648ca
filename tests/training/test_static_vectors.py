"""Static MiniLM token vectors and the hybrid (TF-IDF + static vectors) trainer."""

import numpy as np
import pytest

from modlab.training.static_vectors import StaticEncoder
from modlab.training.trainers import HybridTrainer, LinearTrainer, load_trainer

from .conftest import make_multilabel

# Distilling the vectors runs MiniLM over its 30k-token vocabulary once (~15 s, then cached).
pytestmark = pytest.mark.slow

SELF_HARM = [
    "I want to kill myself",
    "I am going to end my life",
    "I want to die, nobody cares",
    "I'm thinking of taking all my pills tonight",
    "I just want it all to be over",
    "I hate myself and want to disappear",
]
EVERYDAY = [
    "the pizza was great",
    "see you at the game on sunday",
    "what a lovely garden you have",
    "the meeting moved to 3pm",
    "my cat loves the new toy",
    "we watched a film last night",
]
# No word of these is in the training texts above: only meaning links them.
UNSEEN_POSITIVE = [
    "suicide feels like the only way out",
    "goodbye everyone, I won't be here tomorrow",
    "nothing matters, I'm done living",
]
UNSEEN_NEGATIVE = [
    "dinner at the restaurant was tasty",
    "the train to london is late again",
    "happy birthday, have a great day",
]


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return StaticEncoder.from_minilm().fit(SELF_HARM + EVERYDAY + UNSEEN_NEGATIVE)


def test_vectors_cover_the_vocabulary_and_texts_are_unit_length(encoder):
    assert encoder.vectors.shape == (30522, 256) and encoder.vectors.dtype == np.float32
    X = encoder.encode(["I want to kill myself", "", "🙂"])
    assert X.shape == (3, 256)
    assert np.isclose(np.linalg.norm(X[0]), 1.0, atol=1e-5)
    assert not X[1].any()  # no tokens: a zero vector, not NaN


def test_paraphrases_are_closer_than_unrelated_text(encoder):
    a, b, c = encoder.encode(
        ["I want to kill myself", "I am going to end my life", "the pizza was delicious"]
    )
    assert a @ b > a @ c + 0.1


def test_fit_weights_frequent_tokens_down(encoder):
    ids = dict(encoder.tokenizer.get_vocab())
    assert encoder.weights[ids["the"]] < encoder.weights[ids["garden"]] < 1.0
    assert encoder.weights[ids["zebra"]] == encoder.weights.max()  # never seen


def test_save_and_load_keep_the_encoding(encoder, tmp_path):
    encoder.save(tmp_path)
    loaded = StaticEncoder.load(tmp_path)
    texts = SELF_HARM + UNSEEN_NEGATIVE
    assert np.allclose(loaded.encode(texts), encoder.encode(texts), atol=5e-3)  # float16 file


def test_hybrid_generalises_where_ngrams_cannot(tmp_path):
    labels = ["SELF_HARM"] * len(SELF_HARM) + ["NEUTRAL"] * len(EVERYDAY)
    margins = {}
    for cls in (LinearTrainer, HybridTrainer):
        t = cls(labels=["NEUTRAL", "SELF_HARM"]).fit(SELF_HARM + EVERYDAY, labels)
        p = t.predict_proba(UNSEEN_POSITIVE + UNSEEN_NEGATIVE)[:, 1]
        margins[cls.name] = p[:3].min() - p[3:].max()
    assert margins["hybrid"] > 0  # every unseen positive ranks above every unseen negative
    assert margins["hybrid"] > margins["linear"]


def test_hybrid_multilabel_roundtrip(tmp_path):
    texts, labels, names = make_multilabel(200, seed=0)
    t = HybridTrainer(labels=names, multi_label=True, max_features=5000).fit(texts, labels)
    proba = t.predict_proba(texts[:20])
    assert proba.shape == (20, 3) and t.features(texts[:2]).shape[1] > 256
    loaded = load_trainer(t.save(tmp_path / "h"))
    assert isinstance(loaded, HybridTrainer) and loaded.static_weight == 1.0
    assert np.allclose(loaded.predict_proba(texts[:20]), proba, atol=1e-3)
