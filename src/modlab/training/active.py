"""Active learning (what to label next) and label-noise detection (what to re-check).

Label noise uses *confident learning* (Northcutt, Jiang & Chuang 2021): out-of-sample
probabilities from cross-validation, a per-label confidence threshold (the mean predicted
probability of that label over examples given that label), and an example is suspect when
another label is confidently predicted while its given label is not. We implement the
core of it with scikit-learn's ``cross_val_predict`` instead of depending on the
``cleanlab`` package: the part we need is ~30 lines, ``cleanlab`` is not in our pinned
stack (it would add a dependency and its own version constraints for the service image),
and doing it here lets the same trainers (and their multi-label handling) produce the
out-of-fold probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict

from modlab.training.labels import decode_labels, encode_labels, targets_for_fit
from modlab.training.splits import StratifiedKFoldMultiLabel

METHODS = ("margin", "entropy", "least_confident")


def uncertainty(proba: np.ndarray, multi_label: bool = False, method: str = "margin") -> np.ndarray:
    """Per-row uncertainty in [0, 1]; higher = the model is less sure.

    * single-label ``margin``: 1 − (top score − second score); ``entropy``: Shannon
      entropy / log(n_labels); ``least_confident``: 1 − top score.
    * multi-label: each label is its own binary decision; ``margin`` takes the label
      closest to 0.5 (1 − |2p − 1|), ``entropy`` the largest binary entropy,
      ``least_confident`` the same as margin.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    p = np.clip(np.atleast_2d(np.asarray(proba, dtype=np.float64)), 0.0, 1.0)
    if multi_label:
        if method == "entropy":
            q = np.clip(p, 1e-12, 1 - 1e-12)
            h = -(q * np.log2(q) + (1 - q) * np.log2(1 - q))
            return h.max(axis=1)
        return (1 - np.abs(2 * p - 1)).max(axis=1)
    if method == "least_confident":
        return 1 - p.max(axis=1)
    if method == "entropy":
        q = np.clip(p, 1e-12, 1.0)
        return -(q * np.log(q)).sum(axis=1) / np.log(p.shape[1])
    top2 = -np.sort(-p, axis=1)[:, :2]
    return 1 - (top2[:, 0] - top2[:, 1])


def _unit_rows(features: Any) -> Any:
    if sparse.issparse(features):
        norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1))).ravel()
        norms[norms == 0] = 1
        return sparse.diags(1 / norms) @ features
    f = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return f / norms


def rank_for_labelling(
    proba: np.ndarray,
    k: int | None = None,
    multi_label: bool = False,
    method: str = "margin",
    features: Any = None,
    tie_tolerance: float = 0.02,
) -> pd.DataFrame:
    """Order unlabelled examples by how much labelling them should help.

    Primary key: uncertainty. Among examples within ``tie_tolerance`` of the most
    uncertain one left, pick the one least similar (cosine) to those already picked, so a
    batch is not 20 near-copies of one confusing message. ``features`` (e.g. TF-IDF or
    embeddings: ``trainer.features(texts)``) default to the probability vectors.

    Returns ``row`` (index into ``proba``), ``uncertainty`` and ``rank`` (0 = first).
    """
    u = uncertainty(proba, multi_label, method)
    n = len(u)
    k = n if k is None else min(k, n)
    feats = _unit_rows(features if features is not None else np.asarray(proba))
    left = np.ones(n, dtype=bool)
    max_sim = np.full(n, -np.inf)  # similarity to the closest already-picked example
    picked: list[int] = []
    for _ in range(k):
        best_u = u[left].max()
        cands = np.flatnonzero(left & (u >= best_u - tie_tolerance))
        if picked and len(cands) > 1:
            # Least similar to the batch so far; then the more uncertain; then lower index.
            order = np.lexsort((cands, -u[cands], max_sim[cands]))
            i = int(cands[order[0]])
        else:
            i = int(cands[np.argmax(u[cands])])
        picked.append(i)
        left[i] = False
        sims = feats @ feats[i].T
        sims = np.asarray(sims.todense() if sparse.issparse(sims) else sims).ravel()
        max_sim = np.maximum(max_sim, sims)
    return pd.DataFrame({"row": picked, "uncertainty": u[picked], "rank": range(len(picked))})


