"""Heuristics and the existing system as estimators, so they are evaluated like models.

Each is fitted on the training part only (a per-group statistic learns its table there) and
predicts in the common format of `predict`. Where a heuristic has no answer for a row (a missing
lag, an unseen group) it falls back to the training label's overall statistic, which is what a
team would do in practice; `coverage` says how often it had an answer.

A binary heuristic whose values are numbers outside [0, 1] is an existing *score* (a risk
ratio, a points total): rank metrics read it as it is, every other metric reads it calibrated
on the training part by a one-feature logistic regression, which keeps its order. A heuristic
that names a class (a rule's "boat" or "charter"), under a metric that reads probabilities
(log loss, Brier), is calibrated too: each label it gives stands for the shares of the classes
among the training rows it gave that label. Read as a certainty, every wrong label cost log
loss its full clipped penalty (23 on Ecdat's Fishing, against 1.27 for the constant).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from gonogo.candidates.expression import Expression
from gonogo.candidates.predict import as_frame, as_prediction, fit_inputs, is_score
from gonogo.metrics import Array, labels


def _overall(y: Array, task: str, n_classes: int, statistic: str, w: Array | None) -> Array:
    if task == "regression":
        return np.asarray(_weighted_median(y, w) if statistic == "median" else np.mean(y))
    rates = np.bincount(y.astype(int), minlength=n_classes) / len(y)
    return np.asarray(rates[1] if task == "binary" else rates)


def _weighted_median(y: Array, w: Array | None) -> float:
    if w is None:
        return float(np.median(y))
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(w[order])
    return float(y[order][np.searchsorted(cum, cum[-1] / 2)])


class _Heuristic(BaseEstimator):  # type: ignore[misc]
    """The fallback shared by every heuristic; subclasses say `_predictions` (NaN: no answer)."""

    task: str
    classes: tuple[str, ...]
    statistic = "mean"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value gets the fallback
        return tags

    def fit(self, X: pd.DataFrame, y: Array, sample_weight: Array | None = None) -> _Heuristic:
        X, y, sample_weight = fit_inputs(X, y, sample_weight)
        self.n_features_in_ = X.shape[1]
        self.fallback_ = _overall(y, self.task, len(self.classes), self.statistic, sample_weight)
        self._learn(X, y, sample_weight)
        return self

    def _learn(self, X: pd.DataFrame, y: Array, w: Array | None) -> None:
        """What the heuristic learns beyond the fallback."""

    def _predictions(self, X: pd.DataFrame) -> Array:
        raise NotImplementedError

    def predict_scores(self, X: pd.DataFrame) -> Array:
        # A writable copy: pandas may hand out read-only views.
        pred = np.array(self._predictions(as_frame(X)), dtype=np.float64)
        pred[_unanswered(pred)] = self.fallback_
        return pred

    def coverage(self, X: pd.DataFrame) -> float:
        """Share of rows the heuristic has an answer for (the rest get the fallback)."""
        return 1.0 - float(_unanswered(self._predictions(as_frame(X))).mean()) if len(X) else 1.0


def _label_rates(pred: Array, y: Array, prior: Array) -> Array | None:
    """For hard labels (0/1, or one-hot rows), the shares of the classes among the training
    rows given each label, with the overall shares (`prior`) as one row more; None for
    anything softer. Binary: the share of positives per label."""
    known = np.logical_not(_unanswered(pred))
    given = pred[known]
    if not np.isin(given, (0.0, 1.0)).all() or (given.ndim == 2 and (given.sum(1) != 1).any()):
        return None
    binary = given.ndim == 1
    k = 2 if binary else given.shape[1]
    counts = np.zeros((k, k))
    np.add.at(counts, labels(given).astype(int), np.eye(k)[y[known].astype(int)])
    shares = np.array([1 - prior, prior]) if binary else prior
    rates = (counts + shares) / (counts.sum(axis=1, keepdims=True) + 1)
    return np.asarray(rates[:, 1] if binary else rates, dtype=np.float64)


def _calibrated(pred: Array, rates: Array) -> Array:
    out = np.full(pred.shape, np.nan)
    known = np.logical_not(_unanswered(pred))
    out[known] = rates[labels(pred[known]).astype(int)]
    return out


def _unanswered(pred: Array) -> Array:
    missing = np.isnan(pred)
    return np.asarray(missing if pred.ndim == 1 else missing.any(axis=1))


class _Readout(_Heuristic):
    """A heuristic whose values are read off the row: labels, probabilities or a score."""

    place: str
    rank: bool
    calibrate: bool  # the metric reads probabilities: hard labels become class shares

    def _values(self, X: pd.DataFrame) -> pd.Series:
        raise NotImplementedError

    def _learn(self, X: pd.DataFrame, y: Array, w: Array | None) -> None:
        values = self._values(X)
        self.score_ = self.task == "binary" and is_score(values)
        self.calibration_ = None
        self.rates_ = None
        if not self.score_:
            if self.calibrate and self.task != "regression":
                pred = as_prediction(values, self.task, self.classes, self.place)
                self.rates_ = _label_rates(pred, y, self.fallback_)
            return
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        known = ~np.isnan(numbers)
        if self.rank:
            self.fallback_ = np.asarray(np.nanmedian(numbers))
        elif len(np.unique(y[known])) == 2:
            from sklearn.linear_model import LogisticRegression

            self.calibration_ = LogisticRegression().fit(numbers[known, None], y[known])

    def _predictions(self, X: pd.DataFrame) -> Array:
        values = self._values(X)
        if not self.score_:
            pred = as_prediction(values, self.task, self.classes, self.place)
            return pred if self.rates_ is None else _calibrated(pred, self.rates_)
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        if self.calibration_ is None:
            return numbers
        out = np.full(len(numbers), np.nan)
        known = ~np.isnan(numbers)
        out[known] = self.calibration_.predict_proba(numbers[known, None])[:, 1]
        return out

    def reads_as(self) -> str:
        """How its values were read, when not as labels or probabilities."""
        if self.rates_ is not None:
            return "read as labels, calibrated to the class shares each got on the training part"
        if not self.score_:
            return ""
        if self.calibration_ is None:
            return "read as a score, ranked as it is"
        return "read as a score, calibrated to probabilities on the training part (logistic)"


class ExpressionBaseline(_Readout):
    """A rule written by the team, e.g. `Clark_Lake` (same as two weeks ago). The text is
    the parameter, parsed where it is evaluated, so the fitted baseline holds no code."""

    def __init__(
        self,
        expression: str,
        task: str,
        classes: tuple[str, ...],
        place: str = "expression",
        rank: bool = False,
        calibrate: bool = False,
    ) -> None:
        self.expression = expression
        self.task = task
        self.classes = classes
        self.place = place
        self.rank = rank
        self.calibrate = calibrate

    def _values(self, X: pd.DataFrame) -> pd.Series:
        return Expression(self.expression, list(X.columns), self.place).evaluate(X)


class ColumnBaseline(_Readout):
    """Predictions the existing system already made, stored in a column."""

    def __init__(
        self,
        column: str,
        task: str,
        classes: tuple[str, ...],
        place: str,
        rank: bool = False,
        calibrate: bool = False,
    ) -> None:
        self.column = column
        self.task = task
        self.classes = classes
        self.place = place
        self.rank = rank
        self.calibrate = calibrate

    def _values(self, X: pd.DataFrame) -> pd.Series:
        return X[self.column]


THIN = 10  # training rows below which a group's statistic is mostly noise


class GroupStatistic(_Heuristic):
    """The training label's mean, median or rate within each group, e.g. per weekday; the
    median is weighted when the fit is (relative error)."""

    def __init__(
        self, group_by: list[str], statistic: str, task: str, classes: tuple[str, ...], place: str
    ) -> None:
        self.group_by = group_by
        self.statistic = statistic
        self.task = task
        self.classes = classes
        self.place = place

    def _keys(self, X: pd.DataFrame) -> pd.MultiIndex:
        keys = X[self.group_by].astype("string").fillna("<missing>")
        return pd.MultiIndex.from_frame(keys)

    def _learn(self, X: pd.DataFrame, y: Array, w: Array | None) -> None:
        keys = self._keys(X).to_frame(index=False)
        if self.task == "multiclass":
            targets = pd.DataFrame(np.eye(len(self.classes))[y.astype(int)])
        else:
            targets = pd.DataFrame({0: y})
        if self.statistic == "median" and w is not None:
            table = _group_weighted_median(keys, y, w)
        else:
            how = "median" if self.statistic == "median" else "mean"
            table = targets.groupby([keys[c] for c in self.group_by]).agg(how)
        # Plain lists and an array: what a safe format stores without pickling pandas.
        self.keys_ = [[str(v) for v in _tuple(k)] for k in table.index]
        self.values_ = table.to_numpy(np.float64)
        sizes = keys.groupby([keys[c] for c in self.group_by]).size()
        self.sizes_ = [int(n) for n in sizes.reindex(table.index)]

    def thin(self, rows: int = THIN) -> tuple[int, int]:
        """How many of the groups learned their value from fewer than `rows` training rows,
        and how many groups there are: a rate from one row is 0 or 1."""
        return sum(n < rows for n in self.sizes_), len(self.sizes_)

    def _predictions(self, X: pd.DataFrame) -> Array:
        known = pd.MultiIndex.from_tuples([tuple(k) for k in self.keys_], names=self.group_by)
        found = known.get_indexer(self._keys(X)) if self.keys_ else np.full(len(X), -1)
        values = np.full((len(X), self.values_.shape[1]), np.nan)
        values[found >= 0] = self.values_[found[found >= 0]]
        return values[:, 0].copy() if self.task != "multiclass" else values

    def rules(self) -> list[tuple[str, Array]]:
        """(group, value) pairs of the learned table, for printing."""
        return [(" / ".join(k), v) for k, v in zip(self.keys_, self.values_, strict=True)]


def _tuple(key: object) -> tuple[object, ...]:
    return key if isinstance(key, tuple) else (key,)


def _group_weighted_median(keys: pd.DataFrame, y: Array, w: Array) -> pd.DataFrame:
    """Per group, the smallest label holding at least half of the group's weight."""
    by = list(keys.columns)
    rows = keys.assign(_y=y, _w=w).sort_values([*by, "_y"], kind="stable")
    groups = rows.groupby(by, sort=True)
    past_half = groups["_w"].cumsum() >= groups["_w"].transform("sum") / 2
    return rows[past_half].groupby(by)[["_y"]].first().set_axis([0], axis=1)
