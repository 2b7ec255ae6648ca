"""Service benchmark (``make bench``): the real service under load from a second process.

``run_service_bench`` builds (or reuses) the ``toxicity`` and ``openai`` built-ins in a
temporary ``MODLAB_DATA_DIR``, creates a project with all 8 detectors + toxicity, starts
``modlab serve --no-mlflow`` as a subprocess, warms it up and drives it with
``python -m modlab.ops.bench loadgen`` (asyncio + httpx, N connections, bounded by request
count and time, 127.0.0.1 only). It prints one row per scenario: throughput, latency
percentiles, errors and the service's CPU time per request (user+sys of its process tree,
which stays meaningful on a machine shared with other work), plus the service's RSS. The
service runs ``MODLAB_SERVICE_WORKERS`` worker processes (default: one per core).

``run_transformer_bench`` fine-tunes MiniLM briefly (``TransformerTrainer``) and measures
in-process inference (texts/s) for batch sizes 1/8/32 with torch fp32 and, when
``onnxruntime`` is installed, the same model exported to ONNX side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
MODELS = ("toxicity", "openai")
DETECTORS = ("email", "phone", "url", "address", "name", "username", "profanity", "sensitive")

# Realistic short texts: chat, comments, some with PII, some profane or obfuscated.
TEXTS: tuple[str, ...] = (
    "hey, are we still on for tonight?",
    "Great article, thanks for sharing!",
    "you are such an idiot, nobody wants you here",
    "email me at john.doe@gmail.com if you want the tickets",
    "call me on 415-555-0132 after 6pm",
    "this is fucking ridiculous, worst service ever",
    "check out my shop at www.cheap-deals-online.com for 50% off",
    "My name is Sarah Johnson and I live at 221 Baker Street, Springfield",
    "lol that was hilarious 😂",
    "my card is 4242 4242 4242 4242 exp 04/27 can you charge it",
    "follow me @gamer_girl_99 on insta",
    "I disagree with the ruling but I respect the judge's reasoning.",
    "shut up you stupid b1tch",
    "contact: mr_robot at gmail dot com",
    "Does anyone know when the next update ships?",
    "go back to your country, you people ruin everything",
    "The recipe needs two cups of flour and a pinch of salt.",
    "ur a piece of sh1t and everyone knows it",
    "Meeting moved to Thursday 10am, room 4B.",
    "thanks so much for the help yesterday, really appreciated",
)


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    concurrency: int
    batch: int = 0  # texts per request for /v1/moderations (0: not a batch route)
    do_not_store: bool = False
    max_requests: int = 300
    max_seconds: float = 10.0


@dataclass
class Result:
    scenario: Scenario
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_ms_per_request: float | None = None
    error_sample: str | None = None

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(round(q / 100 * (len(data) - 1))))]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def scenarios(quick: bool = False) -> list[Scenario]:
    n, t = (120, 5.0) if quick else (400, 10.0)
    mod, oai = "/api/v1/moderation/text", "/v1/moderations"
    bound = {"max_requests": n, "max_seconds": t}
    return [
        Scenario("/livez (floor)", "GET", "/livez", 1, **bound),
        Scenario("/livez (floor)", "GET", "/livez", 8, **bound),
        Scenario("moderation/text", "POST", mod, 1, **bound),
        Scenario("moderation/text", "POST", mod, 8, **bound),
        Scenario("moderation/text doNotStore", "POST", mod, 1, do_not_store=True, **bound),
        Scenario("moderation/text doNotStore", "POST", mod, 8, do_not_store=True, **bound),
        Scenario("/v1/moderations batch 1", "POST", oai, 1, batch=1, **bound),
        Scenario("/v1/moderations batch 1", "POST", oai, 8, batch=1, **bound),
        Scenario(
            "/v1/moderations batch 32", "POST", oai, 4, batch=32, max_requests=n // 4, max_seconds=t
        ),
    ]


# --------------------------------------------------------------------------- load generator


def _body(scenario: dict[str, Any], i: int) -> dict[str, Any] | None:
    if scenario["method"] == "GET":
        return None
    if scenario["batch"]:
        start = (i * 7) % len(TEXTS)
        return {"input": [TEXTS[(start + k) % len(TEXTS)] for k in range(scenario["batch"])]}
    body: dict[str, Any] = {"value": TEXTS[i % len(TEXTS)], "authorId": f"user{i % 13}"}
    if scenario["do_not_store"]:
        body["doNotStore"] = True
    return body


async def _drive(url: str, key: str, scenario: dict[str, Any]) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    sample: str | None = None
    counter = iter(range(scenario["max_requests"]))
    deadline = time.perf_counter() + scenario["max_seconds"]
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=scenario["concurrency"])
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            nonlocal errors, sample
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                body = _body(scenario, i)
                t0 = time.perf_counter()
                try:
                    if body is None:
                        r = await c.get(scenario["path"])
                    else:
                        r = await c.post(scenario["path"], json=body)
                    ok = r.status_code == 200
                    if not ok and sample is None:
                        sample = f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok = False
                    sample = sample or repr(exc)
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += not ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(scenario["concurrency"])))
        seconds = time.perf_counter() - start
    return {"latencies_ms": latencies, "errors": errors, "seconds": seconds, "sample": sample}


def loadgen_main() -> None:
    """``python -m modlab.ops.bench loadgen``: spec as JSON on stdin, results as JSON out."""
    spec = json.loads(sys.stdin.read())
    out = asyncio.run(_drive(spec["url"], spec["key"], spec["scenario"]))
    out["client_cpu_s"] = sum(os.times()[:2])
    sys.stdout.write(json.dumps(out))


def run_scenario(url: str, key: str, scenario: Scenario, server_pid: int) -> Result:
    spec = {"url": url, "key": key, "scenario": scenario.__dict__}
    cpu0 = tree_cpu_seconds(server_pid)
    proc = subprocess.run(
        [sys.executable, "-m", "modlab.ops.bench", "loadgen"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=scenario.max_seconds + 120,
        check=False,
    )
    cpu1 = tree_cpu_seconds(server_pid)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    lat = data["latencies_ms"]
    result = Result(
        scenario,
        requests=len(lat),
        errors=data["errors"],
        seconds=data["seconds"],
        latencies_ms=lat,
        error_sample=data["sample"],
    )
    if lat and cpu0 is not None and cpu1 is not None:
        result.cpu_ms_per_request = (cpu1 - cpu0) * 1000 / len(lat)
    return result


# --------------------------------------------------------------------------- process helpers


def _tree(pid: int):
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB)."""
    import psutil

    total = 0
    for p in _tree(pid):
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


