"""The analyzers that ship with modlab, built by the workbench into ``settings.models_dir``.

Each is an ordinary trained model (``modlab.training``): the build scripts and
notebooks produce ``<models_dir>/<name>/`` and register the run in MLflow. Until a
model is built, asking for it is a clear "not built yet" error, never a fake score.
"""

from __future__ import annotations

from modlab.analyzers.base import Analyzer
from modlab.analyzers.registry import AnalyzerUnavailable, register_analyzer

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


def _factory(name: str):
    def load() -> Analyzer:
        from modlab.analyzers.trained import PredictorAnalyzer
        from modlab.settings import get_settings

        path = get_settings().models_dir / name
        if not (path / "predictor.json").exists():
            raise AnalyzerUnavailable(
                f"built-in model {name!r} is not built yet; "
                f"run `modlab models build-builtin {name}` (done by `make serve`)"
            )
        return PredictorAnalyzer.from_dir(name, path, version=f"builtin-{name}")

    return load


for _name in BUILTIN_LABELS:
    register_analyzer(_name, _factory(_name))
