"""The analyzers that ship with modlab, built by the workbench into ``settings.models_dir``.

Each is an ordinary trained model (``modlab.training``): the build scripts and
notebooks produce ``<models_dir>/<name>/`` and register the run in MLflow. Until a
model is built, asking for it is a clear "not built yet" error, never a fake score.
"""

from __future__ import annotations

from pathlib import Path

from modlab.analyzers.base import Analyzer
from modlab.analyzers.registry import AnalyzerNotBuilt, register_analyzer

OPENAI_CATEGORIES = (
    "sexual",
    "sexual/minors",
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "violence",
    "violence/graphic",
)
SIGHTENGINE_CLASSES = ("sexual", "discriminatory", "insulting", "violent", "toxic")

BUILTIN_LABELS: dict[str, tuple[str, ...]] = {
    "toxicity": ("TOXICITY", "PROFANITY", "DISCRIMINATION", "NEUTRAL"),
    "quality": ("SPAM", "INCOHERENT", "UNSUBSTANTIAL", "NEUTRAL"),
    "propriety": ("FLIRTATION", "SEXUALLY_EXPLICIT", "NEUTRAL"),
    "nsfw": ("UNSAFE", "SENSITIVE", "NEUTRAL"),
    "sentiment": ("POSITIVE", "NEGATIVE", "NEUTRAL"),
    "openai": OPENAI_CATEGORIES,
    "sightengine": SIGHTENGINE_CLASSES,
}


def builtin_dir(name: str, models_dir: Path | None = None) -> Path:
    """Where the built-in analyzer ``name`` is built to and loaded from."""
    from modlab.settings import get_settings

    return Path(models_dir or get_settings().models_dir) / name


def is_built(name: str, models_dir: Path | None = None) -> bool:
    from modlab.training.predictor import META_FILE

    return (builtin_dir(name, models_dir) / META_FILE).exists()


def _factory(name: str):
    def load() -> Analyzer:
        from modlab.analyzers.trained import PredictorAnalyzer

        path = builtin_dir(name)
        if not is_built(name):
            raise AnalyzerNotBuilt(
                f"built-in model {name!r} is not built yet; `make serve` builds it (slow "
                f"ones in the background: try again in a few minutes), or run "
                f"`modlab models build-builtin {name}`"
            )
        return PredictorAnalyzer.from_dir(name, path, version=f"builtin-{name}")

    return load


for _name in BUILTIN_LABELS:
    register_analyzer(_name, _factory(_name))
