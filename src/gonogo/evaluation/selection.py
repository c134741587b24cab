"""Fitting candidates, and choosing each one's configuration by cross-validation.

Only an outer split's inner folds are used to choose; its test rows are predicted once, by the
configuration chosen, fitted on all of its training rows. Outer splits that share their inner
folds (rolling origins) share the choice, which is made once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.fitted import FittedCandidate, fit
from gonogo.data.dataset import Dataset
from gonogo.data.split import Fold, Index
from gonogo.metrics import Array, Metric


@dataclass(frozen=True)
class Inner:
    """One configuration over an outer split's inner folds: its mean score, and its
    predictions for the inner validation rows, fold after fold (what a decision policy is
    tuned on, never the outer test rows)."""

    score: float
    predictions: Array


@dataclass(frozen=True)
class Choice:
    """The configuration chosen, by index, with its inner results."""

    index: int
    inner: Inner


@dataclass(frozen=True)
class Fitted:
    """A candidate on one outer split: the configuration chosen on its inner folds (with its
    inner results), the estimator fitted on its training rows, and its test predictions."""

    candidate: Candidate
    config: dict[str, Any]
    inner: Inner
    estimator: FittedCandidate
    test: Array

    @property
    def cv(self) -> float:
        return self.inner.score

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def kind(self) -> str:
        return self.candidate.kind


class Fitter:
    """Fits and predicts candidates on row subsets of one dataset, fitting the metric's loss."""

    def __init__(self, ds: Dataset, metric: Metric) -> None:
        self.ds = ds
        self.metric = metric

    def frame(self, cand: Candidate, rows: Index, columns: list[str]) -> pd.DataFrame:
        """What the candidate reads of `rows` when given the feature `columns`."""
        return self.ds.frame[cand.inputs(columns)].iloc[rows]

    def fit(
        self, cand: Candidate, config: dict[str, Any], rows: Index, columns: list[str]
    ) -> FittedCandidate:
        return fit(cand, config, self.ds, rows, columns, self.metric)

    def predict(self, fitted: FittedCandidate, rows: Index) -> Array:
        return fitted.predict_inputs(self.ds.frame.iloc[rows])

    def fit_predict(
        self, cand: Candidate, config: dict[str, Any], train: Index, test: Index, columns: list[str]
    ) -> Array:
        return self.predict(self.fit(cand, config, train, columns), test)

    def cv(self, cand: Candidate, config: int, fold: Fold, columns: list[str]) -> Inner:
        """One configuration over the fold's inner folds."""
        preds = [
            self.fit_predict(cand, cand.configs[config], tr, val, columns) for tr, val in fold.inner
        ]
        values = [
            self.metric.value(self.ds.y[val], p)
            for (_, val), p in zip(fold.inner, preds, strict=True)
        ]
        score = float(np.nanmean(values)) if values else float("nan")
        return Inner(score, np.concatenate(preds) if preds else np.empty(0))

    def pick(self, cv: list[Inner]) -> Choice:
        """The configuration with the best mean inner score."""
        sign = 1.0 if self.metric.greater_is_better else -1.0
        ranked = [sign * v.score if np.isfinite(v.score) else -np.inf for v in cv]
        best = int(np.argmax(ranked))
        return Choice(best, cv[best])

    def select(self, cand: Candidate, fold: Fold, columns: list[str], choice: Choice) -> Fitted:
        """The chosen configuration fitted on the fold's training rows, and its test predictions."""
        config = cand.configs[choice.index]
        est = self.fit(cand, config, fold.train, columns)
        return Fitted(cand, config, choice.inner, est, self.predict(est, fold.test))
