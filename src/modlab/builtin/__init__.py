"""The built-in analyzers (toxicity, quality, openai, sightengine), built with the workbench.

* :mod:`.datasets`: loaders and label mapping (public sets from ``shared_dir``, modlab's own
  data from ``data/builtin/``), fixed evaluation splits kept out of training;
* :mod:`.build`: :func:`build_builtin` → ``train_model`` → ``<models_dir>/<name>/``;
* :mod:`.evaluation`: the target table on the held-out sets (``scripts/eval_builtin.py``);
* :mod:`.cli`: ``modlab models build-builtin`` / ``list-builtin`` (``builtin_app``).
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy re-exports: the CLI imports ``modlab.builtin.cli`` at start-up and must not pay for
# scikit-learn/MLflow imports until a command actually builds something.
_EXPORTS = {
    "build_builtin": "build",
    "build_info": "build",
    "builtin_status": "build",
    "build_missing": "build",
    "BUILDABLE": "datasets",
    "eval_sets": "datasets",
    "recipe": "datasets",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"modlab.builtin.{_EXPORTS[name]}"), name)
    raise AttributeError(name)


__all__ = [
    "BUILDABLE",
    "build_builtin",
    "build_missing",
    "build_info",
    "builtin_status",
    "eval_sets",
    "recipe",
]
