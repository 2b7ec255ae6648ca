"""The HTTP API contract: auth, errors, projects, moderation, usage."""

from __future__ import annotations

import pytest


def test_auth_with_project_key(client, proj):
    r = client.get("/api/v1/auth", headers=proj.headers)
    assert r.status_code == 200
    assert r.json() == {
        "status": "success",
        "message": "Valid API key",
        "project": proj.project.name,
    }
    assert r.headers["x-request-id"]


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "missing API key"),
        ({"Authorization": "Bearer wrong-key"}, "invalid API key"),
        ({"Authorization": "Basic abc"}, "missing API key"),
        ({"Authorization": "Bearer "}, "missing API key"),
    ],
)
def test_bad_keys_get_401_json(client, proj, headers, message):
    r = client.get("/api/v1/auth", headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert body["status"] == "error" and body["code"] == 401
    assert message in body["message"]


def test_rotated_key_stops_working(client, runtime, proj):
    new_key = runtime.projects.rotate_key(proj.project.id)
    assert client.get("/api/v1/auth", headers=proj.headers).status_code == 401
    ok = client.get("/api/v1/auth", headers={"Authorization": f"Bearer {new_key}"})
    assert ok.status_code == 200


def test_account_counts_units_per_1000_chars(client, proj):
    before = client.get("/api/v1/account", headers=proj.headers).json()
    assert before["plan"] == "self-hosted"
    assert before["current_project"] == {"name": proj.project.name}
    assert before["text_api_usage_this_month"] == 0
    client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": "a" * 2500})
    client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": "short"})
    after = client.get("/api/v1/account", headers=proj.headers).json()
    assert after["text_api_usage_this_month"] == 3 + 1


def test_project_key_sees_only_its_project(client, make_project):
    a, b = make_project("alpha"), make_project("beta")
    listed = client.get("/api/v1/projects", headers=a.headers).json()["projects"]
    assert [p["name"] for p in listed] == ["alpha"]
    assert client.get(f"/api/v1/projects/{a.project.id}", headers=a.headers).status_code == 200
    other = client.get(f"/api/v1/projects/{b.project.id}", headers=a.headers)
    assert other.status_code == 404 and other.json()["code"] == 404
    upd = client.post(f"/api/v1/projects/{b.project.id}", headers=a.headers, json={"name": "x"})
    assert upd.status_code == 404


def test_project_object_masks_key(client, proj):
    body = client.get(f"/api/v1/projects/{proj.project.id}", headers=proj.headers).json()
    assert set(body) >= {"_id", "name", "filter", "apiKey"}
    assert proj.key not in body["apiKey"] and body["apiKey"].startswith(proj.key[:8])
    assert body["filter"]["email"] == {
        "enabled": True,
        "mode": "NORMAL",
        "mask": "{{ email hidden }}",
    }


def test_admin_key_lists_and_creates_projects(client, make_project):
    make_project("one")
    admin = {"Authorization": "Bearer admin-secret-key-for-tests"}
    created = client.post("/api/v1/projects", headers=admin, json={"name": "two"})
    assert created.status_code == 201
    key = created.json()["apiKey"]
    names = [p["name"] for p in client.get("/api/v1/projects", headers=admin).json()["projects"]]
    assert names == ["one", "two"]
    assert client.get("/api/v1/auth", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_project_key_cannot_create_projects_403(client, proj):
    r = client.post("/api/v1/projects", headers=proj.headers, json={"name": "nope"})
    assert r.status_code == 403 and r.json()["code"] == 403


def test_admin_key_cannot_moderate_without_project(client):
    admin = {"Authorization": "Bearer admin-secret-key-for-tests"}
    r = client.post("/api/v1/moderation/text", headers=admin, json={"value": "hi"})
    assert r.status_code == 403


def test_update_filter_partial_and_name(client, proj):
    url = f"/api/v1/projects/{proj.project.id}"
    r = client.post(url, headers=proj.headers, json={"filter": {"email": {"mode": "PARANOID"}}})
    assert r.status_code == 200
    flt = r.json()["filter"]
    assert flt["email"] == {"enabled": True, "mode": "PARANOID", "mask": "{{ email hidden }}"}
    assert flt["url"]["mode"] == "NORMAL"
    r = client.post(url, headers=proj.headers, json={"name": "renamed"})
    assert r.json()["name"] == "renamed"


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({"filter": {"bogus": {"enabled": True}}}, "filter.bogus"),
        ({"filter": {"email": {"mode": "LOUD"}}}, "filter.email.mode"),
        ({"filter": {"email": {"colour": "red"}}}, "filter.email.colour"),
        ({"filter": {"url": {"components": ["first"]}}}, "filter.url"),
        ({"filter": {"toxicity": {"thresholds": {"TOXICITY": 1.5}}}}, "filter.toxicity.thresholds"),
        ({"apiKey": "x"}, "apiKey"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_project_updates_are_400_and_change_nothing(client, proj, payload, fragment):
    url = f"/api/v1/projects/{proj.project.id}"
    before = client.get(url, headers=proj.headers).json()
    r = client.post(url, headers=proj.headers, json=payload)
    assert r.status_code == 400
    assert fragment in r.json()["message"]
    assert client.get(url, headers=proj.headers).json() == before


def test_moderation_detects_masks_and_reports_spans(client, proj):
    text = "mail john@example.com or see http://anonymous.com today"
    r = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": text})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "success"
    assert body["request"]["id"].startswith("req_") and body["request"]["timestamp"] > 0
    assert body["original"] == text
    assert body["content"] == "mail {{ email hidden }} or see {{ url hidden }} today"
    assert body["content_moderated"] is True and body["data_found"] is True
    assert body["flagged"] is True
    assert body["email"]["matches"] == ["john@example.com"]
    span = body["email"]["spans"][0]
    assert text[span["start"] : span["end"]] == "john@example.com"
    assert body["url"]["found"] is True and body["url"]["mode"] == "NORMAL"


def test_clean_text_is_not_flagged(client, proj):
    r = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": "hello there"})
    body = r.json()
    assert body["flagged"] is False and body["data_found"] is False
    assert body["content"] == "hello there" and body["content_moderated"] is False


def test_disabled_detector_is_left_out(client, proj):
    url = f"/api/v1/projects/{proj.project.id}"
    client.post(url, headers=proj.headers, json={"filter": {"email": {"enabled": False}}})
    r = client.post(
        "/api/v1/moderation/text", headers=proj.headers, json={"value": "a@example.com"}
    ).json()
    assert "email" not in r and r["content"] == "a@example.com"


def test_mode_changes_what_is_found(client, proj):
    text = "write to example at gmail dot com"
    url = f"/api/v1/projects/{proj.project.id}"
    normal = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": text})
    assert normal.json()["email"]["found"] is False
    client.post(url, headers=proj.headers, json={"filter": {"email": {"mode": "SUSPICIOUS"}}})
    sus = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": text}).json()
    assert sus["email"]["found"] is True and sus["email"]["mode"] == "SUSPICIOUS"
    assert "{{ email hidden }}" in sus["content"]


@pytest.mark.parametrize("size", [10_001, 20_000])
def test_long_text_is_413_json(client, proj, size):
    r = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": "x" * size})
    assert r.status_code == 413
    assert "10000" in r.json()["message"]


def test_text_at_limit_is_accepted(client, proj):
    r = client.post("/api/v1/moderation/text", headers=proj.headers, json={"value": "x" * 10_000})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"json": {}}, "value: field required"),
        ({"json": {"value": 12}}, "value"),
        ({"json": {"value": "x", "doNotStore": "perhaps"}}, "doNotStore"),
        ({"json": ["value"]}, "JSON object"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "JSON"),
    ],
)
def test_invalid_moderation_bodies_are_400_naming_the_field(client, proj, kwargs, fragment):
    headers = {**proj.headers, **kwargs.pop("headers", {})}
    r = client.post("/api/v1/moderation/text", headers=headers, **kwargs)
    assert r.status_code == 400
    assert fragment in r.json()["message"]


