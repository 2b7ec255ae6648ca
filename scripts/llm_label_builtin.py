"""LLM auto-labelling of unlabelled text for the built-in analyzers that have no labelled data.

The product's own workflow applied to its built-ins: precise label descriptions
(``data/builtin/llm_schemas.json``) → a pool of unlabelled real text → the local llama.cpp
backend (``modlab.annotation``) → ``data/builtin/llm_labels.jsonl`` → reviewed against the
hand-written seeds (``data/builtin/llm_seeds.txt``) → trained by ``modlab.builtin.datasets``.

Stages (each resumable: rows already in the output file are skipped, new rows appended):

* ``seeds``: the hand-written seed examples and ``hard_negatives.txt`` (labelled by hand; their
  LLM labels are only used to measure agreement, never to train);
* ``pool``: a deterministic candidate pool from the shared sets: random tweets (Davidson
  train part, TweetEval train/val, ToxiGen), SMS ham, lingua English sentences, and
  keyword-selected candidates so that rare concepts (sexual, self-harm, violence, threats,
  flirting, drugs) have positives. Evaluation texts (``datasets.eval_keys``) are never picked.

Every text gets the multi-label ``content`` schema and the single-label ``sentiment`` schema;
texts with SELF_HARM / VIOLENCE or THREAT / SEXUAL get a subtype schema as well. Texts are
processed in chunks, one schema at a time within a chunk, so llama.cpp's prefix cache keeps the
schema's system prompt.

Usage::

    .venv/bin/python scripts/llm_label_builtin.py --stage pool --limit 20      # smoke test
    nohup .venv/bin/python scripts/llm_label_builtin.py --stage pool > var/logs/llm_label.log &
    .venv/bin/python scripts/llm_label_builtin.py --report                      # agreement
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from modlab.builtin import datasets as ds  # noqa: E402
from modlab.training.splits import normalise_text  # noqa: E402

DATA = REPO / "data" / "builtin"
SCHEMAS_FILE = DATA / "llm_schemas.json"
OUT_FILE = DATA / "llm_labels.jsonl"
SEED = 13

# Keyword groups: ds.CONCEPT_KEYWORDS (also used by the recipes).
KEYWORDS = ds.CONCEPT_KEYWORDS
KEYWORD_QUOTA = {
    "sexual": 180, "flirt": 130, "threat": 130, "violence": 110, "self_harm": 100,
    "drugs": 70, "sensitive": 100,
}  # fmt: skip
RANDOM_QUOTA = {"tweets": 400, "sms": 160, "lingua": 120}


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + pattern + r")", re.IGNORECASE)


def load_schemas():
    from modlab.annotation.autolabel import as_schema

    raw = json.loads(SCHEMAS_FILE.read_text())["schemas"]
    return {
        name: as_schema({"name": name, **spec, "neutral": spec.get("neutral")})
        for name, spec in raw.items()
    }


# -- candidate texts ---------------------------------------------------------------------------


def unlabelled_sources() -> dict[str, list[str]]:
    """Texts the pool is drawn from, by source (never an evaluation text)."""
    banned = ds.eval_keys()
    tweets: dict[str, str] = {}
    for text, _ in ds.read_davidson():
        if not ds.heldout(text):
            tweets.setdefault(normalise_text(text), text)
    for task in ("hate", "offensive"):
        for split in ("train", "val"):
            for text, _ in ds.read_tweeteval(task, split):
                tweets.setdefault(normalise_text(text), text)
    for text, _ in ds.read_toxigen():
        tweets.setdefault(normalise_text(text), text)
    sms = [t for t, spam in ds.read_sms() if not spam and not ds.heldout(t)]
    lingua = ds.read_english_sentences()

    def ok(t: str) -> bool:
        return len(t.split()) >= 3 and len(t) <= 600 and normalise_text(t) not in banned

    return {
        "tweets": sorted(t for t in tweets.values() if ok(t)),
        "sms": sorted({t for t in sms if ok(t)}),
        "lingua": sorted({t for t in lingua if ok(t)}),
    }


def build_pool(seed: int = SEED) -> list[tuple[str, str]]:
    """``(text, source)``: keyword candidates first (interleaved by group), then random ones."""
    rng = random.Random(seed)
    sources = unlabelled_sources()
    allt = [(t, "tweets") for t in sources["tweets"]] + [(t, "sms") for t in sources["sms"]]
    seen: set[str] = set()
    picked: dict[str, list[tuple[str, str]]] = {}
    for group, pattern in KEYWORDS.items():
        rx = _rx(pattern)
        hits = [(t, s) for t, s in allt if rx.search(t)]
        rng.shuffle(hits)
        out = []
        for t, s in hits:
            key = normalise_text(t)
            if key in seen:
                continue
            seen.add(key)
            out.append((t, f"{s}:kw_{group}"))
            if len(out) >= KEYWORD_QUOTA[group]:
                break
        picked[group] = out
    for src, n in RANDOM_QUOTA.items():
        cands = list(sources[src])
        rng.shuffle(cands)
        out = []
        for t in cands:
            key = normalise_text(t)
            if key in seen:
                continue
            seen.add(key)
            out.append((t, f"{src}:random"))
            if len(out) >= n:
                break
        picked[src] = out
    # Interleave so that any prefix of the pool (an interrupted run) covers every group.
    pool: list[tuple[str, str]] = []
    lists = list(picked.values())
    i = 0
    while any(i < len(lst) for lst in lists):
        for lst in lists:
            if i < len(lst):
                pool.append(lst[i])
        i += 1
    return pool


def seed_texts() -> list[tuple[str, str]]:
    return [(s.text, "seed") for s in ds.read_seeds()]


def hard_negative_texts() -> list[tuple[str, str]]:
    return [(t, "hard_negative") for t in ds.hard_negatives()]


# -- labelling ---------------------------------------------------------------------------------

# Subtype schema -> the content labels that trigger it, and the minimum probability.
SUBTYPES = {
    "self_harm_type": ("suicide",),
    "violence_detail": ("violence", "threat"),
    "sexual_minors": ("sexual",),
}
SUBTYPE_MIN_P = 0.15


class FirstTokenScorer:
    """p(label) from the first answer token of each label, one llama.cpp evaluation per text.

    Uses the llama.cpp backend's prompt and cached evaluation (the schema's system prompt is
    the shared prefix); label names are chosen so that their first tokens differ.
    """

    def __init__(self, backend, schema):
        from modlab.annotation.backends._prompt import system_prompt

        self.backend = backend
        self.schema = schema
        self.system = system_prompt(schema)
        firsts = [backend._tokens(n)[0] for n in schema.names]
        if len(set(firsts)) != len(firsts):
            raise ValueError(f"{schema.name}: label first tokens collide: {schema.names}")
        self.firsts = firsts

    def scores(self, text: str) -> dict[str, float]:
        import numpy as np

        prefix = self.backend._prompt_tokens(self.system, text)
        logp = self.backend._eval_to(prefix)
        sel = np.array([logp[t] for t in self.firsts])
        probs = np.exp(sel - np.logaddexp.reduce(sel))
        return {n: round(float(p), 4) for n, p in zip(self.schema.names, probs, strict=True)}


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        # blank, or cut short by an interrupted run (relabelled next time)
        with contextlib.suppress(json.JSONDecodeError):
            rows.append(json.loads(line))
    return rows


def run(
    items: list[tuple[str, str]],
    out: Path,
    *,
    n_threads: int | None,
    limit: int | None,
    sentiment_limit: int | None = None,
):
    """Score ``items`` with every schema, one schema at a time, then merge into ``out``.

    The system prompts are long (~900 tokens for ``content``, ~40 s to evaluate on the loaded
    2-core machine): switching schemas per text would re-evaluate them every time, so each
    schema runs over all texts (partial results in ``var/llm_label/<schema>.jsonl``, resumable).
    """
    from modlab.annotation.backends.llama_cpp import LlamaCppBackend

    work = REPO / "var" / "llm_label"
    work.mkdir(parents=True, exist_ok=True)
    items = items[:limit] if limit is not None else items
    schemas = load_schemas()
    backend = LlamaCppBackend(n_threads=n_threads)
    scored: dict[str, dict[str, dict]] = {}
    for name in ("content", *SUBTYPES, "sentiment"):
        path = work / f"{name}.jsonl"
        # resume from the partial file, and from the committed output (a fresh checkout)
        have = {
            normalise_text(r["text"]): r["llm"][name]
            for r in _read_jsonl(out)
            if name in r.get("llm", {})
        }
        have.update({normalise_text(r["text"]): r["scores"] for r in _read_jsonl(path)})
        if name in SUBTYPES and all(src == "seed" for _, src in items):
            todo = []  # subtypes of the seeds: not measured (time budget)
        elif name in SUBTYPES:
            todo = [
                (t, s)
                for t, s in items
                if max(scored["content"][normalise_text(t)][k] for k in SUBTYPES[name])
                >= SUBTYPE_MIN_P
            ]
        elif name == "sentiment" and sentiment_limit is not None:
            todo = list(items[:sentiment_limit])
        elif name == "sentiment" and all(src == "seed" for _, src in items):
            # only the held-out seeds that carry a hand-labelled sentiment (time budget)
            with_sentiment = {
                normalise_text(s.text)
                for s in ds.read_seeds()
                if s.sentiment and ds.seed_heldout(s.text)
            }
            todo = [(t, s) for t, s in items if normalise_text(t) in with_sentiment]
        else:
            todo = list(items)
        todo = [(t, s) for t, s in todo if normalise_text(t) not in have]
        print(f"[{name}] {len(have)} scored before, {len(todo)} to do", flush=True)
        if todo:
            scorer = FirstTokenScorer(backend, schemas[name])
            start = time.perf_counter()
            with path.open("a", encoding="utf-8") as fh:
                for i, (text, _) in enumerate(todo, 1):
                    sc = scorer.scores(text)
                    have[normalise_text(text)] = sc
                    fh.write(json.dumps({"text": text, "scores": sc}, ensure_ascii=False) + "\n")
                    if i % 50 == 0 or i == len(todo):
                        fh.flush()
                        el = time.perf_counter() - start
                        print(
                            f"[{name}] {i}/{len(todo)} {el:.0f} s {el / i:.2f} s/text", flush=True
                        )
        scored[name] = have
    merge(items, out)


def merge(items: list[tuple[str, str]], out: Path) -> None:
    """Write one row per scored text (every schema's scores) into ``out`` (kept rows stay)."""
    from modlab.annotation.backends.llama_cpp import default_model_path

    work = REPO / "var" / "llm_label"
    scored: dict[str, dict[str, dict]] = {}
    for r in _read_jsonl(out):  # what the committed output already holds
        for name, sc in r.get("llm", {}).items():
            scored.setdefault(name, {})[normalise_text(r["text"])] = sc
    for p in sorted(work.glob("*.jsonl")):
        for r in _read_jsonl(p):
            scored.setdefault(p.stem, {})[normalise_text(r["text"])] = r["scores"]
    agent = f"llama_cpp:{default_model_path().stem}"
    rows = {normalise_text(r["text"]): r for r in _read_jsonl(out)}
    for text, source in items:
        key = normalise_text(text)
        if key not in scored.get("content", {}):
            continue
        llm = {n: sc[key] for n, sc in scored.items() if key in sc}
        rows[key] = {"text": text, "source": source, "agent": agent, "llm": llm}
    with out.open("w", encoding="utf-8") as fh:
        for r in rows.values():
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows in {out}")


# -- agreement with the hand-written seeds -------------------------------------------------------


def report(out: Path = OUT_FILE) -> dict:
    """Agreement of the LLM-derived concepts with the hand labels of the seeds.

    Also prints, per content label, the F1-best threshold on the seeds (how LLM_THRESHOLDS
    in modlab.builtin.datasets were chosen).
    """
    rows = {normalise_text(r["text"]): r for r in _read_jsonl(out)}
    seeds = [s for s in ds.read_seeds() if normalise_text(s.text) in rows]
    print(f"seeds labelled by the LLM: {len(seeds)} of {len(ds.read_seeds())}")
    result: dict = {}

    def prf(pairs):
        tp = sum(g and p for g, p in pairs)
        fp = sum(p and not g for g, p in pairs)
        fn = sum(g and not p for g, p in pairs)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0), tp + fn

    for concept in ds.LLM_CONCEPTS:
        pairs = [
            (
                concept in s.concepts,
                ds.llm_concepts(rows[normalise_text(s.text)]["llm"], s.text)[concept],
            )
            for s in seeds
        ]
        prec, rec, f1, pos = prf(pairs)
        result[concept] = {
            "pos": pos,
            "precision": round(prec, 2),
            "recall": round(rec, 2),
            "f1": round(f1, 2),
        }
        print(f"  {concept:24s} gold+ {pos:3d}  P {prec:.2f}  R {rec:.2f}  F1 {f1:.2f}")
    print("  per content label on the seeds: LLM alone (best plain threshold) vs the rule")
    grid = [0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7]
    for label, (concept, low, high, group) in ds.LLM_THRESHOLDS.items():
        rx = ds.keyword_rx(group)
        p_kw = [
            (
                concept in s.concepts,
                rows[normalise_text(s.text)]["llm"]["content"][label],
                bool(rx.search(s.text)),
            )
            for s in seeds
        ]
        plain = max((prf([(g, p >= t) for g, p, _ in p_kw])[2], t) for t in grid)
        rule = max(
            (prf([(g, p >= hi or (p >= lo and k)) for g, p, k in p_kw])[2], lo, hi)
            for lo in grid
            for hi in grid
            if hi >= lo
        )
        cur = prf([(g, p >= high or (p >= low and k)) for g, p, k in p_kw])[2]
        kw_only = prf([(g, k) for g, _, k in p_kw])[2]
        print(
            f"    {label:9s} plain F1 {plain[0]:.2f} (t={plain[1]:.2f})  keywords alone "
            f"{kw_only:.2f}  rule now {cur:.2f} (lo {low}, hi {high})  "
            f"best rule {rule[0]:.2f} (lo {rule[1]}, hi {rule[2]})"
        )
    sent = [(s.sentiment, ds.llm_sentiment(rows[normalise_text(s.text)]["llm"])) for s in seeds]
    sent = [(g, p) for g, p in sent if g]
    if sent:
        kept = [(g, p) for g, p in sent if p]
        acc = sum(g == p for g, p in kept) / max(len(kept), 1)
        result["sentiment"] = {"n": len(sent), "kept": len(kept), "accuracy": round(acc, 3)}
        print(
            f"  sentiment: accuracy {acc:.2f} on {len(kept)} of {len(sent)} seeds kept "
            f"(p >= {ds.LLM_SENTIMENT_MIN_P})"
        )
    hn = [r for r in rows.values() if r["source"] == "hard_negative"]
    if hn:
        for concept in ("sexual", "threat", "violence", "self_harm", "flirtation", "sensitive"):
            k = sum(ds.llm_concepts(r["llm"], r["text"])[concept] for r in hn)
            print(f"  hard_negatives.txt marked {concept}: {k}/{len(hn)}")
    pool = [r for r in rows.values() if r["source"] not in ("seed", "hard_negative")]
    if pool:
        from collections import Counter

        counts = Counter(
            c for r in pool for c, v in ds.llm_concepts(r["llm"], r["text"]).items() if v
        )
        senti = Counter(ds.llm_sentiment(r["llm"]) for r in pool)
        print(f"  pool: {len(pool)} texts; concepts {dict(counts)}; sentiment {dict(senti)}")
        result["pool"] = {"n": len(pool), "concepts": dict(counts), "sentiment": dict(senti)}
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stage", choices=["seeds", "pool", "hardneg", "all"], default=None)
    p.add_argument("--limit", type=int, default=None, help="label at most N new texts")
    p.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    p.add_argument("--sentiment-limit", type=int, default=None, help="sentiment for the first N")
    p.add_argument("--out", type=Path, default=OUT_FILE)
    p.add_argument("--report", action="store_true", help="agreement with the seeds")
    p.add_argument("--merge", action="store_true", help="merge partial results, no LLM")
    p.add_argument("--show-pool", action="store_true")
    args = p.parse_args(argv)
    if args.show_pool:
        pool = build_pool()
        from collections import Counter

        print(len(pool), Counter(s for _, s in pool))
        return 0
    if args.merge:
        merge(build_pool() + seed_texts() + hard_negative_texts(), args.out)
    if args.stage in ("seeds", "all"):
        run(seed_texts(), args.out, n_threads=args.threads, limit=args.limit)
    if args.stage in ("hardneg", "all"):
        run(hard_negative_texts(), args.out, n_threads=args.threads, limit=args.limit)
    if args.stage in ("pool", "all"):
        run(
            build_pool(),
            args.out,
            n_threads=args.threads,
            limit=args.limit,
            sentiment_limit=args.sentiment_limit,
        )
    if args.report:
        report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
