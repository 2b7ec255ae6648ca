import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from modlab.settings import get_settings
from modlab.training.trainers import (
    EmbeddingTrainer,
    EnsembleTrainer,
    LinearTrainer,
    TransformerTrainer,
    load_trainer,
    make_trainer,
)

from .conftest import make_multilabel, make_spam


def test_constructor_does_no_work_and_clones():
    t = make_trainer("linear", labels=["NEUTRAL", "SPAM"], C=3.0)
    assert isinstance(t, LinearTrainer)
    assert not hasattr(t, "labels_") and not hasattr(t, "model_")
    c = clone(t)
    assert c.get_params() == t.get_params()
    with pytest.raises(RuntimeError, match="not fitted"):
        t.predict_proba(["x"])
    with pytest.raises(ValueError, match="unknown trainer"):
        make_trainer("bert-large")


def test_linear_single_label_fit_predict_save_load(tmp_path):
    texts, labels = make_spam(300, seed=0)
    test_texts, test_labels = make_spam(200, seed=1)
    t = LinearTrainer(labels=["NEUTRAL", "SPAM"]).fit(texts, labels)
    assert t.labels_ == ["NEUTRAL", "SPAM"] and not t.multi_label_
    proba = t.predict_proba(test_texts)
    assert proba.shape == (200, 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    y = np.array([lab == "SPAM" for lab in test_labels])
    assert ((proba[:, 1] >= 0.5) == y).mean() > 0.9
    assert list(t.predict(test_texts[:3])) == [t.labels_[i] for i in proba[:3].argmax(axis=1)]

    loaded = load_trainer(t.save(tmp_path / "m"))
    assert isinstance(loaded, LinearTrainer)
    assert loaded.labels_ == t.labels_ and loaded.get_params() == t.get_params()
    assert np.array_equal(loaded.predict_proba(test_texts), proba)


def test_linear_accepts_indices_and_keeps_column_order_for_missing_class():
    texts = ["good day", "free cash", "nice lunch", "win cash"]
    t = LinearTrainer(labels=["NEUTRAL", "SPAM", "SCAM"]).fit(texts, [0, 1, 0, 1])
    proba = t.predict_proba(["free cash now"])
    assert proba.shape == (1, 3) and proba[0, 2] == 0.0 and proba[0, 1] > proba[0, 0]


def test_linear_multilabel(tmp_path):
    texts, labels, names = make_multilabel(300, seed=0)
    test_texts, test_labels, _ = make_multilabel(150, seed=1)
    t = LinearTrainer(labels=names, multi_label=True).fit(texts, labels)
    assert t.multi_label_
    proba = t.predict_proba(test_texts)
    assert proba.shape == (150, 3)
    for j, name in enumerate(names):
        y = [name in lab for lab in test_labels]
        assert roc_auc_score(y, proba[:, j]) > 0.95
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent sigmoids
    loaded = load_trainer(t.save(tmp_path / "ml"))
    assert loaded.multi_label_ and np.array_equal(loaded.predict_proba(test_texts), proba)


def test_fit_rejects_unannotated_and_single_class():
    with pytest.raises(ValueError, match="unannotated"):
        LinearTrainer(labels=["A", "B"]).fit(["x", "y"], ["A", None])
    with pytest.raises(ValueError, match="single class"):
        LinearTrainer(labels=["A", "B"]).fit(["x", "y"], ["A", "A"])
    with pytest.raises(TypeError):
        LinearTrainer(labels=["A", "B"]).fit("xy", ["A", "B"])


def test_load_checks_trainer_kind(tmp_path):
    texts, labels = make_spam(60)
    path = LinearTrainer().fit(texts, labels).save(tmp_path / "m")
    with pytest.raises(ValueError, match="holds a 'linear' model"):
        TransformerTrainer.load(path)


@pytest.mark.slow
def test_embedding_trainer_few_shot(tmp_path):
    texts, labels = make_spam(40, seed=0)
    test_texts, test_labels = make_spam(40, seed=1)
    t = EmbeddingTrainer(labels=["NEUTRAL", "SPAM"]).fit(texts, labels)
    emb = t.embed(["hello there"])
    assert emb.shape == (1, 384) and np.isclose(np.linalg.norm(emb), 1.0, atol=1e-5)
    proba = t.predict_proba(test_texts)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
    y = np.array([lab == "SPAM" for lab in test_labels])
    assert roc_auc_score(y, proba[:, 1]) > 0.9
    loaded = load_trainer(t.save(tmp_path / "emb"))
    assert np.allclose(loaded.predict_proba(test_texts), proba)
    assert not (tmp_path / "emb" / "model.safetensors").exists()  # encoder is not copied


@pytest.mark.slow
def test_embedding_trainer_embeds_through_onnx_like_torch(monkeypatch, session_dir):
    from modlab.training.trainers import _hf

    probe = ["I want to kill myself", "", "a much longer text than the others " * 6, "hi"]
    t = EmbeddingTrainer()
    _hf.encoder_onnx_session.cache_clear()
    try:
        with_onnx = t.embed(probe)
        assert _hf.encoder_onnx_session(_hf.resolve_model_path(None), "cpu") is not None
        exported = list((get_settings().data_dir / "cache" / "onnx").glob("*.onnx"))
        assert len(exported) == 1  # once per machine, shared by every embedding model
        monkeypatch.setenv("MODLAB_TRANSFORMER_RUNTIME", "torch")
        get_settings.cache_clear()
        _hf.encoder_onnx_session.cache_clear()
        assert _hf.encoder_onnx_session(_hf.resolve_model_path(None), "cpu") is None
        with_torch = t.embed(probe)
    finally:
        _hf.encoder_onnx_session.cache_clear()
    assert with_onnx.shape == (4, 384)
    assert np.allclose(with_onnx, with_torch, atol=1e-5)


@pytest.mark.slow
def test_onnx_sessions_take_their_thread_count_from_the_settings(monkeypatch, session_dir):
    from modlab.training.trainers import _hf

    path = _hf.resolve_model_path(None)
    try:
        for threads in (1, 2):
            monkeypatch.setenv("MODLAB_ONNX_THREADS", str(threads))
            get_settings.cache_clear()
            _hf.encoder_onnx_session.cache_clear()
            options = _hf.encoder_onnx_session(path, "cpu").get_session_options()
            assert options.intra_op_num_threads == threads
    finally:
        _hf.encoder_onnx_session.cache_clear()


@pytest.mark.slow
def test_embedding_memo_encodes_each_text_once_and_only_inside_the_block(monkeypatch):
    from modlab.training.trainers import embedding

    t = EmbeddingTrainer()
    encoded = []
    real = EmbeddingTrainer._encode
    monkeypatch.setattr(
        EmbeddingTrainer,
        "_encode",
        lambda self, texts: encoded.append(list(texts)) or real(self, texts),
    )
    texts = ["I want to kill myself", "hello", "I want to kill myself"]
    plain = t.embed(texts)
    with embedding.embedding_memo():
        first = t.embed(texts)
        with embedding.embedding_memo():  # nested blocks share the outer memo
            again = t.embed(["hello", "new text"])
    after = t.embed(["hello"])
    assert encoded == [texts, ["I want to kill myself", "hello"], ["new text"], ["hello"]]
    assert np.allclose(first, plain, atol=1e-6) and np.allclose(again[0], plain[1], atol=1e-6)
    assert embedding._MEMO is None and np.allclose(after[0], plain[1], atol=1e-6)


@pytest.mark.slow
def test_embedding_trainer_reads_disguised_words_as_training_words(tmp_path):
    texts = [f"I will kill you {w}" for w in ("today", "tonight", "soon", "slowly")] * 3
    texts += [f"we had {w} for lunch" for w in ("soup", "rice", "pasta", "fish")] * 3
    labels = ["THREAT"] * 12 + ["NEUTRAL"] * 12
    plain = EmbeddingTrainer(labels=["NEUTRAL", "THREAT"]).fit(texts, labels)
    t = EmbeddingTrainer(labels=["NEUTRAL", "THREAT"], deobfuscate=True).fit(texts, labels)
    disguised, clean = t.embed(["I will k1ll you"]), t.embed(["I will kill you"])
    assert np.allclose(disguised, clean, atol=1e-5)
    assert not np.allclose(plain.embed(["I will k1ll you"]), clean, atol=1e-3)
    loaded = load_trainer(t.save(tmp_path / "deobf"))
    assert np.allclose(loaded.embed(["I will k1ll you"]), clean, atol=1e-5)
    assert load_trainer(plain.save(tmp_path / "plain")).deobfuscator_ is None


@pytest.mark.slow
def test_ensemble_averages_its_members_and_roundtrips(tmp_path):
    texts, labels, names = make_multilabel(300, seed=0)
    test_texts, _, _ = make_multilabel(50, seed=1)
    params = {"linear": {"C": 1.0}, "embedding": {"C": 4.0}}
    ens = EnsembleTrainer(
        labels=names,
        multi_label=True,
        members=("linear", "embedding"),
        member_params=params,
        weights=(3.0, 1.0),
    ).fit(texts, labels)
    alone = [
        make_trainer(n, labels=names, multi_label=True, **params[n]).fit(texts, labels)
        for n in ("linear", "embedding")
    ]
    proba = ens.predict_proba(test_texts)
    expected = 0.75 * alone[0].predict_proba(test_texts) + 0.25 * alone[1].predict_proba(test_texts)
    assert np.allclose(proba, expected)
    loaded = load_trainer(ens.save(tmp_path / "ens"))
    assert isinstance(loaded, EnsembleTrainer) and loaded.get_params() == ens.get_params()
    assert [type(m).__name__ for m in loaded.members_] == ["LinearTrainer", "EmbeddingTrainer"]
    assert np.allclose(loaded.predict_proba(test_texts), proba)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"members": ("linear", "bert-large")}, "unknown ensemble member"),
        ({"members": ("linear", "ensemble")}, "unknown ensemble member"),
        ({"members": ()}, "at least one member"),
        ({"members": ("linear",), "member_params": {"hybrid": {}}}, "not in the ensemble"),
        ({"members": ("linear", "hybrid"), "weights": (1.0,)}, "weights must be 2"),
        ({"members": ("linear", "hybrid"), "weights": (0.0, 0.0)}, "not all zero"),
    ],
)
def test_ensemble_rejects_a_bad_configuration_before_fitting(config, message):
    texts, labels = make_spam(40)
    with pytest.raises(ValueError, match=message):
        EnsembleTrainer(labels=["NEUTRAL", "SPAM"], **config).fit(texts, labels)


