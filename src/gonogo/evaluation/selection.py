"""Fitting candidates, and choosing each one's configuration by cross-validation.

Only an outer split's inner folds are used to choose; its test rows are predicted once, by the
configuration chosen, fitted on all of its training rows. Outer splits that share their inner
folds (rolling origins) share the choice, which is made once.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.predict import scores
from gonogo.data.dataset import Dataset
from gonogo.data.split import Fold, Index
from gonogo.errors import GonogoError, SpecError
from gonogo.metrics import Array, Metric, relative_weights

Choice = tuple[int, float]  # the chosen configuration's index, and its mean inner CV score


@dataclass(frozen=True)
class Fitted:
    """A candidate on one outer split: the configuration chosen on its inner folds (with their
    mean score), the estimator fitted on its training rows, and its test predictions."""

    candidate: Candidate
    config: dict[str, Any]
    cv: float
    estimator: Any
    test: Array

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def kind(self) -> str:
        return self.candidate.kind


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__


def _fit_params(est: Any, weights: Array | None) -> dict[str, Array]:
    """Sample weights for an estimator that takes them (a pipeline's last step)."""
    if weights is None:
        return {}
    from sklearn.pipeline import Pipeline

    last = est.steps[-1][1] if isinstance(est, Pipeline) else est
    prefix = f"{est.steps[-1][0]}__" if isinstance(est, Pipeline) else ""
    takes = "sample_weight" in inspect.signature(last.fit).parameters
    return {f"{prefix}sample_weight": weights} if takes else {}


class Fitter:
    """Fits and predicts candidates on row subsets of one dataset, fitting the metric's loss
    (relative error: absolute error weighted by 1/|y|)."""

    def __init__(self, ds: Dataset, metric: Metric) -> None:
        self.ds = ds
        self.metric = metric
        self._all = [c for c in ds.frame.columns if c != ds.label]

    def frame(self, cand: Candidate, rows: Index, columns: list[str]) -> pd.DataFrame:
        """What the candidate sees: baselines see every column, models their features."""
        return self.ds.frame[self._all if cand.sees_all_columns else columns].iloc[rows]

    def _guard(self, cand: Candidate, action: Callable[[], Any]) -> Any:
        """User-written candidates failing is an input error; ours failing is a bug."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not cand.place:
                return action()
            try:
                return action()
            except GonogoError:
                raise
            except Exception as err:
                raise SpecError(cand.place, f"failed: {_first_line(err)}") from None

    def fit(self, cand: Candidate, config: dict[str, Any], rows: Index, columns: list[str]) -> Any:
        est = cand.make(config, columns)
        X, y = self.frame(cand, rows, columns), self.ds.y[rows]
        weights = relative_weights(y) if self.metric.loss == "relative" else None
        self._guard(cand, lambda: est.fit(X, y, **_fit_params(est, weights)))
        return est

    def predict_frame(self, cand: Candidate, est: Any, X: pd.DataFrame) -> Array:
        return np.asarray(
            self._guard(cand, lambda: scores(est, X, self.ds.task, self.ds.n_classes))
        )

    def predict(self, cand: Candidate, est: Any, rows: Index, columns: list[str]) -> Array:
        return self.predict_frame(cand, est, self.frame(cand, rows, columns))

    def fit_predict(
        self, cand: Candidate, config: dict[str, Any], train: Index, test: Index, columns: list[str]
    ) -> Array:
        est = self.fit(cand, config, train, columns)
        return self.predict(cand, est, test, columns)

    def cv(self, cand: Candidate, config: int, fold: Fold, columns: list[str]) -> float:
        """The mean score of one configuration over the fold's inner folds."""
        values = [
            self.metric.value(
                self.ds.y[val], self.fit_predict(cand, cand.configs[config], tr, val, columns)
            )
            for tr, val in fold.inner
        ]
        return float(np.nanmean(values)) if values else float("nan")

    def pick(self, cv: list[float]) -> Choice:
        """The configuration with the best mean inner score."""
        sign = 1.0 if self.metric.greater_is_better else -1.0
        ranked = [sign * v if np.isfinite(v) else -np.inf for v in cv]
        best = int(np.argmax(ranked))
        return best, cv[best]

    def select(self, cand: Candidate, fold: Fold, columns: list[str], choice: Choice) -> Fitted:
        """The chosen configuration fitted on the fold's training rows, and its test predictions."""
        config = cand.configs[choice[0]]
        est = self.fit(cand, config, fold.train, columns)
        return Fitted(cand, config, choice[1], est, self.predict(cand, est, fold.test, columns))
