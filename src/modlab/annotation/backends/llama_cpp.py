"""Auto-labelling with a local instruct model through llama.cpp (the optional ``llm`` extra).

The label is not sampled: after the prompt the model's next-token distribution is read and each
label's token sequence is scored, so the answer is always one of the labels and the score is the
model's probability of it renormalised over the label set (the UNSAFE-vs-SAFE first-token mass
the findings measured, generalised to any number of labels and multi-token names). Multi-label
schemas are decoded greedily the same way: best label, then ", <another label>" vs. end, until
the end wins or nothing is left; a neutral/``NONE`` answer means no label applies.

The system prompt depends only on the schema, so its tokens are identical across texts and the
KV cache keeps them: only the text's tokens are evaluated per example (~0.8 s/example for short
texts with Qwen2.5-Coder-1.5B Q4_K_M on 2 cores).

Install (never needed by CI): ``make llm`` / ``scripts/install_llm.sh``.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from modlab.annotation.autolabel import AutoLabel, AutoLabeler, Schema
from modlab.annotation.backends._prompt import (
    MAX_TEXT_CHARS,
    none_answer,
    system_prompt,
    user_prompt,
)

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = (
    "the llama.cpp backend needs the optional 'llm' extra: run `make llm` "
    "(scripts/install_llm.sh), which builds llama-cpp-python==0.3.36 with "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
    '-DGGML_BMI2=ON -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 (a plain -march=native '
    "build segfaults on this machine kind) and fetches the GGUF model"
)


class LlamaCppNotInstalled(ImportError):
    """llama-cpp-python is not installed (it is an optional extra)."""


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise LlamaCppNotInstalled(INSTALL_HINT) from exc
    return llama_cpp


def model_candidates() -> list[Path]:
    """Where the GGUF model is looked for, in order."""
    from modlab.settings import REPO_ROOT, get_settings

    settings = get_settings()
    out: list[Path] = []
    env = os.environ.get("MODLAB_LLM_GGUF")
    if env:
        out.append(Path(env).expanduser())
    configured = getattr(settings, "llm_model_path", None)
    if configured:
        out.append(Path(configured).expanduser())
    out.append(Path(settings.data_dir) / "llm" / MODEL_FILE)
    out.append(REPO_ROOT / "var" / "llm" / MODEL_FILE)
    return out


def default_model_path() -> Path:
    for path in model_candidates():
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in model_candidates())
    raise FileNotFoundError(
        f"no GGUF model found (tried {tried}); run scripts/install_llm.sh or set MODLAB_LLM_GGUF"
    )


def llama_cpp_status() -> str:
    """``"ok"`` when the backend can run here, else why not."""
    try:
        _import_llama_cpp()
    except LlamaCppNotInstalled:
        return "llama-cpp-python not installed (make llm)"
    try:
        default_model_path()
    except FileNotFoundError:
        return "no GGUF model (make llm or MODLAB_LLM_GGUF)"
    return "ok"


_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()
# One llama.cpp context is shared by every backend on the same model: evaluate one at a time.
_EVAL_LOCK = threading.RLock()


def load_model(path: str | Path, *, n_ctx: int = 2048, n_threads: int | None = None) -> Any:
    """A cached ``llama_cpp.Llama`` for the GGUF file (one per path/context/threads)."""
    llama_cpp = _import_llama_cpp()
    threads = int(n_threads or os.cpu_count() or 1)
    key = (str(Path(path).resolve()), int(n_ctx), threads)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = llama_cpp.Llama(
                model_path=key[0],
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=512,
                logits_all=False,
                seed=0,
                verbose=False,
            )
        return _MODELS[key]


def _chatml(system: str, user: str) -> str:
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    )


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    m = x.max()
    return x - (m + math.log(np.exp(x - m).sum()))


class LlamaCppBackend(AutoLabeler):
    """Labels with a local GGUF instruct model, constrained to the label set by logit scoring."""

    name = "llama_cpp"

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        rationale: bool = False,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        max_text_chars: int = MAX_TEXT_CHARS,
        max_rationale_tokens: int = 48,
    ) -> None:
        super().__init__()
        self._llama_cpp = _import_llama_cpp()  # fail fast, with the install hint
        self.model_path = Path(model_path) if model_path else default_model_path()
        if not self.model_path.is_file():
            raise FileNotFoundError(f"GGUF model not found: {self.model_path}")
        self.rationale = rationale
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_text_chars = max_text_chars
        self.max_rationale_tokens = max_rationale_tokens
        self._llm: Any = None

    @property
    def agent(self) -> str:
        return f"llama_cpp:{self.model_path.stem}"

    @property
    def llm(self) -> Any:
        if self._llm is None:
            self._llm = load_model(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)
        return self._llm

    # -- low level: prompt, cached evaluation, sequence scoring ---------------------------------

    def _format(self, system: str, user: str) -> str:
        template = (getattr(self.llm, "metadata", None) or {}).get("tokenizer.chat_template")
        if template:
            try:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                fmt = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
                return fmt(
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ]
                ).prompt
            except Exception:  # noqa: BLE001 - odd templates: fall back to ChatML
                pass
        return _chatml(system, user)

    def _tokens(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _eval_to(self, tokens: list[int]) -> np.ndarray:
        """Evaluate ``tokens`` reusing the cached common prefix; log-probs of the next token."""
        llm = self.llm
        cached = llm.input_ids[: llm.n_tokens]
        keep = 0
        limit = min(len(cached), len(tokens) - 1)  # always evaluate >= 1 token for fresh logits
        while keep < limit and cached[keep] == tokens[keep]:
            keep += 1
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
        return _log_softmax(logits)

    def _stop_ids(self) -> set[int]:
        llm = self.llm
        ids = {llm.token_eos()}
        for text in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>"):
            toks = self._tokens(text)
            if len(toks) == 1:
                ids.add(toks[0])
        return ids

    def _score_sequences(
        self, prefix: list[int], seqs: list[list[int]], *, terminated: bool
    ) -> list[float]:
        """log P(seq | prefix) for each token sequence (plus an end marker if ``terminated``)."""
        memo: dict[tuple[int, ...], np.ndarray] = {(): self._eval_to(prefix)}
        stop = self._stop_ids() | set(self._newline_ids())

        def dist(path: tuple[int, ...]) -> np.ndarray:
            if path not in memo:
                memo[path] = self._eval_to(prefix + list(path))
            return memo[path]

        out = []
        for seq in seqs:
            total = 0.0
            for j, tok in enumerate(seq):
                total += float(dist(tuple(seq[:j]))[tok])
            if terminated:
                end = dist(tuple(seq))
                total += float(np.logaddexp.reduce([end[t] for t in stop]))
            out.append(total)
        return out

    def _newline_ids(self) -> list[int]:
        toks = self._tokens("\n")
        return toks[:1]

    def _generate(self, prefix: list[int], max_tokens: int) -> str:
        """Greedy continuation until a newline / end of turn (for rationales)."""
        stop = self._stop_ids()
        out: list[int] = []
        for _ in range(max_tokens):
            logp = self._eval_to(prefix + out)
            tok = int(np.argmax(logp))
            if tok in stop:
                break
            piece = self.llm.detokenize([tok]).decode("utf-8", errors="ignore")
            if "\n" in piece:
                break
            out.append(tok)
        return self.llm.detokenize(out).decode("utf-8", errors="ignore").strip()

    # -- labelling ------------------------------------------------------------------------------

    def _prompt_tokens(self, system: str, text: str) -> list[int]:
        max_chars = self.max_text_chars
        while True:
            tokens = self._tokens(self._format(system, user_prompt(text, max_chars=max_chars)))
            budget = self.n_ctx - 64 - (self.max_rationale_tokens if self.rationale else 0)
            if len(tokens) <= budget or max_chars < 50:
                return tokens[:budget]
            max_chars //= 2

    def _label(self, texts: list[str], schema: Schema, bar: Any) -> list[AutoLabel]:
        system = system_prompt(schema, rationale=self.rationale)
        results = []
        with _EVAL_LOCK:
            for text in texts:
                results.append(self._label_text(text, schema, system))
                bar.update(1)
        return results

    def _label_text(self, text: str, schema: Schema, system: str) -> AutoLabel:
        prefix = self._prompt_tokens(system, text)
        if schema.multi_label:
            return self._label_multi(prefix, schema)
        names = schema.names
        seqs = [self._tokens(n) for n in names]
        # An end marker is only needed when one label's tokens are a prefix of another's.
        ambiguous = any(
            a != b and len(a) <= len(b) and b[: len(a)] == a for a in seqs for b in seqs
        )
        logps = np.array(self._score_sequences(prefix, seqs, terminated=ambiguous))
        probs = np.exp(logps - np.logaddexp.reduce(logps))
        best = int(np.argmax(probs))
        rationale = None
        if self.rationale:
            rationale = (
                self._generate(prefix + seqs[best] + self._newline_ids(), self.max_rationale_tokens)
                or None
            )
        return AutoLabel(
            label=names[best],
            labels=[names[best]],
            score=float(probs[best]),
            rationale=rationale,
            agent=self.agent,
            scores={n: float(p) for n, p in zip(names, probs, strict=True)},
        )

    def _label_multi(self, prefix: list[int], schema: Schema) -> AutoLabel:
        none = none_answer(schema)
        remaining = list(schema.candidates)
        chosen: list[str] = []
        scores: dict[str, float] = {}
        context = list(prefix)
        none_p = 0.0
        while remaining:
            if not chosen:
                options = [*remaining, none]
                seqs = [self._tokens(o) for o in options]
            else:
                options = [*remaining, None]  # None = end of the list
                seqs = [self._tokens(", " + o) for o in remaining] + [[]]
            logps = np.array(self._score_sequences(context, seqs, terminated=True))
            probs = np.exp(logps - np.logaddexp.reduce(logps))
            best = int(np.argmax(probs))
            if not chosen:
                none_p = float(probs[-1])
            pick = options[best]
            if pick is None or pick == none:
                break
            chosen.append(pick)
            scores[pick] = float(probs[best])
            remaining.remove(pick)
            context = context + seqs[best]
        rationale = None
        if self.rationale:
            answer = ", ".join(chosen) if chosen else none
            rationale = (
                self._generate(
                    prefix + self._tokens(answer) + self._newline_ids(), self.max_rationale_tokens
                )
                or None
            )
        score = float(np.mean([scores[c] for c in chosen])) if chosen else none_p
        return AutoLabel(
            label=chosen[0] if chosen else schema.neutral,
            labels=chosen,
            score=score,
            rationale=rationale,
            agent=self.agent,
            scores=scores,
        )
