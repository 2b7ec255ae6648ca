"""The BentoML service: one class, models loaded once, the API app mounted at the root.

BentoML runs ``MODLAB_SERVICE_WORKERS`` worker processes (default: one per CPU core the
process may use), each with its own ``Modlab`` instance — models, database connections, key
cache, request-log writer and webhook worker. What that means for state across workers:

- rate limits: counted in ``<data dir>/ratelimit.db``, shared by the workers (exact);
- webhooks: every worker runs an outbox worker; claims are per row, so each delivery is
  attempted by exactly one of them;
- custom-model reload (``POST /api/v1/models/{name}/reload``) reloads in the worker that
  answered; the others pick the new champion up by polling (``MODLAB_MODEL_POLL_S``);
- project/key changes made through the API clear that worker's key cache at once; the other
  workers (and changes from the CLI) take effect within ``MODLAB_AUTH_CACHE_S`` (2 s);
- request-log rows are buffered per worker for ``MODLAB_REQUEST_LOG_FLUSH_MS`` (50 ms) and
  written on shutdown (``modlab.moderation.log``).
"""

from __future__ import annotations

import os
import threading

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bentoml  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from modlab.serving.app import create_app  # noqa: E402
from modlab.serving.runtime import Runtime  # noqa: E402
from modlab.settings import available_cpus, get_settings  # noqa: E402

api = FastAPI()
SERVING = get_settings()
WORKERS = SERVING.service_worker_count()
if WORKERS > 1 and not SERVING.onnx_threads:
    # One worker per core: each worker's MiniLM sessions (ensemble, transformer analyzers)
    # get their share of the cores instead of all of them (the workers inherit this).
    os.environ["MODLAB_ONNX_THREADS"] = str(max(1, available_cpus() // WORKERS))
    get_settings.cache_clear()
    SERVING = get_settings()


@bentoml.service(
    name="modlab",
    traffic={"timeout": 60},
    workers=WORKERS,
    logging={"access": {"enabled": SERVING.service_access_log}},
    metrics={"enabled": SERVING.service_metrics},
)
@bentoml.asgi_app(api, path="/")
class Modlab:
    """Opens the database (migrating it), mounts the HTTP API and warms the models up."""

    def __init__(self) -> None:
        self.runtime = Runtime.create(service=True)
        inner = create_app(self.runtime)
        # Bentoml mounts ``api`` before __init__ runs; route everything through the real app.
        api.mount("/", inner)
        threading.Thread(
            target=self.runtime.warm_up,
            kwargs={"freeze_heap": True},
            name="warm-up",
            daemon=True,
        ).start()

    def __is_ready__(self) -> bool:
        """BentoML's own ``/readyz`` asks this: not ready until models are warm (503)."""
        return self.runtime.ready.is_set()

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        """Write the buffered request-log rows before the worker exits (also run at exit)."""
        self.runtime.close()