def tree_cpu_seconds(pid: int) -> float | None:
    import psutil

    total = 0.0
    procs = _tree(pid)
    if not procs:
        return None
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop the service and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- set-up


def prepare_models(models_dir: Path, source_dir: Path, quick: bool, log=print) -> dict[str, str]:
    """Copy the built-ins ``make serve`` serves from ``source_dir``, else build them here."""
    from modlab.builtin.build import build_builtin

    how: dict[str, str] = {}
    for name in MODELS:
        src = source_dir / name
        info_path = src / "build.json"
        if (src / "predictor.json").exists() and not quick:
            shutil.copytree(src, models_dir / name)
            info = json.loads(info_path.read_text()) if info_path.exists() else {}
            how[name] = (
                f"reused {src} (trainer {info.get('trainer', '?')}, "
                f"{'quick' if info.get('quick') else 'full'} build)"
            )
            continue
        start = time.perf_counter()
        log(f"building {name} ({'quick' if quick else 'full'}) ...")
        build_builtin(name, quick=quick, models_dir=models_dir, log=False)
        how[name] = (
            f"built here ({'quick' if quick else 'full'}, {time.perf_counter() - start:.0f} s)"
        )
    return how


def create_project(database_url: str) -> str:
    from modlab.projects import ProjectStore
    from modlab.projects.filters import default_mask
    from modlab.storage.db import get_database

    flt: dict[str, Any] = {
        name: {"enabled": True, "mode": "SUSPICIOUS", "mask": default_mask(name)}
        for name in DETECTORS
    }
    flt["toxicity"] = {"enabled": True}
    _, key = ProjectStore(get_database(database_url)).create("bench", flt)
    return key


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 300.0) -> float:
    import httpx

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the service was not ready after {timeout:.0f} s")


