"""A custom model trained with the workbench is served from the MLflow registry's champion."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

SPAM = [f"WIN a free prize now, call {n} to claim your cash reward" for n in range(40)]
HAM = [f"see you at dinner around {n} tonight, love you" for n in range(40)]


def _train(name: str, flip: bool = False):
    from modlab.training import train_model

    labels = ["SPAM"] * len(SPAM) + ["NEUTRAL"] * len(HAM)
    if flip:  # a deliberately different second version
        labels = ["NEUTRAL"] * len(SPAM) + ["SPAM"] * len(HAM)
    return train_model(
        name, SPAM + HAM, labels, ["SPAM", "NEUTRAL"], promote="never", log_plots=False
    )


def test_promoted_version_is_served_and_swapped_without_restart(client, make_project):
    from modlab.analyzers.custom import champion_cache
    from modlab.training.tracking import promote, rollback

    name = "shop-spam"
    first = _train(name)
    promote(name, first.version)
    champion_cache().reload(name)
    proj = make_project(filter={name: {"enabled": True, "thresholds": {"SPAM": 0.5}}})

    text = "WIN a free prize now, call 5 to claim your cash reward"
    r = client.post(f"/api/v1/analyze/{name}", headers=proj.headers, json={"value": text})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "SPAM" and set(r.json()["label_scores"]) == {"SPAM", "NEUTRAL"}
    mod = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": text}).json()
    assert mod[name]["flagged"] is True and mod["flagged"] is True

    second = _train(name, flip=True)
    promote(name, second.version)
    reloaded = client.post(f"/api/v1/models/{name}/reload", headers=proj.headers)
    assert reloaded.json()["version"] == str(second.version)
    r = client.post(f"/api/v1/analyze/{name}", headers=proj.headers, json={"value": text})
    assert r.json()["label"] == "NEUTRAL"

    rollback(name)
    client.post(f"/api/v1/models/{name}/reload", headers=proj.headers)
    r = client.post(f"/api/v1/analyze/{name}", headers=proj.headers, json={"value": text})
    assert r.json()["label"] == "SPAM"


def test_filter_accepts_registered_models_only(client, proj):
    from modlab.analyzers.custom import champion_cache

    _train("known-model")
    champion_cache().reload("known-model")
    url = f"/api/v1/projects/{proj.project.id}"
    ok = client.post(url, headers=proj.headers, json={"filter": {"known-model": {}}})
    assert ok.status_code == 200, ok.text
    bad = client.post(url, headers=proj.headers, json={"filter": {"unknown-model": {}}})
    assert bad.status_code == 400 and "unknown-model" in bad.json()["message"]


def test_reload_of_unknown_model_is_404(client, proj):
    r = client.post("/api/v1/models/nothing-registered/reload", headers=proj.headers)
    assert r.status_code == 404
