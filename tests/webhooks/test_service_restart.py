"""The real service (``modlab serve``): a delivery pending when the process stops is sent by the
next process on the same database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from modlab.webhooks import SIGNATURE_HEADER, verify

from .conftest import Receiver

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port, self.proc = env, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 180) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "modlab"), "serve", "--no-mlflow", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("the service did not become ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def test_pending_delivery_survives_a_service_restart(tmp_path, cli_project_key):
    env = {
        **os.environ,
        "MODLAB_DATA_DIR": str(tmp_path / "var"),
        "MODLAB_WEBHOOK_BACKOFF_BASE_S": "3",
        "MODLAB_WEBHOOK_POLL_S": "0.2",
    }
    env.pop("MODLAB_DATABASE_URL", None)
    key = cli_project_key(env, "hooks")
    headers = {"Authorization": f"Bearer {key}"}
    receiver_port = _free_port()  # nothing listens yet: attempts are refused
    svc = Service(env, _free_port())
    svc.start()
    try:
        hook = httpx.post(
            f"{svc.url}/api/v1/webhooks",
            headers=headers,
            json={"url": f"http://127.0.0.1:{receiver_port}/hook"},
        ).json()
        rid = httpx.post(
            f"{svc.url}/api/v1/moderation/text",
            headers=headers,
            json={"value": "mail me: a@example.com", "authorId": "u1"},
        ).json()["request"]["id"]
        log_url = f"{svc.url}/api/v1/webhooks/{hook['webhook']['id']}/deliveries"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            # the request log is written within 50 ms and the other worker may answer first:
            # the delivery can be missing for a moment; a worker then claims it ("delivering",
            # attempts counted) and the refused try puts it back to "pending" with its backoff
            deliveries = httpx.get(log_url, headers=headers).json()["deliveries"]
            delivery = deliveries[0] if deliveries else {"status": "missing", "attempts": 0}
            if delivery["attempts"] >= 1 and delivery["status"] == "pending":
                break
            time.sleep(0.1)
        assert len(deliveries) == 1
        assert delivery["status"] == "pending" and delivery["attempts"] >= 1
    finally:
        svc.stop()

    # The receiver comes up on the port the webhook names, while the service is down.
    rec = Receiver(port=receiver_port).start()
    try:
        svc.start()
        try:
            (got,) = rec.wait_for(1, timeout=60)
            assert verify(got.body, got.headers[SIGNATURE_HEADER], hook["secret"])
            payload = json.loads(got.body)
            assert payload["type"] == "QUEUE_ITEM_NEW" and payload["item"]["id"] == rid
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                (delivery,) = httpx.get(log_url, headers=headers).json()["deliveries"]
                if delivery["status"] == "delivered":
                    break
                time.sleep(0.1)
            assert delivery["status"] == "delivered"
            assert delivery["attemptLog"][-1]["statusCode"] == 200
            assert len(delivery["attemptLog"]) <= delivery["attempts"] <= 5
        finally:
            svc.stop()
    finally:
        rec.close()
