"""AI agents: CRUD and validation, isolation between projects, evaluation through an
OpenAI-compatible endpoint (a local protocol server), the verdict cache, and the clear error
when no LLM backend is configured."""

from __future__ import annotations

import pytest

from modlab.agents import AgentStore, agent_scope, build_schema
from modlab.agents.evaluate import resolve
from modlab.analyzers.registry import AnalyzerUnavailable, get_analyzer

RULES = ["No selling or advertising.", "No sharing of phone numbers or emails."]


def _create(client, who, **fields) -> dict:
    body = {"name": "market rules", "rules": RULES, "strictness": "strict", **fields}
    r = client.post("/api/v1/agents", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_crud_and_version(client, make_project) -> None:
    a = make_project()
    agent = _create(client, a)
    assert agent["id"].startswith("agt_") and agent["key"] == f"agent:{agent['id']}"
    assert agent["rules"] == RULES and agent["strictness"] == "strict" and agent["version"] == 1

    listed = client.get("/api/v1/agents", headers=a.headers).json()["agents"]
    assert [x["id"] for x in listed] == [agent["id"]]
    got = client.get(f"/api/v1/agents/{agent['id']}", headers=a.headers).json()
    assert got["name"] == "market rules"

    renamed = client.post(
        f"/api/v1/agents/{agent['id']}", headers=a.headers, json={"name": "renamed"}
    ).json()
    assert renamed["name"] == "renamed" and renamed["version"] == 1  # no new verdicts needed
    changed = client.post(
        f"/api/v1/agents/{agent['id']}", headers=a.headers, json={"strictness": "easygoing"}
    ).json()
    assert changed["version"] == 2

    r = client.delete(f"/api/v1/agents/{agent['id']}", headers=a.headers)
    assert r.status_code == 200
    assert client.get(f"/api/v1/agents/{agent['id']}", headers=a.headers).status_code == 404
    assert client.get("/api/v1/agents", headers=a.headers).json()["agents"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "rules": []}, "rules"),
        ({"name": "x", "rules": ["ok", " "]}, "rules[1]"),
        ({"name": "x", "rules": ["ok"], "strictness": "harsh"}, "strictness"),
        ({"name": " ", "rules": ["ok"]}, "name"),
        ({"name": "x", "rules": ["ok"], "colour": "red"}, "colour"),
    ],
)
def test_invalid_agents_are_400_naming_the_field(client, make_project, body, field) -> None:
    a = make_project()
    r = client.post("/api/v1/agents", headers=a.headers, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "error" and field in r.json()["message"]


def test_projects_cannot_see_or_use_each_others_agents(client, make_project, runtime) -> None:
    a, b = make_project(), make_project()
    agent = _create(client, a)
    aid = agent["id"]
    for method, path, body in [
        ("get", f"/api/v1/agents/{aid}", None),
        ("post", f"/api/v1/agents/{aid}", {"name": "stolen"}),
        ("delete", f"/api/v1/agents/{aid}", None),
        ("post", f"/api/v1/agents/{aid}/analyze", {"value": "buy my bike"}),
    ]:
        r = client.request(method, path, headers=b.headers, json=body)
        assert r.status_code == 404, (method, path, r.text)
    assert client.get("/api/v1/agents", headers=b.headers).json()["agents"] == []
    admin = {"Authorization": "Bearer admin-secret-key-for-tests"}
    assert client.get("/api/v1/agents", headers=admin).status_code == 403

    # The analyzer resolver, scoped to a project, refuses other projects' agents.
    with agent_scope(b.id):
        assert resolve(f"agent:{aid}") is None
        with pytest.raises(AnalyzerUnavailable):
            get_analyzer(f"agent:{aid}")
    with agent_scope(a.id):
        assert resolve(f"agent:{aid}").spec.project_id == a.id
    assert client.get(f"/api/v1/agents/{aid}", headers=a.headers).json()["name"] == "market rules"


def test_prompt_has_ordered_rules_strictness_and_label_set(client, make_project, runtime) -> None:
    a = make_project()
    agent = _create(client, a)
    spec = AgentStore(runtime.db).spec(a.id, agent["id"])
    schema = build_schema(spec)
    assert schema.names == ["RULE_1", "RULE_2", "NEUTRAL"] and schema.neutral == "NEUTRAL"
    assert "No selling" in schema.get("RULE_1").description
    assert "plausibly" in schema.description  # strict


def test_evaluate_via_openai_endpoint_and_cache(client, make_project, fake_llm) -> None:
    a = make_project()
    agent = _create(client, a)
    key = f"agent:{agent['id']}"

    fake_llm.label = "RULE_2"
    r = client.post(f"/api/v1/analyze/{key}", headers=a.headers, json={"value": "call 555-0100"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "label": "RULE_2",
        "score": 1,
        "rule": RULES[1],
        "label_scores": {"NEUTRAL": 0.0, "RULE_1": 0.0, "RULE_2": 1.0},
        "flagged": True,
    }
    sent = fake_llm.requests[0]
    assert sent["model"] == "fake-model"
    system = sent["messages"][0]["content"]
    assert RULES[0] in system and RULES[1] in system and "plausibly" in system
    assert system.index(RULES[0]) < system.index(RULES[1])
    assert "call 555-0100" in sent["messages"][1]["content"]
    enum = sent["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"]
    assert enum == ["RULE_1", "RULE_2", "NEUTRAL"]

    # Same text again: served from the cache (also through the project-checked route).
    n = len(fake_llm.requests)
    again = client.post(
        f"/api/v1/agents/{agent['id']}/analyze", headers=a.headers, json={"value": "call 555-0100"}
    ).json()
    assert again["label"] == "RULE_2" and again["rule"] == RULES[1]
    assert len(fake_llm.requests) == n

    # A neutral text.
    fake_llm.label = "NEUTRAL"
    neutral = client.post(
        f"/api/v1/analyze/{key}", headers=a.headers, json={"value": "lovely weather"}
    ).json()
    assert neutral["label"] == "NEUTRAL" and neutral["score"] == 0 and neutral["rule"] is None
    assert neutral["flagged"] is False

    # Editing the rules bumps the version: the cached verdict is not reused.
    client.post(f"/api/v1/agents/{agent['id']}", headers=a.headers, json={"rules": RULES[:1]})
    n = len(fake_llm.requests)
    fresh = client.post(
        f"/api/v1/analyze/{key}", headers=a.headers, json={"value": "call 555-0100"}
    ).json()
    assert len(fake_llm.requests) == n + 1
    assert fresh["label"] == "NEUTRAL" and fresh["label_scores"] == {"NEUTRAL": 0.0, "RULE_1": 0.0}


def test_agent_in_a_project_filter_flags_moderation(client, make_project, fake_llm) -> None:
    a = make_project()
    agent = _create(client, a)
    key = f"agent:{agent['id']}"
    r = client.post(
        f"/api/v1/projects/{a.id}",
        headers=a.headers,
        json={"filter": {key: {"enabled": True, "thresholds": {}}}},
    )
    assert r.status_code == 200, r.text
    fake_llm.label = "RULE_1"
    body = client.post(
        "/api/v1/moderation/text", headers=a.headers, json={"value": "selling my bike, 50 EUR"}
    ).json()
    assert body["flagged"] is True
    assert body[key]["label"] == "RULE_1" and body[key]["rule"] == RULES[0]


def test_unusable_llm_answer_is_neutral_with_an_error_and_not_cached(
    client, make_project, fake_llm
) -> None:
    a = make_project()
    agent = _create(client, a)
    fake_llm.label = "RULE_9"  # outside the label set (re-asked once, then rejected)
    out = client.post(
        f"/api/v1/agents/{agent['id']}/analyze", headers=a.headers, json={"value": "hmm"}
    ).json()
    assert out["label"] == "NEUTRAL" and "error" in out
    n = len(fake_llm.requests)
    client.post(f"/api/v1/agents/{agent['id']}/analyze", headers=a.headers, json={"value": "hmm"})
    assert len(fake_llm.requests) > n


def test_no_llm_backend_is_a_clear_503(client, make_project, no_llm) -> None:
    a = make_project()
    agent = _create(client, a)  # defining agents works without a backend
    for path in (f"/api/v1/analyze/agent:{agent['id']}", f"/api/v1/agents/{agent['id']}/analyze"):
        r = client.post(path, headers=a.headers, json={"value": "buy now"})
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "error" and body["code"] == 503
        assert "MODLAB_LLM_BASE_URL" in body["message"] and "llama" in body["message"]


def test_unknown_agent_is_404(client, make_project) -> None:
    a = make_project()
    r = client.post("/api/v1/analyze/agent:agt_nope", headers=a.headers, json={"value": "x"})
    assert r.status_code == 404


def test_analyze_route_refuses_another_projects_agent(client, make_project, fake_llm) -> None:
    a, b = make_project(), make_project()
    agent = _create(client, a)
    r = client.post(f"/api/v1/analyze/agent:{agent['id']}", headers=b.headers, json={"value": "x"})
    assert r.status_code == 404
    own = client.post(
        f"/api/v1/analyze/agent:{agent['id']}", headers=a.headers, json={"value": "x"}
    )
    assert own.status_code == 200, own.text
