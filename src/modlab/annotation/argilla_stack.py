"""The local Argilla annotation stack: install, start, stop and inspect it.

Components, started in this order (``down`` stops them in reverse):

1. ``engine``  -- noida-db's Elasticsearch-8-compatible server (skipped when
   ``argilla_elasticsearch_url`` points at a real Elasticsearch/OpenSearch);
2. ``redis``   -- Debian's ``redis-server`` (skipped when ``argilla_redis_url`` is set);
3. ``init``    -- ``database migrate`` + ``database users create_default`` (one short process);
4. ``server``  -- ``argilla_server start --host 127.0.0.1`` (binds 0.0.0.0 by default!);
5. ``worker``  -- ``argilla_server worker`` (rq jobs: dataset progress, imports).

Argilla runs in its own venv (``.venv-argilla``: argilla-server 2.8.0 + noida-db 0.2.3 with
``click<8.2`` and ``huggingface-hub<1.0``; its pins clash with modlab's), every Argilla command is
launched through ``argilla_engine/modlab_noida_engine.py`` so the noida-compatible search engine
is registered. State, logs and pid files live under ``<data_dir>/argilla``. Readiness of the
whole stack is ``GET /api/v1/me`` with the owner's API key. See docs/argilla.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from modlab.ops.processes import process_alive, reap
from modlab.settings import REPO_ROOT, Settings, get_settings

ARGILLA_SERVER_VERSION = "2.8.0"
NOIDA_DB_VERSION = "0.2.3"
REQUIREMENTS = (f"argilla-server=={ARGILLA_SERVER_VERSION}", f"noida-db=={NOIDA_DB_VERSION}")
# argilla-server's "postgresql" extra, with the binary psycopg2 (the extra's psycopg2 builds
# from source): asyncpg serves requests, psycopg2 runs the alembic migrations.
POSTGRES_REQUIREMENTS = ("asyncpg~=0.30.0", "psycopg2-binary~=2.9.0")
# typer 0.9 (pinned by argilla-server) crashes with click>=8.2; hub 1.x breaks argilla-server.
CONSTRAINTS = ("click<8.2", "huggingface-hub<1.0")
ENGINE_NAME = "modlab-noida"
ENGINE_DIR = Path(__file__).resolve().parent / "argilla_engine"
COMPONENTS = ("engine", "redis", "server", "worker")


class ArgillaStackError(RuntimeError):
    """A component failed to install or start; the message names it and shows its log tail."""


@dataclass(frozen=True)
class StackConfig:
    """Everything the stack needs, resolved from :class:`modlab.settings.Settings`."""

    root: Path
    venv: Path
    host: str
    port: int
    url: str
    api_key: str
    password: str
    engine_port: int
    redis_port: int
    elasticsearch_url: str
    search_engine: str
    redis_url: str
    database_url: str
    external_engine: bool
    external_redis: bool

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def pidfile(self, name: str) -> Path:
        return self.pids / f"{name}.pid"


def config(settings: Settings | None = None) -> StackConfig:
    s = settings or get_settings()
    root = s.data_dir / "argilla"
    if s.argilla_venv is not None:
        venv = s.argilla_venv
    elif (REPO_ROOT / "pyproject.toml").exists():
        venv = REPO_ROOT / ".venv-argilla"
    else:
        venv = root / "venv"
    url = s.argilla_url.rstrip("/")
    parsed = urlparse(url)
    password = s.argilla_password.get_secret_value()
    if len(password) < 8:
        raise ArgillaStackError("argilla_password must have at least 8 characters")
    return StackConfig(
        root=root,
        venv=venv,
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 6900,
        url=url,
        api_key=s.argilla_api_key.get_secret_value(),
        password=password,
        engine_port=s.argilla_engine_port,
        redis_port=s.argilla_redis_port,
        elasticsearch_url=s.argilla_elasticsearch_url
        or f"http://127.0.0.1:{s.argilla_engine_port}",
        search_engine=s.argilla_search_engine
        or ("elasticsearch" if s.argilla_elasticsearch_url else ENGINE_NAME),
        redis_url=s.argilla_redis_url or f"redis://127.0.0.1:{s.argilla_redis_port}/0",
        database_url=s.argilla_database_url
        or f"sqlite+aiosqlite:///{root / 'argilla.db'}?check_same_thread=False",
        external_engine=bool(s.argilla_elasticsearch_url),
        external_redis=bool(s.argilla_redis_url),
    )


# --------------------------------------------------------------------------- install


def _uv() -> str | None:
    for candidate in (Path(sys.executable).parent / "uv", REPO_ROOT / ".venv" / "bin" / "uv"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("uv")


def _run(cmd: list[str], what: str, timeout: float, env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ArgillaStackError(f"{what}: timed out after {timeout:.0f}s: {' '.join(cmd)}") from exc
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise ArgillaStackError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


def _venv_marker(cfg: StackConfig) -> Path:
    return cfg.venv / ".modlab-argilla-stack"


def _requirements(cfg: StackConfig) -> tuple[str, ...]:
    if cfg.database_url.startswith("postgresql"):
        return REQUIREMENTS + POSTGRES_REQUIREMENTS
    return REQUIREMENTS


def _venv_spec(cfg: StackConfig) -> str:
    return json.dumps({"requirements": _requirements(cfg), "constraints": CONSTRAINTS})


def venv_ready(cfg: StackConfig | None = None) -> bool:
    cfg = cfg or config()
    marker = _venv_marker(cfg)
    if not (cfg.python.exists() and marker.exists()):
        return False
    try:
        installed = json.loads(marker.read_text())
    except ValueError:
        return False
    return installed.get("constraints") == list(CONSTRAINTS) and set(_requirements(cfg)) <= set(
        installed.get("requirements", ())
    )


def install_venv(cfg: StackConfig | None = None, *, force: bool = False) -> float:
    """Create ``.venv-argilla`` with argilla-server + noida-db (idempotent); returns seconds spent.

    Uses ``uv`` (about 7 s from a warm cache, under a minute cold) and falls back to
    ``python -m venv`` + pip. Never touches modlab's own venv.
    """
    cfg = cfg or config()
    if venv_ready(cfg) and not force:
        return 0.0
    start = time.monotonic()
    cfg.venv.parent.mkdir(parents=True, exist_ok=True)
    # In the stack's data dir: beside the venv it landed in the repository root (the venv
    # lives there) as an untracked "..venv-argilla-constraints.txt".
    cfg.root.mkdir(parents=True, exist_ok=True)
    constraints = cfg.root / "venv-constraints.txt"
    constraints.write_text("\n".join(CONSTRAINTS) + "\n")
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    if uv:
        _run(
            [uv, "venv", "--clear", "--python", sys.executable, str(cfg.venv)], "uv venv", 300, env
        )
        _run(
            [uv, "pip", "install", "--compile-bytecode", "--python", str(cfg.python)]
            + ["-c", str(constraints), *_requirements(cfg)],
            "uv pip install argilla-server",
            900,
            env,
        )
    else:
        if cfg.venv.exists():
            shutil.rmtree(cfg.venv)
        _run([sys.executable, "-m", "venv", str(cfg.venv)], "python -m venv", 300, env)
        _run(
            [str(cfg.python), "-m", "pip", "install", "-q", "-c", str(constraints)]
            + list(_requirements(cfg)),
            "pip install argilla-server",
            1800,
            env,
        )
    _run(
        [str(cfg.python), "-c", "import argilla_server, noida_db, elasticsearch8, redis"],
        "checking the Argilla venv",
        120,
        env,
    )
    _venv_marker(cfg).write_text(_venv_spec(cfg))
    return time.monotonic() - start


def _apt_install(*packages: str, timeout: float = 900) -> None:
    if shutil.which("apt-get") is None:
        raise ArgillaStackError(f"apt-get not found: install {' '.join(packages)} by hand")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", *packages]
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise ArgillaStackError(f"need root to apt-get install {' '.join(packages)}")
        cmd = ["sudo", "-E", *cmd]
    try:
        _run(cmd, f"apt-get install {' '.join(packages)}", timeout, env)
    except ArgillaStackError:
        update = ["apt-get", "update", "-q"] if cmd[0] != "sudo" else ["sudo", "apt-get", "update"]
        _run(update, "apt-get update", 600, env)
        _run(cmd, f"apt-get install {' '.join(packages)}", timeout, env)


def ensure_redis() -> str:
    """Path of ``redis-server``, installing Debian's package if missing."""
    path = shutil.which("redis-server")
    if path is None:
        _apt_install("redis-server")
        path = shutil.which("redis-server")
    if path is None:
        raise ArgillaStackError("redis: redis-server still not on PATH after apt-get install")
    return path


