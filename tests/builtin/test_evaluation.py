"""The held-out evaluation of the built-in analyzers (scripts/eval_builtin.py's logic)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from modlab.builtin import datasets as ds
from modlab.builtin.evaluation import (
    EVASIONS,
    TARGETS,
    disguise,
    evaluate_builtins,
    evaluate_seeds,
    evaluate_sentiment_real,
    evasion_scores,
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


def test_sentiment_on_real_texts_is_scored_by_the_arg_max_class(quick_models):
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["sentiment"])
    rows = ds.sentiment_real()
    got = evaluate_sentiment_real(predictor)
    names = list(predictor.labels_)
    gold = [names.index(r[1].upper()) for r in rows]
    pred = predictor.predict_proba([r[0] for r in rows]).argmax(axis=1)
    assert got["n"] == len(rows)
    assert got["macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro"))
    assert got["accuracy"] == pytest.approx(float(np.mean(np.array(gold) == pred)))
    assert {k: m["support"] for k, m in got["labels"].items()} == {
        name: gold.count(i) for i, name in enumerate(names)
    }
    assert sum(m["n"] for m in got["by_source"].values()) == len(rows)
    report = format_report({"sentiment": {"built": False, "real_texts": got}})
    assert f"macro-F1 {got['macro_f1']:.3f}" in report


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


def test_words_are_disguised_the_ways_evaders_do():
    import random
    import re

    got = {kind: disguise("stupid", kind, random.Random(3)) for kind in EVASIONS}
    assert got["spaced"] == "s t u p i d" and got["dots"] == "s.t.u.p.i.d"
    tripled = re.search(r"(.)\1\1", got["stretch"])
    assert len(got["stretch"]) == 8 and tripled
    assert got["stretch"].replace(tripled.group(0), tripled.group(1)) == "stupid"
    for kind in ("leet", "mask", "homoglyph"):
        changed = [i for i, (a, b) in enumerate(zip(got[kind], "stupid", strict=True)) if a != b]
        assert len(changed) == 1, kind  # one letter swapped for a look-alike or a mask
    assert got["mask"].count("*") == 1 and not got["mask"].startswith("*")
    assert disguise("rhythm", "mask", random.Random(0)) == "rhythm"  # no vowel to mask


def test_evasion_scores_cover_every_kind_and_are_fixed(quick_models):
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["toxicity"])
    got = evasion_scores(predictor, "toxicity")
    assert set(got) == {"clean", *EVASIONS}
    assert all(0.0 <= v <= 1.0 for v in got.values())
    assert got == evasion_scores(predictor, "toxicity")
    assert got["clean"] == pytest.approx(
        np.mean([m["f1"] for m in evaluate_seeds(predictor, "toxicity")["labels"].values()
                 if m["positives"]])
    )  # fmt: skip
