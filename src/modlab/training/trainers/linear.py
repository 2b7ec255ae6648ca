"""TF-IDF (word + character n-grams) → logistic regression. Seconds on a CPU."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion

from modlab.training.deobfuscate import Deobfuscator
from modlab.training.identity_terms import mask_identity_terms
from modlab.training.trainers.base import BaseTrainer

MODEL_FILE = "linear.joblib"


class LinearTrainer(BaseTrainer):
    """The default for small data: sparse n-gram features and a linear model.

    Single-label data gets one (multinomial/binary) logistic regression; multi-label data
    one binary logistic regression per label (one-vs-rest). ``mask_safe_phrases`` and
    ``mask_identity_terms`` (:mod:`modlab.training.identity_terms`) mask the text the same
    way in training and prediction; ``deobfuscate`` first rewrites "k1ll", "f u c k" and
    "sh*t" to the training vocabulary's words (:mod:`modlab.training.deobfuscate`).
    """

    name = "linear"

    def __init__(
        self,
        labels: list[str] | None = None,
        multi_label: bool | None = None,
        C: float = 10.0,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 1,
        max_features: int | None = 300_000,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        seed: int = 0,
        mask_safe_phrases: bool = False,
        mask_identity_terms: bool = False,
        deobfuscate: bool = False,
    ) -> None:
        self.labels = labels
        self.multi_label = multi_label
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.seed = seed
        self.mask_safe_phrases = mask_safe_phrases
        self.mask_identity_terms = mask_identity_terms
        self.deobfuscate = deobfuscate

    def _vectorizer(self) -> FeatureUnion:
        common = dict(sublinear_tf=True, min_df=self.min_df, lowercase=True, dtype=np.float32)
        return FeatureUnion(
            [
                (
                    "word",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=tuple(self.word_ngrams),
                        token_pattern=r"(?u)\b\w+\b",
                        max_features=self.max_features,
                        **common,
                    ),
                ),
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=tuple(self.char_ngrams),
                        max_features=self.max_features,
                        **common,
                    ),
                ),
            ]
        )

    def _fit(self, texts: list[str], Y: np.ndarray) -> None:
        self.vectorizer_ = self._vectorizer()
        X = self._transform_fit(texts)
        base = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            random_state=self.seed,
            solver="liblinear" if self.multi_label_ or Y.shape[1] == 2 else "lbfgs",
        )
        with warnings.catch_warnings():
            # A label that is always (or never) present in a small fold is fine: it is
            # predicted as a constant.
            warnings.filterwarnings("ignore", message=".*present in all training examples.*")
            warnings.filterwarnings("ignore", category=UserWarning, module="sklearn.multiclass")
            if self.multi_label_:
                self.model_ = OneVsRestClassifier(base).fit(X, Y)
            else:
                y = Y.argmax(axis=1)
                if len(np.unique(y)) < 2:
                    raise ValueError("training data has a single class; need at least two")
                self.model_ = base.fit(X, y)

    def _transform_fit(self, texts: list[str]) -> sparse.csr_matrix:
        """Fit the vectorizer on ``texts`` and return their features."""
        self.deobfuscator_ = Deobfuscator.fit(texts) if self.deobfuscate else None
        texts = self._deobfuscated(texts)
        masked = self._masked(texts)
        self._fit_extra(masked)
        return self._assemble([self.vectorizer_.fit_transform(masked)], texts, masked)

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The TF-IDF features (used for diversity in active learning)."""
        self._check_fitted()
        return self._features(self._texts(texts))

    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        """Features of texts already prepared by ``_texts``."""
        texts = self._deobfuscated(texts)
        masked = self._masked(texts)
        return self._assemble(self._tfidf_blocks(masked), texts, masked)

    def _masked(self, texts: list[str]) -> list[str]:
        """``texts`` without the names of protected groups (``mask_identity_terms``)."""
        if not getattr(self, "mask_identity_terms", False):
            return texts
        return [mask_identity_terms(t) for t in texts]

    def _assemble(
        self, blocks: list[sparse.spmatrix], texts: list[str], masked: list[str]
    ) -> sparse.csr_matrix:
        """The n-gram ``blocks`` and the :meth:`_extra_blocks`, as one CSR matrix (one copy)."""
        blocks = [*blocks, *self._extra_blocks(texts, masked)]
        return sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()

    def _fit_extra(self, masked: list[str]) -> None:
        """Fit what :meth:`_extra_blocks` needs (nothing here; see the hybrid trainer)."""

    def _extra_blocks(self, texts: list[str], masked: list[str]) -> list[sparse.spmatrix]:
        """With ``mask_identity_terms``, one 0/1 column: names a protected group.

        What the masked names leave of them: the same for every group, so the model can
        learn that hate is about a group without learning any group's name as hate. Masking
        changes exactly the texts that name one, so the column is read off the masking.
        """
        if not getattr(self, "mask_identity_terms", False):
            return []
        named = np.fromiter(map(str.__ne__, masked, texts), dtype=np.float32, count=len(texts))
        return [sparse.csr_matrix(named[:, None])]

    def _tfidf_blocks(self, texts: list[str]) -> list[sparse.spmatrix]:
        union = self.vectorizer_
        parts = union.transformer_list
        if union.transformer_weights is None and all(hasattr(t, "transform") for _, t in parts):
            # What FeatureUnion.transform computes, without its per-call joblib/validation
            # overhead (~2 ms of a ~4 ms single-text prediction on 2 cores). TF-IDF of text
            # is always finite and the internal calls' parameters are constants, so sklearn's
            # finiteness and parameter checks are skipped too.
            with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
                return [t.transform(texts) for _, t in parts]
        return [union.transform(texts)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        X = self.features(texts)
        n_labels = len(self.labels_)
        if self.multi_label_:
            return ovr_proba(self, self.model_, X)
        proba = self.model_.predict_proba(X)
        out = np.zeros((X.shape[0], n_labels), dtype=np.float64)
        out[:, self.model_.classes_] = proba
        return out

    def _save(self, path: Path) -> None:
        state = {
            "vectorizer": self.vectorizer_,
            "model": self.model_,
            "deobfuscator": getattr(self, "deobfuscator_", None),
        }
        joblib.dump(state, path / MODEL_FILE)

    def _load(self, path: Path) -> None:
        state = joblib.load(path / MODEL_FILE)
        self.vectorizer_ = state["vectorizer"]
        self.model_ = state["model"]
        self.deobfuscator_ = state.get("deobfuscator")


# (coef.T, intercept, their label columns, the constant labels' row)
StackedOvr = tuple["np.ndarray | None", np.ndarray, np.ndarray, np.ndarray]


def stack_ovr_logistic(model: Any) -> StackedOvr | None:
    """A multi-label one-vs-rest of binary logistic regressions as one coefficient matrix, or
    None for any other model; labels without both classes in training are constants."""
    estimators = getattr(model, "estimators_", None)
    linear = [
        i
        for i, e in enumerate(estimators or ())
        if isinstance(e, LogisticRegression) and e.coef_.shape[0] == 1
    ]
    constant = [
        i
        for i, e in enumerate(estimators or ())
        if type(e).__name__ == "_ConstantPredictor" and np.size(e.y_) == 1
    ]
    if not (
        isinstance(model, OneVsRestClassifier)
        and model.multilabel_  # (else sklearn renormalises the rows)
        and len(estimators) > 1  # (else sklearn returns [1 - p, p])
        and len(linear) + len(constant) == len(estimators)
    ):
        return None
    row = np.zeros(len(estimators), dtype=np.float64)
    for i in constant:  # = _ConstantPredictor.predict_proba(X)[:, 1]
        row[i] = float(np.ravel(estimators[i].y_)[0])
    coef = np.vstack([estimators[i].coef_ for i in linear]) if linear else None
    return (
        np.ascontiguousarray(coef.T) if coef is not None else None,
        np.concatenate([np.ravel(estimators[i].intercept_) for i in linear] or [[]]),
        np.asarray(linear, dtype=np.intp),
        row,
    )


def ovr_proba(owner: Any, model: Any, X: Any) -> np.ndarray:
    """``model.predict_proba(X)`` of a multi-label model; a one-vs-rest of binary logistic
    regressions answers as one product — each binary model's expit(X @ w + b) — instead of
    one validated sklearn call per label (~0.1 ms each). The stacked form is cached on
    ``owner`` (the trainer) for as long as it holds the same ``model``."""
    cached = getattr(owner, "_stacked_ovr", None)
    if cached is None or cached[0] is not model:
        cached = owner._stacked_ovr = (model, stack_ovr_logistic(model))
    if cached[1] is None:
        return np.asarray(model.predict_proba(X), dtype=np.float64)
    coef_t, intercept, columns, row = cached[1]
    out = np.repeat(row[None, :], X.shape[0], axis=0)
    if coef_t is not None:
        out[:, columns] = expit(X @ coef_t + intercept)
    return out
