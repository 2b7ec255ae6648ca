"""The `modlab` CLI against a real (temporary) database."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from modlab.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _tmp_db(tmp_path, monkeypatch):
    monkeypatch.setenv("MODLAB_DATA_DIR", str(tmp_path / "var"))


def _key(output: str) -> str:
    match = re.search(r"api key: (\S+)", output)
    assert match, output
    return match.group(1)


def test_create_prints_key_once_and_list_masks_it():
    created = runner.invoke(app, ["projects", "create", "shop"])
    assert created.exit_code == 0, created.output
    key = _key(created.output)
    listed = runner.invoke(app, ["projects", "list"])
    assert "shop" in listed.output and key not in listed.output
    as_json = json.loads(runner.invoke(app, ["projects", "list", "--json"]).output)
    assert as_json[0]["name"] == "shop" and as_json[0]["apiKey"].startswith(key[:8])


def test_duplicate_name_fails_with_message():
    runner.invoke(app, ["projects", "create", "dup"])
    again = runner.invoke(app, ["projects", "create", "dup"])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_rotate_key_revokes_old_key():
    from modlab.projects import ProjectStore
    from modlab.storage.db import get_database

    old = _key(runner.invoke(app, ["projects", "create", "rot"]).output)
    new = _key(runner.invoke(app, ["projects", "rotate-key", "rot"]).output)
    store = ProjectStore(get_database())
    assert new != old
    assert store.authenticate(old) is None
    assert store.authenticate(new).name == "rot"


def test_set_filter_patches_and_validates():
    runner.invoke(app, ["projects", "create", "flt"])
    ok = runner.invoke(
        app, ["projects", "set-filter", "flt", '{"profanity": {"mode": "PARANOID"}}']
    )
    assert ok.exit_code == 0, ok.output
    shown = json.loads(runner.invoke(app, ["projects", "show", "flt"]).output)
    assert shown["filter"]["profanity"]["mode"] == "PARANOID"
    assert "email" in shown["filter"]
    bad = runner.invoke(app, ["projects", "set-filter", "flt", '{"email": {"mode": "LOUD"}}'])
    assert bad.exit_code == 1 and "filter.email.mode" in bad.output
    notjson = runner.invoke(app, ["projects", "set-filter", "flt", "{oops"])
    assert notjson.exit_code == 1 and "not valid JSON" in notjson.output
    replaced = runner.invoke(
        app, ["projects", "set-filter", "flt", '{"email": {"mode": "NORMAL"}}', "--replace"]
    )
    assert replaced.exit_code == 0
    assert list(json.loads(runner.invoke(app, ["projects", "show", "flt"]).output)["filter"]) == [
        "email"
    ]


def test_unknown_project_is_a_clear_error():
    r = runner.invoke(app, ["projects", "rotate-key", "missing"])
    assert r.exit_code == 1 and "no project" in r.output


def test_doctor_reports_components():
    r = runner.invoke(app, ["doctor"])
    assert "database" in r.output and "detectors" in r.output
    assert "service" in r.output and "fix:" in r.output  # the service is not running here
    assert r.exit_code == 0