@pytest.mark.slow
def test_ensemble_with_embeddings_single_label(tmp_path):
    texts, labels = make_spam(60, seed=0)
    test_texts, test_labels = make_spam(40, seed=1)
    ens = EnsembleTrainer(labels=["NEUTRAL", "SPAM"], members=("linear", "embedding")).fit(
        texts, labels
    )
    proba = ens.predict_proba(test_texts)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
    y = np.array([lab == "SPAM" for lab in test_labels])
    assert roc_auc_score(y, proba[:, 1]) > 0.9
    assert np.allclose(load_trainer(ens.save(tmp_path / "e")).predict_proba(test_texts), proba)


@pytest.mark.parametrize("trainer", ["linear", "hybrid", "transformer"])
def test_trainers_that_mask_safe_phrases_see_names_without_the_listed_word(trainer):
    texts = ["I grew up reading Dick Tracy's comics", "what a dick"]
    assert make_trainer(trainer, mask_safe_phrases=True)._texts(texts) == [
        "I grew up reading Tracy's comics",
        "what a dick",
    ]
    assert make_trainer(trainer)._texts(texts) == texts  # off unless asked for


@pytest.mark.parametrize("trainer", ["linear", "hybrid"])
def test_mask_safe_phrases_keeps_names_out_of_a_lexical_label(tmp_path, trainer):
    # "dick" always means PROFANE in the training data, which has no "Dick Tracy".
    rude = [f"you are such a dick {w}" for w in ("today", "again", "mate", "lol", "honestly")]
    rude += [f"what a dick move by {w}" for w in ("him", "her", "them", "you", "the boss")]
    calm = [f"I read a good book about {w}" for w in ("birds", "cats", "trains", "ships")]
    calm += [f"we talked about {w} at lunch" for w in ("work", "music", "films", "food")]
    texts, labels = rude + calm, ["PROFANE"] * len(rude) + ["NEUTRAL"] * len(calm)
    probe = ["I grew up reading Dick Tracy's comics", "stop being a dick"]
    scores = {}
    for mask in (False, True):
        t = make_trainer(
            trainer, labels=["NEUTRAL", "PROFANE"], C=10.0, mask_safe_phrases=mask
        ).fit(texts, labels)
        scores[mask] = t.predict_proba(probe)[:, 1]
    assert scores[False][0] > scores[True][0] + 0.2  # unmasked, the name reads as profanity
    assert scores[True][0] < 0.5 < scores[True][1]  # masked: the name is not, the insult is
    loaded = load_trainer(t.save(tmp_path / trainer))
    assert loaded.mask_safe_phrases and np.allclose(loaded.predict_proba(probe)[:, 1], scores[True])


