"""A real HTTP receiver on 127.0.0.1 (threaded http.server) and an app on a fresh database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modlab.settings import Settings


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    behaviour: str


@dataclass
class Receiver:
    """Answers the n-th request with ``script[n]`` (then ``default``):

    ``ok`` 200, ``fail`` 500, ``sleep:S`` 200 after S seconds, ``hang`` never answers.
    """

    script: list[str] = field(default_factory=list)
    default: str = "ok"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None
    port: int = 0  # 0: any free port

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    n = len(receiver.received)
                    behaviour = receiver.script[n] if n < len(receiver.script) else receiver.default
                    receiver.received.append(
                        Received(
                            body,
                            {k.lower(): v for k, v in self.headers.items()},
                            time.monotonic(),
                            behaviour,
                        )
                    )
                try:
                    if behaviour == "hang":
                        receiver.closing.wait(60)
                        return
                    if behaviour.startswith("sleep:") and receiver.closing.wait(
                        float(behaviour.split(":")[1])
                    ):
                        return
                    code = 500 if behaviour == "fail" else 200
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}' if code == 200 else b'{"ok": false}')
                except OSError:  # the sender gave up first
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self.closing.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"receiver got {len(self.received)} requests, expected {n}")


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(script: list[str] | None = None, default: str = "ok") -> Receiver:
        r = Receiver(script=list(script or []), default=default).start()
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def settings(settings, database_url) -> Settings:
    # Fast backoff (0.2 s, 0.4 s, 0.8 s, 1.6 s); the real 5 s timeout unless a test lowers it.
    return settings.model_copy(
        update={
            "database_url": database_url,
            "webhook_worker": False,
            "webhook_backoff_base_s": 0.2,
            "webhook_poll_s": 0.1,
        }
    )


@pytest.fixture
def add_webhook(client):
    def add(who, url: str, events: list[str] | None = None) -> dict:
        body = {"url": url} if events is None else {"url": url, "events": events}
        r = client.post("/api/v1/webhooks", headers=who.headers, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    return add
