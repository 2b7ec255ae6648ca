"""The one interface every trainer implements (scikit-learn conventions).

* The constructor only stores hyper-parameters (so ``sklearn.base.clone`` and
  ``cross_val_predict`` work); nothing is loaded or computed there.
* ``fit(texts, y)`` accepts label names, label indices, lists of names (multi-label) or a
  0/1 matrix; see :mod:`modlab.training.labels`.
* ``predict_proba(texts)`` returns an ``(n, n_labels)`` float array whose columns follow
  ``labels_``. Single-label rows sum to 1; multi-label columns are independent.
* ``save(dir)`` writes ``trainer.json`` (which trainer, labels, hyper-parameters) plus the
  trainer's own files; :func:`load_trainer` reads any of them back.
"""

from __future__ import annotations

import json
import platform
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from modlab.training.labels import encode_labels

META_FILE = "trainer.json"
TRAINERS: dict[str, type[BaseTrainer]] = {}


class BaseTrainer(ClassifierMixin, BaseEstimator):
    """Base class: label handling, ``predict``, ``save``/``load`` bookkeeping."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            TRAINERS[cls.name] = cls

    # -- labels --------------------------------------------------------------------------
    def _encode_targets(self, y: Any) -> np.ndarray:
        """Set ``labels_``/``multi_label_``/``classes_`` and return the indicator matrix."""
        labels = getattr(self, "labels", None)
        multi = getattr(self, "multi_label", None)
        if isinstance(y, np.ndarray) and y.ndim == 2:
            multi = True if multi is None else multi
            Y, names, _ = encode_labels(y, labels, multi_label=True)
        else:
            values = list(y)
            if multi is None:
                multi = any(isinstance(v, (list, tuple, set, frozenset)) for v in values)
            if labels is None and values and all(isinstance(v, (int, np.integer)) for v in values):
                labels = [str(i) for i in range(int(max(values)) + 1)]
            Y, names, mask = encode_labels(values, labels, multi_label=multi)
            if not mask.all():
                raise ValueError("fit() got unannotated examples (None labels); drop them first")
        self.labels_ = list(names)
        self.multi_label_ = bool(multi)
        self.classes_ = np.arange(len(names))
        if not self.multi_label_ and len(names) < 2:
            raise ValueError("a single-label model needs at least two labels")
        return Y

    def _texts(self, texts: Sequence[str]) -> list[str]:
        """The input texts as strings; a trainer with ``mask_safe_phrases=True`` first drops
        the listed word from names such as "Dick Tracy" ("Tracy"; see
        :func:`modlab.detectors.profanity.mask_safe_phrases`), in training and prediction."""
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        out = ["" if t is None else str(t) for t in texts]
        if not getattr(self, "mask_safe_phrases", False):
            return out
        from modlab.detectors.profanity import mask_safe_phrases

        return [mask_safe_phrases(t) for t in out]

    def _deobfuscated(self, texts: list[str]) -> list[str]:
        """``texts`` with disguised words read as the training vocabulary's words, for a
        trainer fitted with ``deobfuscate=True`` (:mod:`modlab.training.deobfuscate`)."""
        restore = getattr(self, "deobfuscator_", None)  # (None in models saved before it)
        return [restore(t) for t in texts] if restore is not None else texts

    # -- the interface -------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: Any) -> BaseTrainer:
        texts = self._texts(texts)
        Y = self._encode_targets(y)
        if len(texts) != len(Y):
            raise ValueError(f"{len(texts)} texts but {len(Y)} labels")
        self._fit(texts, Y)
        return self

    @abstractmethod
    def _fit(self, texts: list[str], Y: np.ndarray) -> None: ...

    @abstractmethod
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Top label per text (single-label) or the 0/1 matrix at 0.5 (multi-label)."""
        proba = self.predict_proba(texts)
        if self.multi_label_:
            return (proba >= 0.5).astype(np.int64)
        return np.asarray(self.labels_, dtype=object)[proba.argmax(axis=1)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first")

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "trainer": self.name,
            "labels": self.labels_,
            "multi_label": self.multi_label_,
            "params": _jsonable(self.get_params()),
            "python": platform.python_version(),
        }
        self._save(path)
        (path / META_FILE).write_text(json.dumps(meta, indent=2))
        return path

    @abstractmethod
    def _save(self, path: Path) -> None: ...

    @abstractmethod
    def _load(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: str | Path) -> BaseTrainer:
        path = Path(path)
        meta = json.loads((path / META_FILE).read_text())
        if cls.name and meta["trainer"] != cls.name:
            raise ValueError(f"{path} holds a {meta['trainer']!r} model, not {cls.name!r}")
        klass = TRAINERS[meta["trainer"]]
        params = {k: _from_json(v) for k, v in meta["params"].items()}
        trainer = klass(**params)
        trainer.labels_ = list(meta["labels"])
        trainer.multi_label_ = bool(meta["multi_label"])
        trainer.classes_ = np.arange(len(trainer.labels_))
        trainer._load(path)
        return trainer


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"__tuple__": [_jsonable(v) for v in value]}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__tuple__"}:
        return tuple(_from_json(v) for v in value["__tuple__"])
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def load_trainer(path: str | Path) -> BaseTrainer:
    """Load any saved trainer directory (dispatches on ``trainer.json``)."""
    # Import the implementations so their classes are registered.
    from modlab.training.trainers import embedding, ensemble, hybrid, linear, transformer  # noqa: F401

    return BaseTrainer.load(path)