def test_unknown_route_404_and_wrong_method_405(client, proj):
    r = client.get("/api/v1/nothing-here", headers=proj.headers)
    assert r.status_code == 404 and r.json()["status"] == "error"
    r = client.delete("/api/v1/auth", headers=proj.headers)
    assert r.status_code == 405 and r.json()["code"] == 405
    assert r.headers["allow"] == "GET"
    r = client.get("/api/v1/moderation/text", headers=proj.headers)
    assert r.status_code == 405


def test_huge_body_is_413(client, proj):
    r = client.post(
        "/api/v1/moderation/text",
        headers={**proj.headers, "content-type": "application/json"},
        content=b'{"value": "' + b"x" * 1_100_000 + b'"}',
    )
    assert r.status_code == 413


def test_rate_limit_429_with_retry_after(client, runtime, proj):
    runtime.projects.update(proj.project.id, rate_limit=(3, 60.0))
    codes = [client.get("/api/v1/auth", headers=proj.headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/auth", headers=proj.headers)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "rate limit" in r.json()["message"]


def test_rate_limit_is_per_project(client, runtime, make_project):
    a, b = make_project(), make_project()
    runtime.projects.update(a.project.id, rate_limit=(1, 60.0))
    assert client.get("/api/v1/auth", headers=a.headers).status_code == 200
    assert client.get("/api/v1/auth", headers=a.headers).status_code == 429
    assert client.get("/api/v1/auth", headers=b.headers).status_code == 200


def test_requests_are_logged_unless_do_not_store(client, runtime, proj):
    stored = client.post(
        "/api/v1/moderation/text",
        headers=proj.headers,
        json={"value": "x@example.com", "authorId": "u1", "contextId": "c1", "metadata": {"k": 1}},
    ).json()
    client.post(
        "/api/v1/moderation/text",
        headers=proj.headers,
        json={"value": "secret@example.com", "doNotStore": True},
    )
    rows = runtime.requests.list(proj.project.id)
    assert [r.id for r in rows] == [stored["request"]["id"]]
    row = rows[0]
    assert row.value == "x@example.com" and row.flagged is True
    assert (row.author_id, row.context_id, row.meta) == ("u1", "c1", {"k": 1})
    assert row.content == "{{ email hidden }}"


def test_unavailable_analyzer_is_404_json(client, proj):
    r = client.post("/api/v1/analyze/not-a-model", headers=proj.headers, json={"value": "hi"})
    assert r.status_code == 404 and "not-a-model" in r.json()["message"]


def test_language_analyzer_route(client, proj):
    r = client.post(
        "/api/v1/analyze/language",
        headers=proj.headers,
        json={"value": "Das ist ein ganz normaler deutscher Satz über das Wetter."},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == "de" and body["label"] == "GERMAN" and body["reliable"] is True


def test_health_routes_need_no_key(client, runtime):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 503
    runtime.warm_up()
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/v1/moderations"), ("DELETE", "/1.0/text/check.json"), ("PUT", "/api/v1/users")],
)
def test_wrong_method_on_included_routers_is_405(client, proj, method, path):
    r = client.request(method, path, headers=proj.headers)
    assert r.status_code == 405, r.text
    assert r.json()["code"] == 405


def test_sightengine_rules_mode_returns_profanity_and_personal_matches(client, proj):
    text = "call me at +1 415 555 0132 or mail jo@example.com, you fucking ffuuccckkk"
    r = client.post(
        "/1.0/text/check.json",
        data={"text": text, "lang": "en", "mode": "rules", "api_secret": proj.key},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success" and body["request"]["operations"] == 1
    assert "moderation_classes" not in body
    personal = {m["type"]: m for m in body["personal"]["matches"]}
    assert personal["email"]["match"] == "jo@example.com"
    assert text[personal["email"]["start"] : personal["email"]["end"] + 1] == "jo@example.com"
    assert any(t.startswith("phone_number") for t in personal)
    assert [m["match"] for m in body["profanity"]["matches"]] == ["fucking", "ffuuccckkk"]


def test_sightengine_auth_and_mode_errors(client, proj):
    bad = client.post("/1.0/text/check.json", data={"text": "x", "api_secret": "nope"})
    assert bad.status_code == 401 and bad.json()["status"] == "error"
    mode = client.post(
        "/1.0/text/check.json", data={"text": "x", "mode": "magic", "api_secret": proj.key}
    )
    assert mode.status_code == 400 and "mode" in mode.json()["message"]