def ensure_chromium() -> tuple[str, str]:
    """``(chromium, chromedriver)`` paths; installs Debian's packages if missing (UI tests)."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        _apt_install("chromium", "chromium-driver", timeout=1500)
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise ArgillaStackError("chromium/chromedriver still missing after apt-get install")
    return chromium, driver


def install(settings: Settings | None = None) -> dict[str, float]:
    """Everything ``up()`` needs, idempotently; returns seconds per step."""
    cfg = config(settings)
    timings = {"venv": install_venv(cfg)}
    if not cfg.external_redis:
        start = time.monotonic()
        ensure_redis()
        timings["redis"] = time.monotonic() - start
    return timings


# --------------------------------------------------------------------------- processes


def _read_pid(cfg: StackConfig, name: str) -> int | None:
    try:
        return int(cfg.pidfile(name).read_text().strip())
    except (OSError, ValueError):
        return None


def _ours(cfg: StackConfig, pid: int) -> bool:
    """The pid still runs a stack process (guards against pid reuse after a reboot)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return process_alive(pid)
    # redis-server rewrites its process title over the environ area: fall back on its cwd.
    root = cfg.root.resolve()
    return f"MODLAB_ARGILLA_ROOT={cfg.root}".encode() in environ.split(b"\0") or (
        cwd == root or root in cwd.parents
    )


