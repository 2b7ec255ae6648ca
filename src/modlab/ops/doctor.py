"""``modlab doctor``: check every component and say how to fix what is missing."""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass

import httpx

from modlab.settings import Settings, get_settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


REQUIRED_PACKAGES = {
    "bentoml": "the HTTP service",
    "mlflow": "experiment tracking",
    "sklearn": "training",
    "torch": "transformer models",
    "transformers": "transformer models",
    "argilla": "annotation SDK",
    "lingua": "language detection",
    "phonenumbers": "phone detection",
    "stdnum": "sensitive-number validation",
    "tldextract": "URL detection",
}


def _package_checks() -> list[Check]:
    out = []
    for module, purpose in REQUIRED_PACKAGES.items():
        try:
            mod = importlib.import_module(module)
            out.append(Check(f"package {module}", True, getattr(mod, "__version__", "installed")))
        except Exception as exc:  # an import can fail with more than ImportError
            out.append(Check(f"package {module}", False, f"{purpose}: {exc}", "run `make install`"))
    return out


def _database_check(settings: Settings) -> Check:
    try:
        from modlab.storage.db import get_database

        db = get_database(settings.database)
        with db.engine.connect():
            pass
        return Check("database", True, settings.database.split("@")[-1])
    except Exception as exc:
        return Check(
            "database",
            False,
            f"{settings.database.split('@')[-1]}: {exc}",
            "check MODLAB_DATABASE_URL; PostgreSQL needs psycopg (`pip install psycopg[binary]`)",
        )


def _http_check(name: str, url: str, fix: str, headers: dict | None = None) -> Check:
    try:
        r = httpx.get(url, timeout=3.0, headers=headers)
        return Check(
            name,
            r.status_code < 400,
            f"{url} → HTTP {r.status_code}",
            "" if r.status_code < 400 else fix,
        )
    except httpx.HTTPError as exc:
        return Check(name, False, f"{url}: {type(exc).__name__}", fix)


def _detector_check() -> Check:
    try:
        from modlab.detectors import detector_names, get_detector

        names = detector_names()
        for name in names:
            get_detector(name).detect("check example@example.com")
        return Check("detectors", True, ", ".join(names))
    except Exception as exc:
        return Check("detectors", False, str(exc), "reinstall the package (`make install`)")


def run_checks(settings: Settings | None = None) -> list[Check]:
    settings = settings or get_settings()
    checks = _package_checks()
    checks.append(_database_check(settings))
    checks.append(_detector_check())
    checks.append(
        _http_check(
            "service",
            f"http://{settings.host}:{settings.port}/livez",
            "start it with `make serve` (or `modlab serve`)",
        )
    )
    checks.append(
        _http_check(
            "mlflow",
            f"http://{settings.mlflow_host}:{settings.mlflow_port}/health",
            "start it with `modlab mlflow up` (started by `make serve`)",
        )
    )
    checks.append(
        _http_check(
            "argilla",
            f"{settings.argilla_url}/api/v1/me",
            "start it with `modlab argilla up`",
            headers={"X-Argilla-Api-Key": settings.argilla_api_key.get_secret_value()},
        )
    )
    redis = shutil.which("redis-server")
    checks.append(
        Check(
            "redis-server",
            bool(redis),
            redis or "not installed (needed by Argilla)",
            "" if redis else "`modlab argilla up` installs it (apt-get install redis-server)",
        )
    )
    return checks
