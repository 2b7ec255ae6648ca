"""Zero-shot similarity labelling: text embeddings vs. one prototype per label.

A label's prototype is the normalised mean of (a) the embeddings of its short phrasings — the
``phrase`` if set, else the humanised name, plus the description when it is only a few words —
and (b) the mean embedding of its examples, weighted by ``example_weight`` when there are any.
Long descriptions are *not* embedded: measured here they drag an easy 2-label test to 45–50 %
where short phrasings or a few examples give 90–95 %.

Single-label: the label with the highest cosine similarity; its score is the softmax of the
similarities at ``temperature``. Multi-label: each (non-neutral) label applies when its
similarity reaches its threshold (``thresholds``, or :meth:`SimilarityBackend.fit_thresholds`
from a few labelled texts); the per-label score is a sigmoid around that threshold.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modlab.annotation.autolabel import AutoLabel, AutoLabeler, Schema, as_schema, humanize
from modlab.annotation.embeddings import DEFAULT_ENCODER, encode


@dataclass(frozen=True)
class Prototypes:
    """The label prototypes built for one schema."""

    names: list[str]
    vectors: np.ndarray  # (n_labels, dim), L2-normalised
    phrases: dict[str, list[str]]
    examples: dict[str, list[str]]
    example_vectors: dict[str, np.ndarray]


def label_phrases(label: Any, *, max_description_words: int = 8) -> list[str]:
    """Short phrasings of a label for its prototype (never a long description)."""
    phrase = getattr(label, "phrase", None)
    phrases = [phrase] if phrase else [humanize(label.name)]
    desc = (getattr(label, "description", "") or "").strip().rstrip(".")
    if desc and len(desc.split()) <= max_description_words and desc.lower() not in phrases:
        phrases.append(desc)
    return phrases


class SimilarityBackend(AutoLabeler):
    """Sentence-embedding similarity to label prototypes (fast; no LLM)."""

    name = "similarity"

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        example_weight: float = 0.75,
        temperature: float = 0.05,
        thresholds: float | Mapping[str, float] | None = None,
        default_threshold: float = 0.35,
        max_description_words: int = 8,
        batch_size: int = 64,
        cache_size: int = 100_000,
    ) -> None:
        super().__init__()
        if not 0.0 <= example_weight <= 1.0:
            raise ValueError("example_weight must be in [0, 1]")
        self.model = model
        self.example_weight = example_weight
        self.temperature = temperature
        self.default_threshold = default_threshold
        self.thresholds: dict[str, float] = {}
        if isinstance(thresholds, int | float):
            self.default_threshold = float(thresholds)
        elif thresholds:
            self.thresholds = {k: float(v) for k, v in thresholds.items()}
        self.max_description_words = max_description_words
        self.batch_size = batch_size
        self._cache: dict[Any, Prototypes] = {}
        # Text embeddings are reused across reruns (the "tweak descriptions -> rerun" loop only
        # re-embeds the prototypes).
        self.cache_size = cache_size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def agent(self) -> str:
        model = DEFAULT_ENCODER if self.model is None else os.path.basename(str(self.model))
        return f"similarity:{model}"

    # -- prototypes -----------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        if self.cache_size <= 0 or not texts:
            return encode(texts, model=self.model, batch_size=self.batch_size)
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vecs = encode(missing, model=self.model, batch_size=self.batch_size)
            for text, vec in zip(missing, vecs, strict=True):
                self._vectors[text] = vec
        out = np.stack([self._vectors[t] for t in texts])
        for t in texts:
            self._vectors.move_to_end(t)
        while len(self._vectors) > self.cache_size:
            self._vectors.popitem(last=False)
        return out.astype(np.float32, copy=False)

    def prototypes(self, schema: Any) -> Prototypes:
        """The label prototypes for ``schema`` (cached per schema content)."""
        spec = as_schema(schema)
        key = (
            spec.names,
            tuple((lab.phrase, lab.description, lab.examples) for lab in spec.labels),
            self.example_weight,
            self.max_description_words,
        )
        key = repr(key)
        if key in self._cache:
            return self._cache[key]
        phrases = {
            lab.name: label_phrases(lab, max_description_words=self.max_description_words)
            for lab in spec.labels
        }
        examples = {
            lab.name: [str(e) for e in lab.examples if str(e).strip()] for lab in spec.labels
        }
        flat = [p for n in spec.names for p in phrases[n]] + [
            e for n in spec.names for e in examples[n]
        ]
        vecs = self._encode(flat)
        pos = 0
        phrase_vecs: dict[str, np.ndarray] = {}
        for n in spec.names:
            phrase_vecs[n] = vecs[pos : pos + len(phrases[n])]
            pos += len(phrases[n])
        example_vecs: dict[str, np.ndarray] = {}
        for n in spec.names:
            example_vecs[n] = vecs[pos : pos + len(examples[n])]
            pos += len(examples[n])
        rows = []
        for n in spec.names:
            proto = phrase_vecs[n].mean(0)
            if len(example_vecs[n]):
                ex = example_vecs[n].mean(0)
                proto = (1 - self.example_weight) * proto / max(np.linalg.norm(proto), 1e-12) + (
                    self.example_weight * ex / max(np.linalg.norm(ex), 1e-12)
                )
            rows.append(proto / max(np.linalg.norm(proto), 1e-12))
        result = Prototypes(
            names=list(spec.names),
            vectors=np.vstack(rows).astype(np.float32),
            phrases=phrases,
            examples=examples,
            example_vectors=example_vecs,
        )
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[key] = result
        return result

    def similarities(
        self, texts: Sequence[str], schema: Any, *, embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """Cosine similarity of each text to each label prototype, ``(n_texts, n_labels)``."""
        protos = self.prototypes(schema)
        emb = self._encode(texts) if embeddings is None else embeddings
        return emb @ protos.vectors.T

    def similarity_scores(self, texts: Sequence[str], schema: Any) -> list[dict[str, float]]:
        """Per-text ``{label: cosine similarity}`` — the score shown to annotators."""
        protos = self.prototypes(schema)
        sims = self.similarities(texts, schema)
        return [
            {n: round(float(s), 4) for n, s in zip(protos.names, row, strict=True)} for row in sims
        ]

    # -- multi-label thresholds -----------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget cached text embeddings and prototypes."""
        self._vectors.clear()
        self._cache.clear()

    def threshold(self, label: str) -> float:
        return self.thresholds.get(label, self.default_threshold)

    def fit_thresholds(
        self, texts: Sequence[str], gold: Sequence[Sequence[str]], schema: Any
    ) -> dict[str, float]:
        """Per-label thresholds maximising each label's F1 on labelled texts (multi-label)."""
        spec = as_schema(schema)
        sims = self.similarities(texts, spec)
        fitted: dict[str, float] = {}
        for j, name in enumerate(spec.names):
            if name == spec.neutral:
                continue
            y = np.array([name in set(g or ()) for g in gold])
            if y.sum() == 0:
                continue
            values = np.unique(sims[:, j])  # ascending
            best_f1, best_k = -1.0, 0
            for k, t in enumerate(values):
                pred = sims[:, j] >= t
                tp = float((pred & y).sum())
                f1 = 2 * tp / (pred.sum() + y.sum())
                if f1 > best_f1:
                    best_f1, best_k = f1, k
            # Halfway to the next lower similarity: the margin generalises better than the edge.
            low = values[best_k - 1] if best_k > 0 else values[best_k] - 0.02
            fitted[name] = float((values[best_k] + low) / 2)
        self.thresholds.update(fitted)
        return fitted

    # -- labelling ------------------------------------------------------------------------------

    def _label(self, texts: list[str], schema: Schema, bar: Any) -> list[AutoLabel]:
        if not texts:
            return []
        protos = self.prototypes(schema)
        out: list[AutoLabel] = []
        step = max(self.batch_size * 4, 1)
        for start in range(0, len(texts), step):
            chunk = texts[start : start + step]
            emb = self._encode(chunk)
            sims = emb @ protos.vectors.T
            for i, row in enumerate(sims):
                if schema.multi_label:
                    out.append(self._multi(row, schema, protos, emb[i]))
                else:
                    out.append(self._single(row, protos, emb[i]))
            bar.update(len(chunk))
        return out

    def _nearest_example(self, name: str, protos: Prototypes, vec: np.ndarray) -> str | None:
        ex = protos.example_vectors.get(name)
        if ex is None or not len(ex):
            return None
        k = int(np.argmax(ex @ vec))
        text = protos.examples[name][k]
        return text if len(text) <= 60 else text[:59] + "…"

    def _single(self, row: np.ndarray, protos: Prototypes, vec: np.ndarray) -> AutoLabel:
        z = (row - row.max()) / self.temperature
        probs = np.exp(z) / np.exp(z).sum()
        order = np.argsort(-row)
        top = protos.names[order[0]]
        parts = [f"closest to {top} (cos {row[order[0]]:.2f})"]
        if len(order) > 1:
            parts.append(f"next {protos.names[order[1]]} ({row[order[1]]:.2f})")
        near = self._nearest_example(top, protos, vec)
        if near:
            parts.append(f'nearest example "{near}"')
        return AutoLabel(
            label=top,
            labels=[top],
            score=float(probs[order[0]]),
            rationale="; ".join(parts),
            agent=self.agent,
            scores={n: float(p) for n, p in zip(protos.names, probs, strict=True)},
        )

    def _multi(
        self, row: np.ndarray, schema: Schema, protos: Prototypes, vec: np.ndarray
    ) -> AutoLabel:
        scores: dict[str, float] = {}
        chosen: list[tuple[float, str]] = []
        for name, sim in zip(protos.names, row, strict=True):
            if name == schema.neutral:
                continue
            thr = self.threshold(name)
            p = float(1.0 / (1.0 + np.exp(-(sim - thr) / self.temperature)))
            scores[name] = p
            if sim >= thr:
                chosen.append((p, name))
        chosen.sort(reverse=True)
        labels = [n for _, n in chosen]
        if labels:
            score = float(np.mean([p for p, _ in chosen]))
            rationale = "; ".join(
                f"{n} cos {row[protos.names.index(n)]:.2f} ≥ {self.threshold(n):.2f}"
                for n in labels
            )
            label: str | None = labels[0]
        else:
            score = 1.0 - max(scores.values(), default=0.0)
            best = max(scores, key=scores.get) if scores else None
            rationale = (
                f"no label reaches its threshold (best {best} cos "
                f"{row[protos.names.index(best)]:.2f} < {self.threshold(best):.2f})"
                if best
                else "no labels"
            )
            label = schema.neutral
        return AutoLabel(
            label=label,
            labels=labels,
            score=score,
            rationale=rationale,
            agent=self.agent,
            scores=scores,
        )
