"""``modlab models ...`` / ``modlab data ...`` through typer's test runner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from modlab.data.cli import app, parse_label_options

from .conftest import FILES

runner = CliRunner()


def _run(db_url, *args):
    return runner.invoke(app, [*args, "--database", db_url])


def test_parse_label_options():
    assert parse_label_options(["A,B", "C=the third, with a comma"]) == [
        {"name": "A"},
        {"name": "B"},
        {"name": "C", "description": "the third, with a comma"},
    ]


def test_models_create_list_show(db_url):
    res = _run(db_url, "models", "create", "sms-spam", "--labels", "SPAM=Unsolicited ads",
               "--labels", "HAM=Everything else", "--neutral", "HAM")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "0  SPAM: Unsolicited ads" in res.output and "1  HAM  (neutral)" in res.output
    res = _run(db_url, "models", "create", "topics", "--labels", "SPORT,MONEY", "--multi-label")
    assert res.exit_code == 0, res.output
    res = _run(db_url, "models", "list")
    assert "sms-spam  single-label  v1" in res.output and "topics  multi-label" in res.output
    data = json.loads(_run(db_url, "models", "list", "--json").output)
    assert [m["name"] for m in data] == ["sms-spam", "topics"]
    assert "not trained" in _run(db_url, "models", "show", "topics").output
    res = _run(db_url, "models", "create", "sms-spam", "--labels", "A,B")
    assert res.exit_code == 1 and "already exists" in res.output


def test_data_import_and_stats(db_url):
    _run(db_url, "models", "create", "sms-spam", "--labels", "HAM,SPAM", "--neutral", "HAM")
    res = _run(db_url, "data", "import", "sms-spam", str(FILES / "messages.csv"),
               "--text-col", "text", "--label-col", "label")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "rows read              22" in res.output and "row 15: malformed row" in res.output
    res = _run(db_url, "data", "stats", "sms-spam")
    assert res.exit_code == 0 and "examples          12" in res.output
    assert json.loads(_run(db_url, "data", "stats", "sms-spam", "--json").output)["labelled"] == 10
    res = _run(db_url, "data", "import", "sms-spam", str(FILES / "messages.csv"),
               "--text-col", "text", "--label-col", "label", "--strict")  # fmt: skip
    assert res.exit_code == 2 and "nothing was imported" in res.output
    res = _run(db_url, "data", "import", "nope", str(FILES / "messages.csv"))
    assert res.exit_code == 1 and "no model 'nope'" in res.output


def test_data_add_and_label(db_url):
    _run(db_url, "models", "create", "topics", "--labels", "SPORT,MONEY", "--multi-label")
    res = _run(db_url, "data", "add", "topics", "transfer fee record", "-l", "SPORT", "-l", "1")
    assert res.exit_code == 0 and res.output.strip() == "added example 1"
    assert _run(db_url, "data", "add", "topics", "Transfer fee record").exit_code == 1
    res = _run(db_url, "data", "label", "1", "NEUTRAL")
    assert res.output.strip() == "example 1: (no label)"
    res = _run(db_url, "data", "label", "1", "none")
    assert res.output.strip() == "example 1: unlabelled"
