"""The fitted candidate: what a fit produces and everything downstream consumes.

It holds the input schema (the raw columns read, their types), the featurizer (raw rows to
model inputs), the label's codec, the fitted estimator and where it came from. `predict` takes
raw rows (a pandas or polars frame, an Arrow table or record batch) and gives what the run
computed for the same rows. The fits inside a run, the final fit on all labeled rows and the
pipeline all make one with `fit`.
"""

from __future__ import annotations

import hashlib
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.predict import scores
from gonogo.data.dataset import Dataset, as_pandas
from gonogo.data.featurize import Featurizer
from gonogo.data.label import LabelCodec
from gonogo.data.schema import InputSchema
from gonogo.data.split import Index
from gonogo.errors import GonogoError, SpecError
from gonogo.metrics import Array, Metric, relative_weights


@dataclass(frozen=True)
class FittedCandidate:
    """A candidate fitted on some rows, ready for raw rows."""

    name: str
    kind: str
    schema: InputSchema
    featurizer: Featurizer
    codec: LabelCodec
    columns: tuple[str, ...]
    estimator: Any
    provenance: dict[str, Any] = field(default_factory=dict)
    place: str = ""

    @property
    def outputs(self) -> list[str]:
        """The names of the predictions: `prediction` (regression), the positive class
        (binary), each class (multiclass)."""
        codec = self.codec
        if codec.task == "regression":
            return ["prediction"]
        return [str(c) for c in (codec.classes[-1:] if codec.task == "binary" else codec.classes)]

    def predict(self, data: Any) -> Array:
        """Predictions for raw rows: the value (regression), the positive class's probability
        (binary), or one probability per class (multiclass, in `codec.classes` order)."""
        # A fresh index: derived columns are joined on it, and a repeated label (frames
        # concatenated as they are) would pair each row with every row of that label.
        rows = as_pandas(data, "rows").reset_index(drop=True)
        frame = self.schema.conform(rows, "rows")
        return self.predict_inputs(self.featurizer.transform(frame))

    def predict_inputs(self, X: pd.DataFrame) -> Array:
        """Predictions for rows already made model inputs (as a run holds them)."""
        inputs = X[list(self.columns)]
        task, n = self.codec.task, len(self.codec)
        return np.asarray(guard(self.place, lambda: scores(self.estimator, inputs, task, n)))


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__


def guard(place: str, action: Callable[[], Any]) -> Any:
    """Run `action` quietly. A candidate the spec wrote (`place`) failing is an input error
    naming it; one of ours failing is a bug, raised as it is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not place:
            return action()
        try:
            return action()
        except GonogoError:
            raise
        except Exception as err:
            raise SpecError(place, f"failed: {_first_line(err)}") from None


def _fit_params(est: Any, weights: Array | None) -> dict[str, Array]:
    """Sample weights for an estimator that takes them (a pipeline's last step)."""
    if weights is None:
        return {}
    from sklearn.pipeline import Pipeline

    last = est.steps[-1][1] if isinstance(est, Pipeline) else est
    prefix = f"{est.steps[-1][0]}__" if isinstance(est, Pipeline) else ""
    # A regressor of a transformed label takes what its own regressor takes.
    fitted_by = getattr(last, "regressor", None) or last
    takes = "sample_weight" in inspect.signature(fitted_by.fit).parameters
    return {f"{prefix}sample_weight": weights} if takes else {}


def _stop_on_training(est: Any, y: Array) -> None:
    """Gradient boosting's early stopping holds out a stratified tenth of the training rows:
    one of each class there and in the rest, two of each class at least. Rows too few for
    that (the learning curve's tenth of 171 glass fragments: 17 rows of 3 classes) stop on
    the training loss instead, where scikit-learn would raise."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = getattr(est, "named_steps", {}).get("model", est)
    if not isinstance(model, HistGradientBoostingClassifier) or not model.early_stopping:
        return
    fraction = model.validation_fraction
    if not isinstance(fraction, float):
        return
    counts = np.bincount(y.astype(int))
    counts = counts[counts > 0]
    held = int(np.ceil(fraction * len(y)))
    if counts.min() < 2 or min(held, len(y) - held) < len(counts):
        model.set_params(validation_fraction=None)


def fit(
    cand: Candidate,
    config: dict[str, Any],
    ds: Dataset,
    rows: Index,
    columns: list[str],
    metric: Metric,
) -> FittedCandidate:
    """`cand` in configuration `config`, given the feature `columns`, fitted on `rows` of `ds`
    to the metric's loss (relative error: absolute error weighted by 1/|y|)."""
    columns = ds.present(columns, rows)
    reads = cand.inputs(columns)
    est = cand.make(config, columns)
    X, y = ds.frame[reads].iloc[rows], ds.y[rows]
    if ds.task != "regression":
        _stop_on_training(est, y)
    weights = relative_weights(y) if metric.loss == "relative" else None
    guard(cand.place, lambda: est.fit(X, y, **_fit_params(est, weights)))
    provenance = {
        "candidate": cand.name,
        "config": dict(config),
        "metric": metric.name,
        "rows": len(rows),
        "data": ds.digest,
        "rows_digest": hashlib.sha256(rows.tobytes()).hexdigest(),
    }
    return FittedCandidate(
        cand.name,
        cand.kind,
        ds.schema.only(ds.featurizer.inputs(reads)),
        ds.featurizer.restrict(reads),
        ds.codec,
        tuple(reads),
        est,
        provenance,
        cand.place,
    )
