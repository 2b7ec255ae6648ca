"""The built-in analyzers (toxicity, quality, openai, sightengine), built with the workbench.

* :mod:`.datasets`: loaders and label mapping (public sets from ``shared_dir``, modlab's own
  data from ``data/builtin/``), fixed evaluation splits kept out of training;
* :mod:`.build`: :func:`build_builtin` → ``train_model`` → ``<models_dir>/<name>/``;
* :mod:`.evaluation`: the target table on the held-out sets (``scripts/eval_builtin.py``);
* :mod:`.cli`: ``modlab models build-builtin`` / ``list-builtin`` (``builtin_app``).
"""

from __future__ import annotations

from modlab.builtin.build import build_builtin, build_info, builtin_status
from modlab.builtin.datasets import BUILDABLE, eval_sets, recipe

__all__ = ["BUILDABLE", "build_builtin", "build_info", "builtin_status", "eval_sets", "recipe"]
