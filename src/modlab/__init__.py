"""modlab: self-hosted text moderation and the notebook-first workbench that builds its models.

The package is split by responsibility: ``detectors`` (rule/model span detectors),
``analyzers`` (text classifiers), ``moderation`` (apply a project filter), ``projects``,
``storage``, ``data`` and ``annotation`` (import, Argilla, auto-labelling), ``training``,
``queue``/``webhooks``/``agents`` (the review workflow) and ``serving`` (the HTTP service).
"""

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # ``modlab.test_run(model, texts)``: the notebook shortcut, imported lazily.
    if name == "test_run":
        from modlab.training.test_run import test_run

        return test_run
    raise AttributeError(f"module 'modlab' has no attribute {name!r}")
