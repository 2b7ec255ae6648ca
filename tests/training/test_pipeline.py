import numpy as np
import pandas as pd
import pytest

from modlab.training.labels import encode_labels
from modlab.training.pipeline import (
    choose_trainer,
    data_digest,
    train_model,
    train_model_from_frame,
)
from modlab.training.review import review_dataset

from .conftest import make_multilabel, make_spam


def test_train_model_without_logging_single_label():
    texts, labels = make_spam(400, noise=0.05, seed=0)
    labels[0] = labels[5] = None  # not annotated yet
    ids = [f"ex{i}" for i in range(len(texts))]
    r = train_model("spam", texts, labels, ["NEUTRAL", "SPAM"], log=False, ids=ids)
    assert r.run_id is None and r.version is None
    assert r.review.unannotated == 2
    sizes = r.split.sizes()
    assert sum(sizes.values()) == 398 and sizes["test"] >= 55
    rows = np.concatenate([r.split.extra["rows"][k] for k in ("train", "val", "test")])
    assert sorted(rows.tolist()) == [i for i in range(400) if i not in (0, 5)]
    assert r.split.extra["ids"]["test"][0] == ids[r.split.extra["rows"]["test"][0]]
    assert list(r.thresholds) == ["SPAM"]  # NEUTRAL is never thresholded
    assert 0 < r.thresholds["SPAM"] < 1
    assert r.metrics["f1.SPAM"] > 0.85 and "val_f1.SPAM" in r.metrics
    assert (
        r.evaluation.per_label.loc["SPAM", "support"]
        == sizes["test"] - (r.evaluation.per_label.loc["NEUTRAL", "support"])
    )
    assert r.predictor.predict_proba(["win free cash prize"])[0, 1] > 0.5
    assert r.params["n_test"] == sizes["test"] and r.params["trainer"] == "linear"
    assert r.params["data_digest"] == r.split.extra["data_digest"]


def test_train_model_multilabel_with_calibration_targets_and_cv():
    texts, labels, names = make_multilabel(300, seed=1)
    r = train_model(
        "tox",
        texts,
        labels,
        names,
        multi_label=True,
        calibration="isotonic",
        threshold_targets={"TOXICITY": ("precision", 0.9)},
        cv_folds=3,
        log=False,
    )
    assert set(r.thresholds) == set(names)
    assert r.threshold_choices["TOXICITY"].objective == "precision"
    assert r.threshold_choices["PROFANITY"].objective == "f1"
    assert r.predictor.calibrator is not None
    assert r.metrics["macro_f1"] > 0.8
    assert 0 < r.metrics["cv_macro_f1_mean"] <= 1 and "cv_macro_f1_std" in r.metrics


def test_split_is_reproducible_for_same_seed():
    texts, labels = make_spam(200, seed=3)
    a = train_model("s", texts, labels, log=False, seed=4)
    b = train_model("s", texts, labels, log=False, seed=4)
    assert np.array_equal(a.split.test, b.split.test)
    assert a.metrics["macro_f1"] == b.metrics["macro_f1"]


def test_data_digest_changes_with_data():
    texts, labels = make_spam(50)
    Y, names, _ = encode_labels(labels)
    d = data_digest(texts, Y, names)
    assert d == data_digest(list(texts), Y.copy(), names)
    Y2 = Y.copy()
    Y2[0] = 1 - Y2[0]
    assert d != data_digest(texts, Y2, names)
    assert d != data_digest(texts[:-1] + ["other"], Y, names)


def test_choose_trainer():
    small = review_dataset(["a"] * 3, ["X", "Y", "X"])
    big = review_dataset([f"t{i}" for i in range(300)], ["X"] * 150 + ["Y"] * 150)
    assert choose_trainer(small) == "embedding" and choose_trainer(big) == "linear"


def test_from_frame_and_input_checks():
    texts, labels = make_spam(200)
    frame = pd.DataFrame({"text": texts, "label": labels})
    frame.loc[3, "label"] = np.nan
    r = train_model_from_frame("f", frame, label_names=["NEUTRAL", "SPAM"], log=False)
    assert r.review.unannotated == 1
    with pytest.raises(ValueError, match="texts but"):
        train_model("x", texts, labels[:-1], log=False)
    with pytest.raises(ValueError, match="without any example"):
        train_model("x", texts, ["NEUTRAL"] * 200, ["NEUTRAL", "SPAM"], log=False)


def test_cv_tuning_chooses_from_grid_on_out_of_fold_scores_and_fits_on_train_plus_val():
    texts, labels = make_spam(300, noise=0.05, seed=3)
    ids = [f"ex{i}" for i in range(len(texts))]
    grid = {"C": [0.01, 10.0]}
    r = train_model(
        "spam", texts, labels, ["NEUTRAL", "SPAM"], log=False, ids=ids,
        tuning="cv", param_grid=grid, cv_folds=3,
    )  # fmt: skip
    search = r.split.extra["tuning"]
    assert search["folds"] == 3 and [c["params"] for c in search["candidates"]] == [
        {"C": 0.01},
        {"C": 10.0},
    ]
    best = max(search["candidates"], key=lambda c: c["mean_best_f1"])
    assert search["chosen"] == best["params"] and best["params"]["C"] == r.predictor.model.C
    # the out-of-fold scores cover exactly train+validation, never the test split
    oof = r.split.extra["oof"]
    pool = set(r.split.train.tolist()) | set(r.split.val.tolist())
    assert set(oof["positions"]) == pool and not pool & set(r.split.test.tolist())
    rows = r.split.extra["rows"]
    assert oof["ids"] == [ids[i] for i in rows["train"] + rows["val"]]
    assert len(oof["proba"]) == len(pool) and len(oof["proba"][0]) == 2
    # the final model saw train+validation: it fits the validation texts better than a
    # train-only model would be expected to (every validation text is in its vocabulary)
    vocab = r.predictor.model.vectorizer_.transformer_list[0][1].vocabulary_
    val_text = texts[r.split.extra["rows"]["val"][0]]
    assert all(w in vocab for w in val_text.lower().split() if len(w) > 1)
    assert "oof_f1.SPAM" in r.metrics and "val_f1.SPAM" not in r.metrics
    assert r.params["tuning"] == "cv" and r.metrics["f1.SPAM"] > 0.85


def test_cv_tuning_keeps_parameters_the_caller_fixed_and_rejects_bad_input():
    texts, labels = make_spam(200, noise=0.0, seed=4)
    r = train_model(
        "spam", texts, labels, ["NEUTRAL", "SPAM"], log=False,
        trainer_params={"C": 2.0}, tuning="cv", cv_folds=2,
    )  # fmt: skip
    assert [c["params"] for c in r.split.extra["tuning"]["candidates"]] == [{}]
    assert r.predictor.model.C == 2.0
    with pytest.raises(ValueError, match="tuning must be"):
        train_model("spam", texts, labels, ["NEUTRAL", "SPAM"], log=False, tuning="bogus")
    with pytest.raises(ValueError, match=r"param_grid\['C'\]"):
        train_model(
            "spam", texts, labels, ["NEUTRAL", "SPAM"], log=False, tuning="cv",
            param_grid={"C": []},
        )  # fmt: skip