@pytest.mark.slow
def test_transformer_smoke_fit_and_roundtrip(tmp_path):
    texts, labels = make_spam(24, seed=0)
    t = TransformerTrainer(
        labels=["NEUTRAL", "SPAM"], epochs=1, batch_size=8, max_steps=2, max_length=16, device="cpu"
    ).fit(texts, labels)
    assert len(t.train_losses_) == 2 and all(np.isfinite(t.train_losses_))
    assert t.model_.config.id2label == {0: "NEUTRAL", 1: "SPAM"}
    proba = t.predict_proba(texts[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1.0)
    loaded = load_trainer(t.save(tmp_path / "tf"))
    assert isinstance(loaded, TransformerTrainer) and loaded.max_steps == 2
    assert np.allclose(loaded.predict_proba(texts[:5]), proba, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("multi_label", [False, True])
def test_transformer_saved_model_serves_through_onnx_with_torch_answers(
    tmp_path, monkeypatch, multi_label
):
    if multi_label:
        texts, labels, names = make_multilabel(16, seed=1)
    else:
        texts, labels = make_spam(16, seed=1)
        names = ["NEUTRAL", "SPAM"]
    t = TransformerTrainer(
        labels=names, multi_label=multi_label, epochs=1, batch_size=8, max_steps=2,
        max_length=16, device="cpu",
    ).fit(texts, labels)  # fmt: skip
    probe = [*texts[:6], "a much longer text than any of the training examples " * 3, ""]
    expected = t.predict_proba(probe)
    path = t.save(tmp_path / "tf")
    assert (path / "model.onnx").exists()

    onnx_model = load_trainer(path)
    assert onnx_model.onnx_session_ is not None and not hasattr(onnx_model, "model_")
    assert np.allclose(onnx_model.predict_proba(probe), expected, atol=1e-5)
    # Saving the ONNX-served model elsewhere keeps both forms (promotion copies models).
    again = load_trainer(onnx_model.save(tmp_path / "copy"))
    assert np.allclose(again.predict_proba(probe), expected, atol=1e-5)

    monkeypatch.setenv("MODLAB_TRANSFORMER_RUNTIME", "torch")
    get_settings.cache_clear()
    try:
        torch_model = load_trainer(path)
        assert torch_model.onnx_session_ is None and hasattr(torch_model, "model_")
        assert np.allclose(torch_model.predict_proba(probe), expected, atol=1e-6)
        # "onnx" insists on the ONNX copy instead of falling back to torch silently
        (path / "model.onnx").unlink()
        monkeypatch.setenv("MODLAB_TRANSFORMER_RUNTIME", "onnx")
        get_settings.cache_clear()
        with pytest.raises(FileNotFoundError, match="no ONNX copy"):
            load_trainer(path)
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_transformer_multilabel_uses_sigmoid():
    texts, labels, names = make_multilabel(16, seed=0)
    t = TransformerTrainer(
        labels=names, multi_label=True, epochs=1, batch_size=8, max_steps=1, max_length=16
    ).fit(texts, labels)
    assert t.model_.config.problem_type == "multi_label_classification"
    proba = t.predict_proba(texts[:4])
    assert proba.shape == (4, 3)
    assert ((proba > 0) & (proba < 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)
