"""Quick builds served through the API: modlab's, OpenAI's and Sightengine's shapes."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest

from modlab.analyzers.builtin import BUILTIN_LABELS, OPENAI_CATEGORIES, SIGHTENGINE_CLASSES

# Quick builds + MLflow logging + a uvicorn server: tens of seconds (minutes on a busy box).
pytestmark = pytest.mark.slow

TEXTS = [
    "you are a worthless idiot and everyone hates you",
    "Thanks for the help with the report, see you tomorrow.",
    "Reading on the train is how I kill time.",
]


def test_quick_builds_are_installed_and_registered(quick_models):
    from modlab.builtin.build import DEFAULT_TRAINERS, build_info, builtin_status, quick_trainer
    from modlab.training import Predictor
    from modlab.training.tracking import champion_version

    for name, path in quick_models.items():
        assert (path / "predictor.json").exists() and (path / "model").is_dir()
        predictor = Predictor.load(path)
        assert tuple(predictor.labels_) == BUILTIN_LABELS[name]
        info = build_info(name)
        assert info["quick"] is True
        if name == "toxicity":  # the one quick build that is logged and registered
            assert info["version"] >= 1 and info["run_id"]
            assert champion_version("builtin-toxicity") == info["version"]
        # thresholds come from calibration, one per label that can flag
        assert set(predictor.thresholds) == set(BUILTIN_LABELS[name]) - {"NEUTRAL"}
        # a quick build never fine-tunes MiniLM: 20 steps would make a meaningless model
        assert info["trainer"] == quick_trainer(name) not in ("transformer", "ensemble")
    assert DEFAULT_TRAINERS["sentiment"] == "transformer"
    assert quick_trainer("sentiment") == "hybrid" and quick_trainer("openai") == "hybrid"
    assert DEFAULT_TRAINERS["quality"] == "ensemble" and quick_trainer("quality") == "linear"
    rows = {r["name"]: r for r in builtin_status()}
    assert rows["toxicity"]["built"] and not rows["quality"]["built"]
    assert all(row["buildable"] for row in rows.values())


def test_llm_labelled_categories_are_trained_not_constant(quick_models):
    """sexual / self-harm / violence had no data before the LLM-labelled pool: now scored."""
    from modlab.training import Predictor

    predictor = Predictor.load(quick_models["openai"])
    texts = TEXTS + ["I will find you and beat you until you bleed", "I want to kill myself"]
    # The model's own scores: a steep Platt map of a 600-row build can push every one of these
    # texts below 1e-6 for a rare label, which would hide whether the label is learned at all.
    raw = predictor.model.predict_proba(texts)
    for label in ("sexual", "self-harm", "violence", "violence/graphic"):
        values = {round(float(v), 6) for v in raw[:, predictor.labels_.index(label)]}
        assert len(values) > 1, (label, values)  # a model, not a constant
    assert set(predictor.thresholds) == set(OPENAI_CATEGORIES)


@pytest.mark.parametrize("name", sorted(BUILTIN_LABELS))
def test_every_analyzer_answers_its_route_with_the_documented_labels(
    served, builtin_data_dir, name
):
    from modlab.builtin.build import build_builtin

    client, headers, *_ = served
    if name == "quality":  # not in the shared quick builds
        build_builtin("quality", quick=True, log=False)
    resp = client.post(f"/api/v1/analyze/{name}", json={"value": TEXTS[0]}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body["label_scores"]) == set(BUILTIN_LABELS[name])
    assert all(0.0 <= v <= 1.0 for v in body["label_scores"].values())


def test_a_builtin_not_built_yet_answers_503_and_an_unknown_name_404(served, tmp_path):
    """make serve fine-tunes sentiment in the background: until then its route says 503."""
    from modlab.analyzers import registry
    from modlab.analyzers.builtin import builtin_dir

    client, headers, *_ = served
    path = builtin_dir("sentiment")
    registry.forget("sentiment")
    shutil.move(path, tmp_path / "sentiment")  # as before the background build installs it
    try:
        resp = client.post("/api/v1/analyze/sentiment", json={"value": TEXTS[1]}, headers=headers)
        assert resp.status_code == 503, resp.text
        assert "'sentiment' is not built yet" in resp.json()["message"]
    finally:
        shutil.move(tmp_path / "sentiment", path)
    resp = client.post("/api/v1/analyze/nope", json={"value": TEXTS[1]}, headers=headers)
    assert resp.status_code == 404, resp.text
    # installed: the next request loads it, no restart
    resp = client.post("/api/v1/analyze/sentiment", json={"value": TEXTS[1]}, headers=headers)
    assert resp.status_code == 200, resp.text


def test_analyze_toxicity_returns_documented_labels(served):
    client, headers, *_ = served
    resp = client.post("/api/v1/analyze/toxicity", json={"value": TEXTS[0]}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body["label_scores"]) == set(BUILTIN_LABELS["toxicity"])
    assert body["label"] in BUILTIN_LABELS["toxicity"]
    assert 0.0 <= body["score"] <= 1.0
    assert body["label_scores"][body["label"]] == body["score"]


def test_moderation_text_uses_the_toxicity_filter_entry(served):
    client, headers, runtime, _ = served
    project, key = runtime.projects.create("tox-filter", {"toxicity": {"enabled": True}})
    resp = client.post(
        "/api/v1/moderation/text",
        json={"value": TEXTS[1]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert resp.status_code == 200, resp.text
    tox = resp.json()["toxicity"]
    assert set(tox["label_scores"]) == set(BUILTIN_LABELS["toxicity"])
    assert isinstance(tox["flagged"], bool)


def _check_openai_result(result: dict) -> None:
    assert set(result) == {"flagged", "categories", "category_scores"}
    assert set(result["categories"]) == set(OPENAI_CATEGORIES)
    assert set(result["category_scores"]) == set(OPENAI_CATEGORIES)
    assert all(isinstance(v, bool) for v in result["categories"].values())
    assert all(0.0 <= v <= 1.0 for v in result["category_scores"].values())
    assert result["flagged"] == any(result["categories"].values())
    # OpenAI's subcategories are kinds of their parent: never the higher score
    scores = result["category_scores"]
    for child in OPENAI_CATEGORIES:
        if "/" in child:
            assert scores[child.split("/")[0]] >= scores[child], child


def test_openai_moderations_string_and_list_in_input_order(served):
    client, headers, *_ = served
    single = client.post("/v1/moderations", json={"input": TEXTS[0]}, headers=headers)
    assert single.status_code == 200, single.text
    body = single.json()
    assert body["id"].startswith("modr-") and body["model"]
    assert len(body["results"]) == 1
    _check_openai_result(body["results"][0])

    batch = client.post("/v1/moderations", json={"input": TEXTS}, headers=headers).json()
    assert len(batch["results"]) == len(TEXTS)
    for text, result in zip(TEXTS, batch["results"], strict=True):
        _check_openai_result(result)
        alone = client.post("/v1/moderations", json={"input": text}, headers=headers).json()
        assert alone["results"][0]["category_scores"] == pytest.approx(result["category_scores"])


def test_openai_moderations_rejects_bad_input(served):
    client, headers, *_ = served
    assert client.post("/v1/moderations", json={"input": []}, headers=headers).status_code == 400
    assert client.post("/v1/moderations", json={}, headers=headers).status_code == 400
    assert client.post("/v1/moderations", json={"input": "x"}).status_code == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(served):
    """The real app under uvicorn on a free 127.0.0.1 port, in a thread."""
    import uvicorn

    from modlab.serving.app import create_app

    _, _, runtime, key = served
    port = _free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", key
    server.should_exit = True
    thread.join(timeout=10)


def test_openai_python_client_works_unchanged(live_server):
    import openai

    url, key = live_server
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    single = client.moderations.create(input=TEXTS[0])
    assert len(single.results) == 1
    result = single.results[0]
    assert isinstance(result.flagged, bool)
    assert result.category_scores.harassment >= 0.0
    assert result.categories.self_harm_intent is False  # no data: never flags
    dumped = result.category_scores.model_dump(by_alias=True)
    assert set(OPENAI_CATEGORIES) <= set(dumped)
    many = client.moderations.create(input=TEXTS, model="omni-moderation-latest")
    assert len(many.results) == len(TEXTS)
    assert many.results[0].category_scores.hate == pytest.approx(result.category_scores.hate)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).moderations.create(
            input="hello"
        )


def test_sightengine_ml_english(served):
    client, headers, *_ = served
    resp = client.post(
        "/1.0/text/check.json",
        data={"text": "you are such a loser, shut up", "lang": "en", "mode": "ml"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success" and body["request"]["operations"] == 1
    classes = body["moderation_classes"]
    assert classes["available"] == list(SIGHTENGINE_CLASSES)
    for c in SIGHTENGINE_CLASSES:
        assert 0.0 <= classes[c] <= 1.0


def test_sightengine_ml_api_secret_form_auth(served):
    client, _, runtime, key = served
    project = runtime.projects.authenticate(key)
    resp = client.post(
        "/1.0/text/check.json",
        data={"text": "hello there", "lang": "en", "mode": "ml", "api_user": project.id,
              "api_secret": key},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert "sexual" in resp.json()["moderation_classes"]


def test_sightengine_ml_non_english_gives_no_confident_english_scores(served):
    client, headers, *_ = served
    french = "Je pense que nous devrions aller au marché demain matin avec les enfants."
    resp = client.post(
        "/1.0/text/check.json",
        data={"text": french, "lang": "fr", "mode": "ml"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    classes = resp.json()["moderation_classes"]
    assert classes["available"] == []
    assert not any(
        isinstance(classes.get(c), float) and classes[c] > 0.5 for c in SIGHTENGINE_CLASSES
    )
    # French text sent with lang=en is detected and not scored as English either
    resp = client.post(
        "/1.0/text/check.json", data={"text": french, "lang": "en", "mode": "ml"}, headers=headers
    )
    assert resp.json()["moderation_classes"]["available"] == []


def test_cli_lists_and_refuses_bad_arguments(quick_models):
    from typer.testing import CliRunner

    from modlab.builtin.cli import builtin_app

    runner = CliRunner()
    out = runner.invoke(builtin_app, ["list-builtin"])
    assert out.exit_code == 0, out.output
    assert "toxicity" in out.output and "built" in out.output
    rows = json.loads(runner.invoke(builtin_app, ["list-builtin", "--json"]).output)
    assert {r["name"] for r in rows} == set(BUILTIN_LABELS)
    assert runner.invoke(builtin_app, ["build-builtin"]).exit_code == 2
    bad = runner.invoke(builtin_app, ["build-builtin", "nope", "--quick", "--no-log"])
    assert bad.exit_code != 0 and "nope" in bad.output


def test_cli_quick_build(builtin_data_dir, quick_models):
    from typer.testing import CliRunner

    from modlab.builtin.cli import builtin_app

    out = CliRunner().invoke(builtin_app, ["build-builtin", "quality", "--quick", "--no-log"])
    assert out.exit_code == 0, out.output
    assert "quality" in out.output
    from modlab.builtin.build import build_info

    assert build_info("quality")["labels"] == list(BUILTIN_LABELS["quality"])


def test_service_warm_up_loads_the_drop_in_models_and_freezes_the_heap(quick_models):
    """/v1/moderations and /1.0/text/check.json must not pay for loading their model on the
    first request; the loaded objects leave the garbage collector's reach (p99 pauses)."""
    import gc

    from modlab.analyzers import registry
    from modlab.serving.runtime import Runtime
    from modlab.settings import get_settings

    for name in ("openai", "sightengine"):
        registry.forget(name)
    runtime = Runtime.create(get_settings())
    try:
        runtime.warm_up(freeze_heap=True)
        assert {"openai", "sightengine"} <= set(registry._INSTANCES)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        if runtime.webhook_worker is not None:
            runtime.webhook_worker.stop()