def warm_up(url: str, key: str, n: int = 30) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as c:
        for i in range(n):
            for path, body in (
                ("/api/v1/moderation/text", {"value": TEXTS[i % len(TEXTS)]}),
                ("/v1/moderations", {"input": list(TEXTS)}),
            ):
                r = c.post(path, json=body)
                if r.status_code != 200:
                    raise RuntimeError(f"warm-up {path}: {r.status_code} {r.text[:300]}")


# --------------------------------------------------------------------------- report


def format_table(results: list[Result]) -> str:
    head = (
        f"{'route':<30} {'conc':>4} {'reqs':>5} {'req/s':>7} {'texts/s':>8} {'p50':>7} "
        f"{'p90':>7} {'p99':>7} {'err':>4} {'cpu ms/req':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        s = r.scenario
        texts = f"{r.rps * s.batch:8.0f}" if s.batch else f"{'':>8}"
        cpu = f"{r.cpu_ms_per_request:10.1f}" if r.cpu_ms_per_request is not None else f"{'':>10}"
        lines.append(
            f"{s.name:<30} {s.concurrency:>4} {r.requests:>5} {r.rps:7.1f} {texts} "
            f"{r.pct(50):7.1f} {r.pct(90):7.1f} {r.pct(99):7.1f} {r.errors:>4} {cpu}"
        )
    return "\n".join(lines)


def run_service_bench(*, quick_build: bool = False, quick: bool = False, keep: bool = False) -> int:
    """The whole service benchmark; returns a process exit code."""
    from modlab.settings import Settings

    source_models = Settings().models_dir  # what `make serve` serves (before the temp dir)
    tmp = Path(__import__("tempfile").mkdtemp(prefix="modlab-bench-"))
    env = {
        **os.environ,
        "MODLAB_DATA_DIR": str(tmp),
        "MODLAB_MLFLOW_ARTIFACT_ROOT": str(tmp / "mlruns"),
        "MODLAB_WEBHOOK_WORKER": os.environ.get("MODLAB_WEBHOOK_WORKER", "true"),
        "BENTOML_DO_NOT_TRACK": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update({k: env[k] for k in ("MODLAB_DATA_DIR", "MODLAB_MLFLOW_ARTIFACT_ROOT")})
    from modlab.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_dirs()
    proc: subprocess.Popen | None = None
    try:
        print(f"data dir {tmp}")
        how = prepare_models(settings.models_dir, source_models, quick_build)
        for name, text in how.items():
            print(f"model {name}: {text}")
        key = create_project(settings.database)
        port = free_port()
        url = f"http://{HOST}:{port}"
        modlab = str(Path(sys.executable).with_name("modlab"))
        log_file = (tmp / "service.log").open("w")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [modlab, "serve", "--no-mlflow", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_ready(url, proc)
        except Exception:
            print((tmp / "service.log").read_text()[-3000:], file=sys.stderr)
            raise

        workers = get_settings().service_worker_count()
        print(
            f"service ready after {time.perf_counter() - t0:.1f} s ({url}), {workers} worker "
            f"process(es) (MODLAB_SERVICE_WORKERS); load average {os.getloadavg()[0]:.1f}"
        )
        rss_idle = tree_rss_mb(proc.pid)
        warm_up(url, key, n=5 if quick else 20)
        rss_warm = tree_rss_mb(proc.pid)
        results = []
        for sc in scenarios(quick):
            res = run_scenario(url, key, sc, proc.pid)
            results.append(res)
            if res.errors:
                print(
                    f"  {sc.name} c={sc.concurrency}: {res.errors} errors, e.g. {res.error_sample}"
                )
        rss_end = tree_rss_mb(proc.pid)
        print()
        print(format_table(results))
        print(
            f"\nservice RSS (process tree): {rss_idle:.0f} MB ready, {rss_warm:.0f} MB after "
            f"warm-up, {rss_end:.0f} MB after the load"
        )
        print(
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: latencies include "
            "the load generator sharing the CPUs; 'cpu ms/req' is the service's own CPU time"
        )
        bad = [r for r in results if r.errors]
        return 1 if bad else 0
    finally:
        if proc is not None:
            stop(proc)
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- transformer


def _throughput(predict, texts: list[str], batch: int, seconds: float) -> tuple[float, float]:
    """texts/s and median ms per batch, calling ``predict`` on consecutive batches."""
    times: list[float] = []
    done = 0
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds or len(times) < 3:
        chunk = [texts[(i + k) % len(texts)] for k in range(batch)]
        i += batch
        t0 = time.perf_counter()
        predict(chunk)
        times.append(time.perf_counter() - t0)
        done += batch
    return done / sum(times), statistics.median(times) * 1000


def run_transformer_bench(seconds: float = 4.0, batches=(1, 8, 32)) -> None:
    """Fine-tune MiniLM a few steps, then texts/s in-process: torch fp32 vs ONNX Runtime."""
    import numpy as np
    import torch

    from modlab.training.trainers import make_trainer
    from modlab.training.trainers._hf import export_onnx

    rng = random.Random(0)
    texts = [t for t in TEXTS for _ in range(4)]
    rng.shuffle(texts)
    toxic = {"idiot", "fucking", "stupid", "sh1t", "country"}
    labels = ["TOXICITY" if any(w in t for w in toxic) else "NEUTRAL" for t in texts]
    trainer = make_trainer(
        "transformer", labels=["NEUTRAL", "TOXICITY"], epochs=1, max_length=64, max_steps=4
    )
    t0 = time.perf_counter()
    trainer.fit(texts, labels)
    print(f"MiniLM fine-tuned for 4 steps in {time.perf_counter() - t0:.1f} s (speed only)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    eval_texts = list(TEXTS)
    model, tokenizer = trainer.model_, trainer.tokenizer_

    def torch_predict(chunk: list[str]) -> np.ndarray:
        return trainer.predict_proba(chunk)

    threads = torch.get_num_threads()
    # Every batch size with torch's default threads and with 1 thread: on a CPU shared with
    # other work, intra-op threads wait for each other at every op (worst for small batches).
    configs = [(b, n) for b in batches for n in sorted({threads, 1}, reverse=True)]
    rows = []
    for b, n in configs:
        torch.set_num_threads(n)
        torch_predict(eval_texts[:b])
        rows.append(("torch fp32", n, b, *_throughput(torch_predict, eval_texts, b, seconds)))
    torch.set_num_threads(threads)

    ort_note = None
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
        ort_note = "ONNX Runtime not measured: `pip install onnxruntime` to compare"
    if ort is not None:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "model.onnx"
            t0 = time.perf_counter()
            # The exporter the transformer trainer saves models with (it warns on failure).
            if export_onnx(model, tokenizer, path) is None:
                ort_note = "ONNX export failed; not measured"
            else:
                sessions = {}
                for n in {n for _, n in configs}:
                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = n
                    sessions[n] = ort.InferenceSession(
                        str(path), opts, providers=["CPUExecutionProvider"]
                    )
                session = sessions[threads]
                names = [i.name for i in session.get_inputs()]
                print(
                    f"ONNX export {time.perf_counter() - t0:.1f} s; onnxruntime {ort.__version__}"
                )

                def ort_predict(chunk: list[str]) -> np.ndarray:
                    e = tokenizer(
                        chunk, padding=True, truncation=True, max_length=64, return_tensors="np"
                    )
                    logits = session.run(None, {n: e[n].astype(np.int64) for n in names})[0]
                    z = np.exp(logits - logits.max(axis=1, keepdims=True))
                    return z / z.sum(axis=1, keepdims=True)

                # Same answers as torch (within float noise) before timing anything.
                diff = np.abs(ort_predict(eval_texts) - torch_predict(eval_texts)).max()
                print(f"max |onnx - torch| probability difference: {diff:.2e}")
                for b, n in configs:
                    session = sessions[n]
                    ort_predict(eval_texts[:b])
                    tps, ms = _throughput(ort_predict, eval_texts, b, seconds)
                    rows.append(("onnxruntime fp32", n, b, tps, ms))
    print()
    print(
        f"{'MiniLM-L6 (in-process)':<20} {'threads':>7} {'batch':>5} {'texts/s':>8} {'ms/batch':>9}"
    )
    for engine, n, b, tps, ms in rows:
        print(f"{engine:<20} {n:>7} {b:>5} {tps:8.0f} {ms:9.1f}")
    if ort_note:
        print(ort_note)


if __name__ == "__main__":
    if sys.argv[1:2] == ["loadgen"]:
        loadgen_main()
    else:
        raise SystemExit("usage: python -m modlab.ops.bench loadgen < spec.json")
