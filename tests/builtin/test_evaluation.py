"""The held-out evaluation of the built-in analyzers (scripts/eval_builtin.py's logic)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from modlab.builtin import datasets as ds
from modlab.builtin.evaluation import (
    TARGETS,
    evaluate_builtins,
    evaluate_seeds,
    everyday_flag_rates,
    format_report,
    long_text_scores,
    score_set,
)
from modlab.training.calibration import ece_noise_floor

pytestmark = pytest.mark.slow  # uses the package's quick builds


def test_score_set_flags_by_the_calibrated_thresholds(quick_models):
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["toxicity"])
    texts = ["you are a worthless idiot", "have a nice day", "I hate all of them, vermin"] * 3
    es = ds.EvalSet("tiny", texts, [1, 0, 1] * 3, "offensive")
    got = score_set(predictor, "toxicity", es)
    labels = ("TOXICITY", "PROFANITY", "DISCRIMINATION")
    proba = predictor.predict_proba(texts)
    cols = [predictor.labels_.index(lbl) for lbl in labels]
    thresholds = np.array([predictor.threshold(lbl) for lbl in labels])
    flag = (proba[:, cols] >= thresholds).any(axis=1).astype(int)
    assert got.labels == labels and got.n == 9 and got.positives == 6
    assert got.f1 == pytest.approx(f1_score(es.y, flag))
    assert got.macro_f1 == pytest.approx(f1_score(es.y, flag, average="macro"))
    assert got.ece_floor == pytest.approx(ece_noise_floor(proba[:, cols].max(axis=1)))


def test_seed_evaluation_counts_the_held_out_seeds(quick_models):
    from modlab.training import Predictor

    held = [s for s in ds.read_seeds() if ds.seed_heldout(s.text)]
    result = evaluate_seeds(Predictor.load(quick_models["openai"]), "openai")
    assert result["n_seeds"] == len(held)
    sexual = sum("sexual" in ds.concept_labels("openai", ds.seed_example(s)) for s in held)
    assert result["labels"]["sexual"]["positives"] == sexual > 0
    # seeds that threaten a group (hate + threat) count for hate/threatening too
    hate_threat = sum({"hate", "threat"} <= s.concepts for s in held)
    assert result["labels"]["hate/threatening"]["positives"] == hate_threat > 0
    for m in result["labels"].values():
        assert 0.0 <= m["precision"] <= 1.0 and 0.0 <= m["f1"] <= 1.0

    senti = evaluate_seeds(Predictor.load(quick_models["sentiment"]), "sentiment")
    assert set(senti["labels"]) == {"POSITIVE", "NEGATIVE", "NEUTRAL"}
    assert sum(m["positives"] for m in senti["labels"].values()) == senti["n_seeds"]


def test_report_prints_every_target_and_the_seed_table(quick_models, builtin_data_dir):
    from modlab.settings import get_settings

    get_settings.cache_clear()
    results = evaluate_builtins(get_settings().models_dir, ["propriety", "quality-missing"])
    assert results["quality-missing"] == {"built": False}
    assert "seeds" in results["propriety"]
    report = format_report(results)
    for set_name, _analyzer, _metric, target in TARGETS:
        assert set_name in report and f"{target:.2f}" in report
    assert "propriety    FLIRTATION" in report
    floor = results["propriety"]["internal_test"]["ece_floor"]  # quick build: same code path
    assert f"({floor:.3f})" in report


def test_everyday_text_flagged_is_the_share_of_held_out_ham_and_prose(quick_models):
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["toxicity"])
    rates = everyday_flag_rates(predictor)
    held = ds.everyday_heldout()
    for kind in ("sms_ham", "prose"):
        flags = predictor.flags(held[kind])[:, :3]  # TOXICITY, PROFANITY, DISCRIMINATION
        assert rates[kind]["n"] == len(held[kind])
        assert rates[kind]["flagged"] == pytest.approx(flags.any(axis=1).mean())
        assert rates[kind]["labels"]["PROFANITY"] == pytest.approx(flags[:, 1].mean())
        assert "NEUTRAL" not in rates[kind]["labels"]


def test_long_text_scores_compare_whole_texts_with_windows(quick_models):
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["openai"])
    assert predictor.window_chars == 140  # the build sets it for the harm analyzers
    got = long_text_scores(predictor, "openai")
    assert predictor.window_chars == 140  # restored
    assert got["window_chars"] == 140 and set(got) == {"window_chars", "whole", "windows"}
    for mode in ("whole", "windows"):
        assert set(got[mode]) == {
            "seeds_in_sms_ham_f1", "seeds_in_prose_f1",
            "sms_ham_docs_flagged", "prose_docs_flagged",
        }  # fmt: skip
        assert all(0.0 <= v <= 1.0 for v in got[mode].values())
    assert got == long_text_scores(predictor, "openai")  # fixed documents
    # windows find at least what whole texts find in the harmful documents
    assert got["windows"]["seeds_in_prose_f1"] >= got["whole"]["seeds_in_prose_f1"] - 0.05
