"""The BentoML service: one class, models loaded once, the API app mounted at the root."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bentoml  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from modlab.serving.app import create_app  # noqa: E402
from modlab.serving.runtime import Runtime  # noqa: E402

api = FastAPI()


@bentoml.service(name="modlab", traffic={"timeout": 60}, workers=1)
@bentoml.asgi_app(api, path="/")
class Modlab:
    """Opens the database (migrating it), mounts the HTTP API and warms the models up."""

    def __init__(self) -> None:
        self.runtime = Runtime.create()
        inner = create_app(self.runtime)
        # Bentoml mounts ``api`` before __init__ runs; route everything through the real app.
        api.mount("/", inner)
        threading.Thread(target=self.runtime.warm_up, name="warm-up", daemon=True).start()

    def __is_ready__(self) -> bool:
        """BentoML's own ``/readyz`` asks this: not ready until models are warm (503)."""
        return self.runtime.ready.is_set()