def _running(cfg: StackConfig, name: str) -> int | None:
    pid = _read_pid(cfg, name)
    return pid if pid and process_alive(pid) and _ours(cfg, pid) else None


def _log_tail(cfg: StackConfig, name: str, chars: int = 2500) -> str:
    try:
        return cfg.log(name).read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def _argilla_env(cfg: StackConfig) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # Other ARGILLA_* variables (TLS to Elasticsearch, ARGILLA_BASE_URL, ...) pass through.
        if not k.startswith(("VIRTUAL_ENV", "PYTHON", "MODLAB_ARGILLA_INIT"))
    }
    secret_file = cfg.root / "auth_secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    env.update(
        {
            "PYTHONPATH": str(ENGINE_DIR),
            "PYTHONUNBUFFERED": "1",
            "MODLAB_ARGILLA_ROOT": str(cfg.root),
            "ARGILLA_HOME_PATH": str(cfg.root / "home"),
            "ARGILLA_DATABASE_URL": cfg.database_url,
            "ARGILLA_ELASTICSEARCH": cfg.elasticsearch_url,
            "ARGILLA_SEARCH_ENGINE": cfg.search_engine,
            "ARGILLA_REDIS_URL": cfg.redis_url,
            "ARGILLA_AUTH_SECRET_KEY": secret_file.read_text().strip(),
            "ARGILLA_ENABLE_TELEMETRY": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def _spawn(cfg: StackConfig, name: str, cmd: list[str], env: dict[str, str]) -> int:
    with cfg.log(name).open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cfg.root,
            start_new_session=True,  # own process group: down() stops children too
        )
    cfg.pidfile(name).write_text(str(proc.pid))
    return proc.pid


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 3.0) -> Any:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (local URL)
        return json.loads(resp.read() or b"null")


def _redis_cmd(url: str, *args: str, timeout: float = 2.0) -> bytes:
    """One raw RESP command (enough for PING / SCARD without a redis client in this venv)."""
    parsed = urlparse(url)
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args
    )
    with socket.create_connection(
        (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=timeout
    ) as sock:
        if parsed.password:
            auth = (
                ["AUTH", parsed.password]
                if not parsed.username
                else ["AUTH", parsed.username, parsed.password]
            )
            sock.sendall(
                f"*{len(auth)}\r\n".encode()
                + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in auth)
            )
            sock.recv(256)
        sock.sendall(payload)
        return sock.recv(4096)


