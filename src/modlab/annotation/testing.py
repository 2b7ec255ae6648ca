"""Answer Argilla records as an annotator, over the REST API — for tests and demo notebooks.

A notebook run under nbval (or a CI job) has no human to click through the Argilla UI;
:func:`submit_as` logs in as an annotator and submits answers to the records still pending in
that annotator's queue, exactly as the UI does::

    submit_as("ann1", {"17": "SPAM", "18": "HAM"}, dataset="sms-spam")
    submit_as("ann2", lambda record: gold[record["external_id"]], dataset="sms-spam")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from modlab.annotation.argilla_sync import DEFAULT_WORKSPACE, QUESTION
from modlab.settings import Settings, get_settings

PENDING_FILTER = {
    "filters": {
        "and": [
            {
                "type": "terms",
                "scope": {"entity": "response", "property": "status"},
                "values": ["pending"],
            }
        ]
    }
}
PAGE = 100


def annotator_client(
    username: str, password: str | None = None, *, settings: Settings | None = None
) -> httpx.Client:
    """An HTTP client for the Argilla API logged in as ``username`` (bearer token).

    ``password`` defaults to the owner's password (what :func:`argilla_sync.push_records` gives
    annotators it creates when no ``annotator_password`` is passed).
    """
    s = settings or get_settings()
    password = password or s.argilla_password.get_secret_value()
    http = httpx.Client(base_url=s.argilla_url.rstrip("/"), timeout=60)
    token = http.post("/api/v1/token", data={"username": username, "password": password})
    if not token.is_success:
        http.close()
        raise PermissionError(f"cannot log in to Argilla as {username!r}: {token.text}")
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return http


def _dataset_id(http: httpx.Client, dataset: str, workspace: str) -> str:
    found = http.get("/api/v1/me/datasets")
    found.raise_for_status()
    matches = [d for d in found.json()["items"] if d["name"] == dataset]
    if len(matches) > 1:
        spaces = http.get("/api/v1/me/workspaces")
        spaces.raise_for_status()
        ws_ids = {w["id"] for w in spaces.json()["items"] if w["name"] == workspace}
        matches = [d for d in matches if d["workspace_id"] in ws_ids]
    if not matches:
        raise LookupError(f"the annotator sees no dataset {dataset!r} (workspace {workspace!r})")
    return matches[0]["id"]


def pending_records(http: httpx.Client, dataset_id: str) -> list[dict[str, Any]]:
    """The records waiting for this annotator's answer (every page)."""
    records: list[dict[str, Any]] = []
    offset = 0
    while True:
        found = http.post(
            f"/api/v1/me/datasets/{dataset_id}/records/search",
            params={"limit": PAGE, "offset": offset},
            json=PENDING_FILTER,
        )
        found.raise_for_status()
        body = found.json()
        items = [item["record"] for item in body["items"]]
        records += items
        offset += len(items)
        if not items or offset >= body.get("total", 0):
            return records


def submit_as(
    username: str,
    answers: Mapping[str, Any] | Callable[[dict[str, Any]], Any],
    *,
    dataset: str,
    password: str | None = None,
    workspace: str = DEFAULT_WORKSPACE,
    status: str = "submitted",
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Answer ``username``'s pending records of ``dataset``; returns ``{record id: label}``.

    ``answers``: a label (a list for multi-label questions) per record id (the external id,
    i.e. the example id for datasets pushed by :mod:`modlab.annotation.loop`), or a function of
    the record (a dict with ``external_id``, ``fields``, ``metadata``, ...) returning a label;
    records without an answer (``None``) stay pending. ``status``: ``submitted`` or ``draft``;
    ``discarded`` sends no label.
    """
    http = annotator_client(username, password, settings=settings)
    try:
        dataset_id = _dataset_id(http, dataset, workspace)
        done: dict[str, Any] = {}
        for record in pending_records(http, dataset_id):
            external_id = str(record.get("external_id") or record["id"])
            label = answers(record) if callable(answers) else answers.get(external_id)
            if label is None and status != "discarded":
                continue
            body: dict[str, Any] = {"status": status}
            body["values"] = {QUESTION: {"value": label}} if label is not None else {}
            resp = http.post(f"/api/v1/records/{record['id']}/responses", json=body)
            if resp.status_code != 201:
                raise RuntimeError(
                    f"{username} could not answer record {external_id}: "
                    f"{resp.status_code} {resp.text}"
                )
            done[external_id] = label
        return done
    finally:
        http.close()


__all__ = ["annotator_client", "pending_records", "submit_as"]
