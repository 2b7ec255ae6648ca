"""One typed settings object for the whole product (env vars prefixed ``MODLAB_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


def _default_data_dir() -> Path:
    # A source checkout keeps its state beside the code (./var); an installed
    # package falls back to the user's data directory.
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "var"
    return Path.home() / ".local" / "share" / "modlab"


def _default_shared_dir() -> Path:
    return REPO_ROOT.parent / "shared"


def available_cpus() -> int:
    """The CPUs this process may use (its affinity mask, not the machine's count)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults that work on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="MODLAB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    shared_dir: Path = Field(default_factory=_default_shared_dir)
    database_url: str | None = None
    mlflow_tracking_uri: str | None = None
    mlflow_artifact_root: Path = Field(default_factory=lambda: REPO_ROOT / "mlruns")
    mlflow_host: str = "127.0.0.1"
    mlflow_port: int = 5000
    jupyter_host: str = "127.0.0.1"
    jupyter_port: int = 8888

    host: str = "127.0.0.1"
    port: int = 3000
    admin_key: SecretStr | None = None
    max_text_chars: int = 10_000
    # How often the service re-checks the MLflow registry for a newly promoted champion.
    model_poll_s: float = 10.0
    # How MiniLM runs on the CPU — a saved ``transformer`` model and the ``embedding``
    # encoder (also inside an ``ensemble``): "auto" = through an ONNX copy when ONNX Runtime is
    # installed (~3x torch's texts/s one at a time), "onnx" = insist, "torch" = PyTorch.
    transformer_runtime: Literal["auto", "onnx", "torch"] = "auto"
    # Threads of each ONNX Runtime session; 0 = ONNX Runtime's default (every core). The
    # service sets its share of the cores per worker (cores // workers) unless this is set:
    # two workers with two threads each on two cores spent ~2x the CPU per request.
    onnx_threads: int = Field(0, ge=0)

    # Service processes: BentoML workers ("cpu_count" or a number; each loads its own
    # models), request-log/usage writes batched every this many ms (0: written inside each
    # request), how long a resolved API key is trusted before the database is asked again
    # (a key revoked from another process takes effect within it), BentoML's access log and
    # Prometheus /metrics.
    service_workers: str = "cpu_count"
    request_log_flush_ms: float = 50.0
    auth_cache_s: float = 2.0
    service_access_log: bool = True
    service_metrics: bool = True

    # Rate limiting: off by default for self-hosting; the hosted preset is 10 req / 10 s.
    rate_limit_requests: int = 0
    rate_limit_window_s: float = 10.0

    # Webhooks (review queue): success = HTTP 200 within the timeout, else retried with
    # exponential backoff (base * 2**(try-1)), at most max_attempts tries; the outbox worker
    # runs inside the service process unless webhook_worker is off.
    webhook_timeout_s: float = 5.0
    webhook_max_attempts: int = 5
    webhook_backoff_base_s: float = 2.0
    webhook_worker: bool = True
    webhook_poll_s: float = 1.0
    webhook_concurrency: int = 4

    default_region: str = "US"
    # Languages lingua loads; restricting them cuts memory ~8x and start-up ~15x.
    languages: list[str] = Field(
        default_factory=lambda: [
            "en",
            "es",
            "fr",
            "de",
            "it",
            "pt",
            "nl",
            "sv",
            "da",
            "no",
            "fi",
            "pl",
            "cs",
            "hu",
            "tr",
            "ru",
            "ar",
            "fa",
            "hi",
            "ja",
            "ko",
            "zh",
        ]
    )

    # Argilla (annotation UI) and OpenAI-compatible LLM endpoint for auto-labelling.
    argilla_url: str = "http://127.0.0.1:6900"
    argilla_api_key: SecretStr = SecretStr("modlab.apikey.local-dev-only")
    argilla_password: SecretStr = SecretStr("modlab-admin-password")
    # Local Argilla stack (`modlab argilla up`, docs/argilla.md): noida-db + redis + SQLite in
    # their own venv. Setting an external URL skips starting that component (team deployment).
    argilla_venv: Path | None = None  # default: <repo>/.venv-argilla or <data_dir>/argilla/venv
    argilla_engine_port: int = 9200
    argilla_redis_port: int = 6379
    argilla_elasticsearch_url: str | None = None
    argilla_search_engine: str | None = None  # "elasticsearch"/"opensearch" with a real one
    argilla_redis_url: str | None = None
    argilla_database_url: str | None = None  # e.g. postgresql+asyncpg://user:pw@host/argilla
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "default"

    # lingua's low-accuracy mode: ~40 MB instead of ~480 MB, 98.2% vs 99.3% on sentences.
    language_low_accuracy: bool = False

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'modlab.db'}"

    @property
    def tracking_uri(self) -> str:
        # Always explicit: MLflow 3.17 refuses a bare ./mlruns file store.
        return self.mlflow_tracking_uri or f"sqlite:///{self.data_dir / 'mlflow.db'}"

    @property
    def models_dir(self) -> Path:
        """Where the built-in analyzers are built (``modlab models build-builtin``)."""
        return self.data_dir / "models"

    def service_worker_count(self) -> int:
        """``service_workers`` as a number (``cpu_count``: the CPUs this process may use)."""
        value = str(self.service_workers).strip().lower()
        if value in ("", "cpu_count", "cpu", "auto"):
            return available_cpus()
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"MODLAB_SERVICE_WORKERS must be a number or 'cpu_count', not {value!r}"
            ) from None

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.mlflow_artifact_root.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after env changes)."""
    return Settings()