def suggest_examples(
    model: Any,
    texts: Sequence[str],
    k: int = 20,
    method: str = "margin",
    use_features: bool = True,
) -> pd.DataFrame:
    """:func:`rank_for_labelling` for a fitted trainer/predictor on unlabelled ``texts``."""
    texts = list(texts)
    proba = model.predict_proba(texts)
    feats = None
    inner = getattr(model, "model", model)
    if use_features and hasattr(inner, "features"):
        feats = inner.features(texts)
    multi = bool(getattr(model, "multi_label_", False))
    ranked = rank_for_labelling(proba, k, multi, method, feats)
    ranked.insert(1, "text", [texts[i] for i in ranked["row"]])
    labels = list(model.labels_)
    for j, name in enumerate(labels):
        ranked[f"score_{name}"] = proba[ranked["row"].to_numpy(), j].round(4)
    return ranked


def out_of_fold_proba(
    trainer: Any,
    texts: Sequence[str],
    Y: np.ndarray,
    multi_label: bool,
    cv: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Cross-validated (out-of-fold) probabilities from an unfitted trainer."""
    y = targets_for_fit(Y, multi_label)
    splitter = StratifiedKFoldMultiLabel(cv, seed, texts=list(texts))
    return cross_val_predict(trainer, list(texts), y, cv=splitter, method="predict_proba")


def find_label_issues(
    texts: Sequence[str],
    labels: Sequence[Any] | np.ndarray,
    label_names: Sequence[str] | None = None,
    multi_label: bool = False,
    trainer: Any = None,
    cv: int = 5,
    seed: int = 0,
    proba: np.ndarray | None = None,
) -> pd.DataFrame:
    """Examples whose given label the cross-validated model confidently disagrees with.

    Returns one row per suspect, most suspicious first: ``row``, ``text``, ``given``,
    ``suggested``, ``self_confidence`` (out-of-fold probability of the given label, or of
    the given 0/1 value per label for multi-label) and ``disagreement``. Pass ``proba``
    to reuse out-of-fold probabilities you already have.
    """
    from modlab.training.trainers import make_trainer

    texts = list(texts)
    Y, names, mask = encode_labels(labels, label_names, multi_label)
    rows = np.flatnonzero(mask)
    Y = Y[rows]
    if proba is None:
        if trainer is None:
            est = make_trainer("linear", labels=names, multi_label=multi_label, seed=seed)
        else:  # an unfitted copy: the caller's trainer is left untouched
            est = clone(trainer).set_params(labels=names, multi_label=multi_label)
        proba = out_of_fold_proba(est, [texts[i] for i in rows], Y, multi_label, cv, seed)
    proba = np.asarray(proba, dtype=np.float64)

    records = []
    if multi_label:
        for j, name in enumerate(names):
            p, y = proba[:, j], Y[:, j]
            if y.min() == y.max():
                continue
            t_pos = p[y == 1].mean()  # typical score when the label is given
            t_neg = (1 - p[y == 0]).mean()  # typical confidence in "not this label"
            for i in np.flatnonzero((y == 0) & (p >= t_pos)):
                records.append((i, name, "add", 1 - p[i], p[i]))
            for i in np.flatnonzero((y == 1) & (1 - p >= t_neg)):
                records.append((i, name, "remove", p[i], 1 - p[i]))
        frame = pd.DataFrame(
            records, columns=["pos", "label", "action", "self_confidence", "disagreement"]
        )
        given = decode_labels(Y, names, True)
        frame["given"] = [given[i] for i in frame["pos"]]
        frame["suggested"] = frame["action"] + " " + frame["label"]
    else:
        given_idx = Y.argmax(axis=1)
        # Per-label threshold: mean probability of label j among examples given label j.
        t = np.array(
            [
                proba[given_idx == j, j].mean() if (given_idx == j).any() else 1.0
                for j in range(len(names))
            ]
        )
        confident = proba >= t  # which labels each example confidently belongs to
        for i in range(len(Y)):
            g = given_idx[i]
            others = np.flatnonzero(confident[i])
            others = others[others != g]
            if len(others) == 0 or proba[i, g] >= t[g]:
                continue
            s = int(others[np.argmax(proba[i, others])])
            records.append((i, names[g], names[s], proba[i, g], proba[i, s] - proba[i, g]))
        frame = pd.DataFrame(
            records, columns=["pos", "given", "suggested", "self_confidence", "disagreement"]
        )
    frame["row"] = rows[frame["pos"].to_numpy(dtype=int)] if len(frame) else []
    frame["text"] = [texts[r] for r in frame["row"]]
    frame = frame.sort_values(["self_confidence", "disagreement"], ascending=[True, False])
    cols = ["row", "text", "given", "suggested", "self_confidence", "disagreement"]
    return frame[cols].reset_index(drop=True)
