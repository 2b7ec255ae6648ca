"""Agreement of each auto-labelling backend with gold labels, and its speed.

Data: the SMS Spam Collection (ham/spam) and the TweetEval hate validation split
(not-hate/hate), both from the shared data folder. For each backend that can run here it prints
accuracy, macro-F1 and Cohen's kappa vs. gold, coverage (answered / asked) and examples/second
(model loading excluded; the LLM backends run on a fixed random sample).

    .venv/bin/python scripts/eval_autolabel.py                       # similarity, all texts
    .venv/bin/python scripts/eval_autolabel.py --backends similarity,llama_cpp --llm-limit 40
    MODLAB_LLM_BASE_URL=http://127.0.0.1:8080 .venv/bin/python scripts/eval_autolabel.py \
        --backends openai --llm-limit 40
    # the openai backend against llama-cpp-python's own OpenAI-compatible server on 127.0.0.1
    # (the llm extra plus its server deps: scripts/install_llm.sh with SERVER=1)
    .venv/bin/python scripts/eval_autolabel.py --backends openai --serve-llama

Each backend gets the same label schema: a short phrase and a one-sentence description per label,
zero-shot and with ``--shots`` examples per label (default 0, 8, 32) drawn from the data set's
*training* side, never from the evaluated texts. The LLM prompt shows at most 3 examples per label.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from modlab.annotation.autolabel import (  # noqa: E402
    Label,
    Schema,
    agreement,
    available_backends,
    get_backend,
)
from modlab.settings import get_settings  # noqa: E402

SMS_SCHEMA = Schema(
    name="sms_spam",
    labels=(
        Label(
            "ham",
            "An ordinary personal text message between friends, family or colleagues.",
            phrase="a personal text message",
        ),
        Label(
            "spam",
            "Unsolicited commercial or fraudulent SMS: prizes, offers, ringtones, premium-rate "
            "numbers, 'text STOP to opt out'.",
            phrase="spam advertisement",
        ),
    ),
)
HATE_SCHEMA = Schema(
    name="tweeteval_hate",
    labels=(
        Label(
            "not-hate",
            "Any tweet that is not hate speech, including offensive or vulgar tweets that do "
            "not attack immigrants or women as a group.",
            phrase="an ordinary tweet",
        ),
        Label(
            "hate",
            "Hate speech against immigrants or women: expresses hatred of them as a group, "
            "insults, dehumanises, threatens or incites violence against them.",
            phrase="hateful tweet against immigrants or women",
        ),
    ),
)


@dataclass
class DataSet:
    name: str
    schema: Schema
    texts: list[str]
    gold: list[str]
    pool_texts: list[str]  # where few-shot examples come from (disjoint from texts)
    pool_gold: list[str]


def load_sms(root: Path, seed: int) -> DataSet:
    rows = []
    for line in (root / "sms_spam" / "sms.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            label, text = line.split("\t", 1)
            rows.append((text, label.strip()))
    # The collection has no split: hold out 10 % as the example pool.
    rng = random.Random(seed)
    idx = list(range(len(rows)))
    rng.shuffle(idx)
    cut = len(idx) // 10
    pool = [rows[i] for i in sorted(idx[:cut])]
    rest = [rows[i] for i in sorted(idx[cut:])]
    return DataSet(
        "sms_spam (90 % not used for examples)",
        SMS_SCHEMA,
        [t for t, _ in rest],
        [g for _, g in rest],
        [t for t, _ in pool],
        [g for _, g in pool],
    )


def load_hate(root: Path) -> DataSet:
    base = root / "tweeteval" / "hate"
    names = {"0": "not-hate", "1": "hate"}

    def read(split: str) -> tuple[list[str], list[str]]:
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
        return texts, [names[x.strip()] for x in labels]

    vt, vg = read("val")
    tt, tg = read("train")
    return DataSet("tweeteval/hate val", HATE_SCHEMA, vt, vg, tt, tg)


def with_examples(schema: Schema, ds: DataSet, shots: int, seed: int) -> Schema:
    if shots <= 0:
        return schema
    rng = random.Random(seed)
    labels = []
    for lab in schema.labels:
        cands = [t for t, g in zip(ds.pool_texts, ds.pool_gold, strict=True) if g == lab.name]
        cands = [t for t in cands if 20 <= len(t) <= 200] or cands
        labels.append(Label(lab.name, lab.description, tuple(rng.sample(cands, shots)), lab.phrase))
    return Schema(schema.name, tuple(labels), schema.multi_label, schema.neutral)


def sample(ds: DataSet, n: int | None, seed: int) -> tuple[list[str], list[str]]:
    if n is None or n >= len(ds.texts):
        return ds.texts, ds.gold
    idx = sorted(random.Random(seed).sample(range(len(ds.texts)), n))
    return [ds.texts[i] for i in idx], [ds.gold[i] for i in idx]


@contextlib.contextmanager
def llama_server(n_ctx: int = 2048):
    """llama-cpp-python's OpenAI-compatible server on a free 127.0.0.1 port, as settings."""
    import httpx

    from modlab.annotation.backends.llama_cpp import default_model_path
    from modlab.settings import REPO_ROOT

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key = "local-eval-key"
    env = dict(os.environ)
    extra = REPO_ROOT / "var" / "llm" / "server-deps"  # sse-starlette, starlette-context
    if extra.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", str(os.cpu_count() or 1), "--api_key", key,
    ]  # fmt: skip
    # The server logs every request: a file, never a pipe that could fill up.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("MODLAB_LLM_BASE_URL", "MODLAB_LLM_API_KEY")}
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"llama_cpp.server exited: {log.read().decode()[-800:]}")
            try:
                headers = {"Authorization": f"Bearer {key}"}
                if httpx.get(f"{url}/v1/models", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not start within 300 s")
            time.sleep(1)
        os.environ.update(MODLAB_LLM_BASE_URL=url, MODLAB_LLM_API_KEY=key)
        get_settings.cache_clear()
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        log.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=get_settings().shared_dir / "data")
    p.add_argument("--backends", default="similarity,llama_cpp,openai")
    p.add_argument("--limit", type=int, default=None, help="texts per data set (similarity)")
    p.add_argument("--llm-limit", type=int, default=40, help="texts per data set for LLMs")
    p.add_argument("--shots", default="0,8,32", help="examples per label to try (similarity)")
    p.add_argument("--llm-shots", default="0,3", help="examples per label to try (LLMs)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("--progress", action="store_true")
    p.add_argument(
        "--serve-llama",
        action="store_true",
        help="run the openai backend against llama-cpp-python's server on 127.0.0.1",
    )
    args = p.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.serve_llama:
            print("# openai backend -> llama_cpp.server at", stack.enter_context(llama_server()))
        return run(args)


def run(args: argparse.Namespace) -> int:

    status = available_backends()
    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    datasets = [load_sms(args.data, args.seed), load_hate(args.data)]
    rows = []
    for backend_name in wanted:
        if status.get(backend_name, "ok") != "ok":
            print(f"# {backend_name}: skipped ({status[backend_name]})")
            continue
        backend = get_backend(backend_name)
        is_llm = backend_name != "similarity"
        # Load the model before timing anything (ex/s excludes start-up).
        backend.label(["warm-up"], datasets[0].schema, progress=False)
        for ds in datasets:
            shot_list = args.llm_shots if is_llm else args.shots
            counts = [int(k) for k in shot_list.split(",") if k.strip()]
            for shots in counts:
                variant = f"{shots}-shot" if shots else "zero-shot"
                schema = with_examples(ds.schema, ds, shots, args.seed)
                texts, gold = sample(ds, args.llm_limit if is_llm else args.limit, args.seed)
                preds = backend.label(texts, schema, progress=args.progress)
                stats = backend.last_run
                # The similarity backend caches text embeddings: only the first setting per
                # data set measures encoding speed; later ones just re-embed the prototypes.
                cached = not is_llm and shots != counts[0]
                agree = agreement(preds, gold, labels=schema.names)
                row = {
                    "backend": backend.agent,
                    "data": ds.name,
                    "setting": variant,
                    "n": len(texts),
                    **{k: round(v, 4) for k, v in agree.items() if k != "n"},
                    "answered": agree["n"],
                    "per_s": round(stats.per_second, 2) if stats and not cached else None,
                }
                rows.append(row)
                print(
                    f"{row['backend']:<44} {ds.name:<38} {variant:<9} n={row['n']:<5} "
                    f"acc={row['accuracy']:.3f} macroF1={row['macro_f1']:.3f} "
                    f"kappa={row['kappa']:.3f} cover={row['coverage']:.2f} "
                    + (f"{row['per_s']:.2f} ex/s" if row["per_s"] else "(cached embeddings)"),
                    flush=True,
                )
        backend.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
