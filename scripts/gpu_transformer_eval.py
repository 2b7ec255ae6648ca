"""Fine-tuned MiniLM (``transformer`` trainer) for the built-in recipes, trained on a GPU.

A measurement, not a build step: the built-ins ship with ``linear``/``hybrid`` because a
MiniLM fine-tune over the ~45k-text recipes takes an hour on 2 CPU cores. This script
answers "would a transformer do better on the held-out targets?" with the same recipes,
splits, calibration, thresholds and evaluation sets as ``scripts/eval_builtin.py``:

    # here: the recipes' splits + the evaluation texts + MiniLM in fp16 (fits a device call)
    .venv/bin/python scripts/gpu_transformer_eval.py export --out var/gpu toxicity quality openai
    # on the GPU machine (only torch, transformers, numpy, scikit-learn are needed there)
    python3 scripts/gpu_transformer_eval.py fit --data var/gpu --out $OUT
    # here again: calibrate on the validation split, pick thresholds, print the table
    .venv/bin/python scripts/gpu_transformer_eval.py score --data var/gpu --proba DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

_SMALL = {"learning_rate": 5e-5, "max_length": 128, "batch_size": 16}
# Fine-tuning settings tried per recipe (name -> list of (tag, TransformerTrainer params)).
CONFIGS = {
    "default": [
        ("e3_lr5e-5", {"epochs": 3, "learning_rate": 5e-5, "max_length": 96, "batch_size": 32}),
        ("e5_lr3e-5", {"epochs": 5, "learning_rate": 3e-5, "max_length": 96, "batch_size": 32}),
    ],
    # The small seed/LLM recipes (1-5k rows) get more passes.
    **{
        name: [(f"e{n}_lr5e-5", {**_SMALL, "epochs": n}) for n in (5, 10)]
        for name in ("nsfw", "propriety", "sentiment")
    },
}


def _read(path: Path) -> dict:
    with gzip.open(path, "rt") as fh:
        return json.load(fh)


def export(names: list[str], out: Path) -> None:
    """Write each recipe's train/val/test split (as train_model draws it) and the eval texts."""
    import torch
    from safetensors.torch import load_file, save_file

    from modlab.builtin import datasets as ds
    from modlab.training.labels import encode_labels
    from modlab.training.splits import split_dataset
    from modlab.training.trainers._hf import default_model_path

    out.mkdir(parents=True, exist_ok=True)
    sets = ds.eval_sets()
    seeds = [s.text for s in ds.read_seeds() if ds.seed_heldout(s.text)]
    for name in names:
        data = ds.recipe(name)
        Y, label_names, mask = encode_labels(data.labels, list(data.label_names), data.multi_label)
        rows = np.flatnonzero(mask)
        texts = [data.texts[i] for i in rows]
        Y = Y[rows]
        split = split_dataset(texts, Y, seed=0)
        extra = sorted({t for es in sets.values() for t in es.texts} | set(seeds))
        payload = {
            "name": name,
            "labels": list(label_names),
            "multi_label": data.multi_label,
            "neutral_label": data.neutral_label,
            **{
                part: {
                    "texts": [texts[i] for i in getattr(split, part)],
                    "Y": Y[getattr(split, part)].astype(int).tolist(),
                }
                for part in ("train", "val", "test")
            },
            "extra_texts": extra,
        }
        with gzip.open(out / f"{name}.json.gz", "wt") as fh:
            json.dump(payload, fh)
        print(name, {p: len(payload[p]["texts"]) for p in ("train", "val", "test")}, len(extra))
    # MiniLM in fp16 (45 MB instead of 91 MB) so the working tree fits a device call.
    src = Path(default_model_path())
    dst = out / "minilm"
    dst.mkdir(exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.suffix in (".json", ".txt"):
            (dst / f.name).write_bytes(f.read_bytes())
    weights = {k: v.to(torch.float16) for k, v in load_file(src / "model.safetensors").items()}
    save_file(weights, dst / "model.safetensors", metadata={"format": "pt"})


def _fp32_copy(folder: Path) -> Path:
    """The fp16 MiniLM as an fp32 folder: fine-tuning fp16 weights with AdamW loses updates."""
    import tempfile

    import torch
    from safetensors.torch import load_file, save_file

    dst = Path(tempfile.mkdtemp(prefix="minilm32-"))
    for f in folder.iterdir():
        if f.name != "model.safetensors":
            (dst / f.name).write_bytes(f.read_bytes())
    weights = {k: v.to(torch.float32) for k, v in load_file(folder / "model.safetensors").items()}
    save_file(weights, dst / "model.safetensors", metadata={"format": "pt"})
    return dst


def fit(
    data: Path,
    out: Path,
    names: list[str] | None,
    max_steps: int | None = None,
    seeds: list[int] | None = None,
    configs: list[str] | None = None,
) -> None:
    """Fine-tune each recipe with each config (and seed); save raw val/test/extra scores."""
    from modlab.training.trainers.transformer import TransformerTrainer

    model_path = _fp32_copy(data / "minilm")

    names = names or sorted(p.name.split(".")[0] for p in data.glob("*.json.gz"))
    for name in names:
        payload = _read(data / f"{name}.json.gz")
        runs = [
            (f"{tag}_s{seed}" if seeds else tag, {**params, "seed": seed})
            for tag, params in CONFIGS.get(name, CONFIGS["default"])
            if not configs or tag in configs
            for seed in seeds or [0]
        ]
        for tag, params in runs:
            start = time.perf_counter()
            Y = np.array(payload["train"]["Y"])
            trainer = TransformerTrainer(
                labels=payload["labels"],
                multi_label=payload["multi_label"],
                model_path=str(model_path),
                max_steps=max_steps,
                **params,
            )
            trainer.fit(payload["train"]["texts"], Y)
            fit_s = time.perf_counter() - start
            arrays = {
                part: trainer.predict_proba(payload[part]["texts"]).astype(np.float32)
                for part in ("val", "test")
            }
            arrays["extra"] = trainer.predict_proba(payload["extra_texts"]).astype(np.float32)
            np.savez_compressed(out / f"{name}__{tag}.npz", **arrays)
            print(f"{name} {tag}: fit {fit_s:.0f} s on {len(Y)} texts", flush=True)


class _Lookup:
    """A fitted-model stand-in that answers predict_proba from precomputed scores."""

    def __init__(self, labels, multi_label, by_text: dict[str, np.ndarray]) -> None:
        self.labels_ = labels
        self.multi_label_ = multi_label
        self.by_text = by_text

    def predict_proba(self, texts):
        return np.stack([self.by_text[t] for t in texts]).astype(np.float64)


def score(data: Path, proba_dir: Path) -> None:
    from modlab.builtin.build import guard_unreliable_thresholds
    from modlab.builtin.evaluation import SEED_ANALYZERS, evaluate_predictor, evaluate_seeds
    from modlab.training.calibration import ProbabilityCalibrator, resolve_method
    from modlab.training.evaluation import evaluate
    from modlab.training.predictor import Predictor
    from modlab.training.thresholds import calibrate_thresholds, threshold_values

    for npz in sorted(proba_dir.glob("*.npz")):
        name, tag = npz.stem.split("__")
        payload = _read(data / f"{name}.json.gz")
        arrays = np.load(npz)
        labels, multi = payload["labels"], payload["multi_label"]
        Y_val = np.array(payload["val"]["Y"])
        method = resolve_method("auto", len(Y_val))
        calibrator = ProbabilityCalibrator(method, multi).fit(arrays["val"], Y_val)
        choices = calibrate_thresholds(
            Y_val, calibrator.transform(arrays["val"]), labels, "f1", None,
            payload["neutral_label"],
        )  # fmt: skip
        by_text = dict(zip(payload["extra_texts"], arrays["extra"], strict=True))
        by_text.update(zip(payload["test"]["texts"], arrays["test"], strict=True))
        predictor = Predictor(
            _Lookup(labels, multi, by_text), calibrator, threshold_values(choices),
            payload["neutral_label"],
        )  # fmt: skip
        guard_unreliable_thresholds(predictor, choices)
        report = evaluate(
            np.array(payload["test"]["Y"]), predictor.predict_proba(payload["test"]["texts"]),
            labels, multi, predictor.thresholds, neutral_label=payload["neutral_label"],
        )  # fmt: skip
        m = report.metrics()
        print(f"\n{name} [{tag}] internal test macro-F1 {m['macro_f1']:.3f} ECE {m['ece']:.3f}")
        for s in evaluate_predictor(predictor, name):
            print(
                f"  {s.eval_set:<20} macro-F1 {s.macro_f1:.3f}  F1 {s.f1:.3f}"
                f"  P {s.precision:.3f} R {s.recall:.3f}  ECE {s.ece:.3f}"
            )
        if name in SEED_ANALYZERS:
            seeds = evaluate_seeds(predictor, name)
            f1s = {k: round(v["f1"], 2) for k, v in seeds["labels"].items()}
            print("  held-out seeds F1:", f1s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("export")
    p.add_argument("names", nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("fit")
    p.add_argument("names", nargs="*")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-steps", type=int, default=None, help="smoke runs only")
    p.add_argument("--seeds", type=int, nargs="*", default=None, help="repeat with these seeds")
    p.add_argument("--configs", nargs="*", default=None, help="only these config tags")
    p = sub.add_parser("score")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--proba", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "export":
        export(args.names, args.out)
    elif args.cmd == "fit":
        fit(args.data, args.out, args.names, args.max_steps, args.seeds, args.configs)
    else:
        score(args.data, args.proba)


if __name__ == "__main__":
    main()
