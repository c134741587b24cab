"""Heuristics and the existing system as estimators, so they are evaluated like models.

Each is fitted on the training part only (a per-group statistic learns its table there) and
predicts in the common format of `predict`. Where a heuristic has no answer for a row (a missing
lag, an unseen group) it falls back to the training label's overall statistic, which is what a
team would do in practice; how often that happened is kept in `fallback_rate_`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gonogo.candidates.expression import Expression
from gonogo.candidates.predict import as_prediction
from gonogo.evaluation.metrics import Array


def _overall(y: Array, task: str, n_classes: int, statistic: str) -> Array:
    if task == "regression":
        return np.asarray(np.median(y) if statistic == "median" else np.mean(y))
    rates = np.bincount(y.astype(int), minlength=n_classes) / len(y)
    return np.asarray(rates[1] if task == "binary" else rates)


class _Heuristic:
    """Fallback bookkeeping shared by every heuristic."""

    def __init__(self, task: str, classes: tuple[str, ...], place: str) -> None:
        self.task = task
        self.classes = classes
        self.place = place

    def fit(self, X: pd.DataFrame, y: Array) -> _Heuristic:
        self.fallback_ = _overall(y, self.task, len(self.classes), "mean")
        return self

    def _fill(self, pred: Array) -> Array:
        pred = np.array(
            pred, dtype=np.float64
        )  # a writable copy: pandas may hand out read-only views
        missing = np.isnan(pred) if pred.ndim == 1 else np.isnan(pred).any(axis=1)
        self.fallback_rate_ = float(missing.mean()) if len(pred) else 0.0
        pred[missing] = self.fallback_
        return pred


class ExpressionBaseline(_Heuristic):
    """A rule written by the team, e.g. `Clark_Lake` (same as two weeks ago)."""

    def __init__(self, expression: Expression, task: str, classes: tuple[str, ...]) -> None:
        super().__init__(task, classes, expression.place)
        self.expression = expression

    def predict_scores(self, X: pd.DataFrame) -> Array:
        values = self.expression.evaluate(X)
        return self._fill(as_prediction(values, self.task, self.classes, self.place))


class ColumnBaseline(_Heuristic):
    """Predictions the existing system already made, stored in a column."""

    def __init__(self, column: str, task: str, classes: tuple[str, ...], place: str) -> None:
        super().__init__(task, classes, place)
        self.column = column

    def predict_scores(self, X: pd.DataFrame) -> Array:
        return self._fill(as_prediction(X[self.column], self.task, self.classes, self.place))


class GroupStatistic(_Heuristic):
    """The training label's mean, median or rate within each group, e.g. per weekday."""

    def __init__(
        self, group_by: list[str], statistic: str, task: str, classes: tuple[str, ...], place: str
    ) -> None:
        super().__init__(task, classes, place)
        self.group_by = group_by
        self.statistic = statistic

    def _keys(self, X: pd.DataFrame) -> pd.DataFrame:
        return X[self.group_by].astype("string").fillna("<missing>")

    def _targets(self, y: Array) -> pd.DataFrame:
        if self.task == "multiclass":
            return pd.DataFrame(np.eye(len(self.classes))[y.astype(int)])
        return pd.DataFrame({0: y})

    def fit(self, X: pd.DataFrame, y: Array) -> GroupStatistic:
        super().fit(X, y)
        keys = self._keys(X).reset_index(drop=True)
        how = "median" if self.statistic == "median" else "mean"
        self.table_ = self._targets(y).groupby([keys[c] for c in self.group_by]).agg(how)
        return self

    def predict_scores(self, X: pd.DataFrame) -> Array:
        keys = self._keys(X).reset_index(drop=True)
        joined = keys.merge(self.table_, left_on=self.group_by, right_index=True, how="left")
        values = joined[list(self.table_.columns)].to_numpy(np.float64)
        return self._fill(values[:, 0].copy() if self.task != "multiclass" else values)

    def rules(self) -> list[tuple[str, Array]]:
        """(group, value) pairs of the learned table, for printing."""
        return [
            (" / ".join(map(str, k if isinstance(k, tuple) else (k,))), row.to_numpy())
            for k, row in self.table_.iterrows()
        ]
