"""MLflow "models from code" entry point: logged with each model instead of a pickle.

MLflow copies this file into the model and runs it on load; the model then reads the
saved :class:`~modlab.training.predictor.Predictor` from its ``predictor`` artifact.
"""

import mlflow

from modlab.training.tracking import ModlabPyfunc

mlflow.models.set_model(ModlabPyfunc())