def _wait(
    cfg: StackConfig, name: str, check, timeout: float, pid: int | None = None, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = f"{type(exc).__name__}: {exc}"
        if pid is not None and not process_alive(pid):
            raise ArgillaStackError(
                f"Argilla stack: {name} exited during start-up{what}. "
                f"Log {cfg.log(name)}:\n{_log_tail(cfg, name)}"
            )
        time.sleep(0.25)
    raise ArgillaStackError(
        f"Argilla stack: {name} not ready after {timeout:.0f}s{what}"
        f"{' (last error: ' + last_error + ')' if last_error else ''}. "
        f"Log {cfg.log(name)}:\n{_log_tail(cfg, name)}"
    )


def _server_ready(cfg: StackConfig) -> bool:
    me = _http_get(f"{cfg.url}/api/v1/me", {"X-Argilla-Api-Key": cfg.api_key})
    return isinstance(me, dict) and me.get("role") == "owner"


def _start_engine(cfg: StackConfig, timeout: float) -> None:
    if cfg.external_engine or _running(cfg, "engine"):
        return
    if _port_open("127.0.0.1", cfg.engine_port):
        raise ArgillaStackError(
            f"Argilla stack: engine port {cfg.engine_port} is taken by another process; "
            "set MODLAB_ARGILLA_ENGINE_PORT or MODLAB_ARGILLA_ELASTICSEARCH_URL"
        )
    noida = cfg.venv / "bin" / "noida-db"
    cmd = [str(noida), "start", "--data-dir", str(cfg.root / "engine"), "--only", "elasticsearch"]
    cmd += ["--elasticsearch-port", str(cfg.engine_port)]
    pid = _spawn(cfg, "engine", cmd, _argilla_env(cfg))
    url = f"http://127.0.0.1:{cfg.engine_port}/"
    _wait(cfg, "engine", lambda: "version" in _http_get(url), timeout, pid, f" ({url})")


def _start_redis(cfg: StackConfig, timeout: float) -> None:
    if cfg.external_redis or _running(cfg, "redis"):
        return
    if _port_open("127.0.0.1", cfg.redis_port):
        raise ArgillaStackError(
            f"Argilla stack: redis port {cfg.redis_port} is taken by another process; "
            "set MODLAB_ARGILLA_REDIS_PORT or MODLAB_ARGILLA_REDIS_URL"
        )
    (cfg.root / "redis").mkdir(exist_ok=True)
    cmd = [ensure_redis(), "--port", str(cfg.redis_port), "--bind", "127.0.0.1"]
    # Only Argilla's job queue lives here: no persistence, so a restart starts clean.
    cmd += ["--dir", str(cfg.root / "redis"), "--save", "", "--appendonly", "no"]
    pid = _spawn(cfg, "redis", cmd, _argilla_env(cfg))
    _wait(
        cfg,
        "redis",
        lambda: _redis_cmd(cfg.redis_url, "PING").startswith(b"+PONG"),
        timeout,
        pid,
        f" ({cfg.redis_url})",
    )


def _init_database(cfg: StackConfig, timeout: float) -> None:
    env = _argilla_env(cfg)
    env["MODLAB_ARGILLA_INIT_API_KEY"] = cfg.api_key
    env["MODLAB_ARGILLA_INIT_PASSWORD"] = cfg.password
    cmd = [str(cfg.python), "-m", "modlab_noida_engine", "modlab-init"]
    with cfg.log("init").open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        try:
            proc = subprocess.run(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cfg.root, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise ArgillaStackError(
                f"Argilla stack: database init timed out after {timeout:.0f}s. "
                f"Log {cfg.log('init')}:\n{_log_tail(cfg, 'init')}"
            ) from exc
    if proc.returncode != 0:
        raise ArgillaStackError(
            f"Argilla stack: database init (migrate + create_default user) failed "
            f"(exit {proc.returncode}). Log {cfg.log('init')}:\n{_log_tail(cfg, 'init')}"
        )


def _start_server_and_worker(cfg: StackConfig, timeout: float) -> None:
    env = _argilla_env(cfg)
    py = [str(cfg.python), "-m", "modlab_noida_engine"]
    server_pid = _running(cfg, "server")
    if not server_pid:
        if _port_open(cfg.host, cfg.port):
            raise ArgillaStackError(
                f"Argilla stack: server port {cfg.port} is taken by another process; "
                "change MODLAB_ARGILLA_URL"
            )
        cmd = [*py, "start", "--host", cfg.host, "--port", str(cfg.port)]
        server_pid = _spawn(cfg, "server", cmd, env)
    worker_pid = _running(cfg, "worker") or _spawn(cfg, "worker", [*py, "worker"], env)
    _wait(
        cfg,
        "server",
        lambda: _server_ready(cfg),
        timeout,
        server_pid,
        f" ({cfg.url}/api/v1/me)",
    )
    # rq registers its workers in the "rq:workers" set once they listen.
    _wait(
        cfg,
        "worker",
        lambda: int(_redis_cmd(cfg.redis_url, "SCARD", "rq:workers")[1:].split(b"\r")[0]) > 0,
        max(30.0, timeout / 2),
        worker_pid,
    )


def up(settings: Settings | None = None, *, timeout: float = 240.0) -> dict[str, Any]:
    """Install what is missing and start the stack (idempotent); returns :func:`status`.

    Raises :class:`ArgillaStackError` naming the component that failed, with its log tail.
    """
    cfg = config(settings)
    t0 = time.monotonic()
    for path in (cfg.root, cfg.logs, cfg.pids, cfg.root / "home"):
        path.mkdir(parents=True, exist_ok=True)
    timings = install(settings)
    current = status(settings)
    if current["ready"] and all(c["running"] for c in current["components"].values()):
        return current
    t1 = time.monotonic()
    for name, step in (
        ("engine", lambda: _start_engine(cfg, min(60.0, timeout))),
        ("redis", lambda: _start_redis(cfg, min(30.0, timeout))),
        ("init", lambda: _init_database(cfg, timeout)),
        ("server+worker", lambda: _start_server_and_worker(cfg, timeout)),
    ):
        t = time.monotonic()
        try:
            step()
        except ArgillaStackError as exc:
            raise ArgillaStackError(
                f"{exc}\n(components already started keep running: `modlab argilla status`, "
                "`modlab argilla down`)"
            ) from exc
        timings[name] = time.monotonic() - t
    result = status(settings)
    timings["start"] = time.monotonic() - t1
    timings["total"] = time.monotonic() - t0
    result["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    return result


def _stop(cfg: StackConfig, name: str, grace: float = 15.0) -> bool:
    pid = _read_pid(cfg, name)
    stopped = False
    if pid and process_alive(pid) and _ours(cfg, pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and process_alive(pid):
            time.sleep(0.2)
        if process_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            time.sleep(0.3)
        reap(pid)  # if it is our own child (tests and `modlab serve` start it in-process)
        # Stragglers of the group (e.g. rq's forked workers) go with their leader.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        stopped = True
    with contextlib.suppress(FileNotFoundError):
        cfg.pidfile(name).unlink()
    return stopped


def down(settings: Settings | None = None) -> dict[str, bool]:
    """Stop worker, server, redis and engine (in that order); data stays. Returns what stopped."""
    cfg = config(settings)
    return {name: _stop(cfg, name) for name in reversed(COMPONENTS)}


def status(settings: Settings | None = None) -> dict[str, Any]:
    """Per component: pid and whether it runs; ``ready`` = the API answers with the owner key."""
    cfg = config(settings)
    components: dict[str, Any] = {}
    for name in COMPONENTS:
        external = (name == "engine" and cfg.external_engine) or (
            name == "redis" and cfg.external_redis
        )
        pid = _running(cfg, name)
        components[name] = {
            "running": bool(pid) or external,
            "pid": pid,
            "external": external,
            "log": str(cfg.log(name)),
        }
    components["engine"]["url"] = cfg.elasticsearch_url
    components["redis"]["url"] = cfg.redis_url
    components["server"]["url"] = cfg.url
    ready = False
    with contextlib.suppress(Exception):
        ready = _server_ready(cfg)
    return {
        "ready": ready,
        "url": cfg.url,
        "search_engine": cfg.search_engine,
        "database_url": cfg.database_url,
        "venv": str(cfg.venv),
        "venv_installed": venv_ready(cfg),
        "components": components,
    }


__all__ = [
    "ArgillaStackError",
    "StackConfig",
    "config",
    "down",
    "ensure_chromium",
    "ensure_redis",
    "install",
    "install_venv",
    "status",
    "up",
]
