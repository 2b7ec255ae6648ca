"""Build-time guards of the built-in analyzers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from modlab.builtin.build import FALLBACK_THRESHOLD, MIN_TUNED_F1, guard_unreliable_thresholds


def test_unreliable_labels_fall_back_to_more_likely_than_not():
    predictor = SimpleNamespace(thresholds={"sexual/minors": 0.001, "violence": 0.15, "hate": 0.7})
    choices = {
        "sexual/minors": SimpleNamespace(f1=0.003),  # 4 positives: the F1 optimum is noise
        "violence": SimpleNamespace(f1=MIN_TUNED_F1 + 0.1),  # tuned threshold kept
        "hate": SimpleNamespace(f1=0.1),  # already above the fallback: kept
    }
    assert guard_unreliable_thresholds(predictor, choices) == {"sexual/minors": 0.003}
    assert predictor.thresholds == {
        "sexual/minors": FALLBACK_THRESHOLD,
        "violence": 0.15,
        "hate": 0.7,
    }


def test_serve_builds_the_fine_tuned_analyzers_in_the_background(tmp_path):
    from modlab.builtin import build

    assert build.background_builds() == ("sentiment",)  # the one transformer default
    assert build.missing_builds(tmp_path) == list(build.BUILDABLE)
    # everything skipped: nothing is built, and the skipped names are not reported ready
    assert build.build_missing(tmp_path, skip=build.BUILDABLE) == []
    assert build.missing_builds(tmp_path) == list(build.BUILDABLE)


def test_the_hate_analyzers_are_built_blind_to_group_names(quick_models):
    from modlab.builtin.build import MASK_IDENTITY_TERMS
    from modlab.builtin.evaluation import load_build_info
    from modlab.training.predictor import Predictor

    for name, path in quick_models.items():
        params = load_build_info(path)["trainer_params"]
        assert params.get("mask_identity_terms", False) == (name in MASK_IDENTITY_TERMS), name
    # The served model masks at prediction too: which group is named changes nothing.
    toxicity = Predictor.load(quick_models["toxicity"])
    scores = toxicity.predict_proba(
        ["Women are amazing", "Muslims are amazing", "Jews are amazing"]
    )
    assert np.allclose(scores[0], scores[1]) and np.allclose(scores[0], scores[2])


def test_build_arguments_cv_tuning_windows_and_the_openai_hierarchy(monkeypatch):
    """Checked on the arguments build_builtin hands to train_model (a full fit is minutes)."""
    import modlab.training
    from modlab.builtin import build

    calls = {}

    class Stop(Exception):
        pass

    def capture(name, texts, labels, label_names, **kwargs):
        calls[name] = kwargs
        raise Stop

    monkeypatch.setattr(modlab.training, "train_model", capture)
    for name in ("propriety", "toxicity", "openai"):
        for quick in (False, True):
            with pytest.raises(Stop):  # stopped right after the arguments are captured
                build.build_builtin(name, quick=quick, log=False, models_dir=None)
            kwargs = calls[build.registered_name(name)]
            cv = name in build.CV_TUNED and not quick
            assert kwargs["tuning"] == ("cv" if cv else "split"), (name, quick)
            assert kwargs["param_grid"] == ({} if cv else None)  # C as configured
            assert kwargs["window_chars"] == build.WINDOW_CHARS  # harm analyzers: windows
            # OpenAI's subcategories ("hate/threatening") never outscore their parent
            parents = kwargs["label_parents"]
            if name == "openai":
                assert parents["harassment/threatening"] == "harassment" and len(parents) == 6
            else:
                assert parents is None
    assert "propriety" in build.CV_TUNED and "openai" not in build.CV_TUNED


def test_identity_masking_reaches_only_the_ngram_members_of_an_ensemble():
    from modlab.builtin.build import TRAINER_PARAMS, _with_identity_masking

    params = TRAINER_PARAMS["ensemble"]
    masked = _with_identity_masking("ensemble", params)
    assert masked["member_params"]["hybrid"]["mask_identity_terms"] is True
    # the sentence encoder reads the group's name in context, like the transformer
    assert "mask_identity_terms" not in masked["member_params"]["embedding"]
    assert "mask_identity_terms" not in params["member_params"]["hybrid"]  # not mutated
    assert _with_identity_masking("linear", {"C": 1.0}) == {"C": 1.0, "mask_identity_terms": True}
    assert _with_identity_masking("transformer", {"epochs": 3}) == {"epochs": 3}
