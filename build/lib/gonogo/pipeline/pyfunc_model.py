"""A gonogo model as an MLflow pyfunc, logged as code ("models from code"): MLflow runs this
file to load a registered version, so loading unpickles nothing, and `mlflow.pyfunc.load_model`
or `mlflow models serve` gives the same predictions as gonogo's own load.

The output is a frame: `prediction` for regression, the positive class's probability (named
after the class) for binary problems, one probability column per class for multiclass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.models import set_model

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.store import load


def output(candidate: FittedCandidate, rows: pd.DataFrame) -> pd.DataFrame:
    """The candidate's predictions for raw `rows`, as the pyfunc returns them."""
    values = candidate.predict(rows)
    return pd.DataFrame(values.reshape(len(values), -1), columns=candidate.outputs)


class GonogoModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc]  # mlflow's types are not checked
    """The fitted candidate saved beside this file, in the artifacts under `candidate`, and
    its ONNX model under `onnx` when it has one (gonogo's servers predict with it)."""

    def load_context(self, context: Any) -> None:
        self.candidate = load(context.artifacts["candidate"])
        onnx = context.artifacts.get("onnx")
        self.onnx = Path(onnx).read_bytes() if onnx else None

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        return output(self.candidate, model_input)


set_model(GonogoModel())
