"""Small models used by checks to ask "how much does this column say about the label?".

Strength is R² for regression and ROC AUC (one-vs-rest for several classes) otherwise: both are
scale-free, so one threshold (0.99, "nearly determines") fits every problem.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from gonogo.candidates import models
from gonogo.candidates.predict import scores
from gonogo.data.dataset import Dataset
from gonogo.data.split import Index
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Scores, Stack, score_all
from gonogo.metrics import DEFAULT_METRIC, METRICS, labels
from gonogo.problem import Problem

ROUNDS = 500
PROBE_ROWS = 50_000
Predict = Callable[[list[int]], np.ndarray[Any, Any]]  # predictions of a subset of columns


def strength_of(ds: Dataset, y: np.ndarray[Any, Any], pred: np.ndarray[Any, Any]) -> float:
    """R² or AUC of predictions; nan when undefined (e.g. one class in the holdout)."""
    metric = METRICS["r2" if ds.task == "regression" else "roc_auc"]
    return metric.value(y, pred)


def _encoded(column: pd.Series) -> pd.DataFrame:
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.astype("float64").replace(-1, np.nan)
        return codes.to_frame()
    return column.astype("float64").to_frame()


def capped(train: Index, seed: int) -> Index:
    """At most PROBE_ROWS of the training rows, drawn at random (in their order). A probe asks
    a yes-or-no question, which 50,000 rows answer as well as 300,000 in a fifth of the time;
    every probe is capped alike, so that the ones a check compares stay comparable."""
    if len(train) <= PROBE_ROWS:
        return train
    return np.sort(np.random.default_rng(seed).choice(train, PROBE_ROWS, replace=False))


def single_feature(
    ds: Dataset, column: str, train: Index, test: Index, seed: int
) -> np.ndarray[Any, Any]:
    """Holdout predictions of a 64-leaf tree on one column: enough to spot a label copy."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    X = _encoded(ds.frame[column])
    cls = DecisionTreeRegressor if ds.task == "regression" else DecisionTreeClassifier
    tree = cls(max_leaf_nodes=64, min_samples_leaf=5, random_state=seed)
    train = capped(train, seed)
    tree.fit(X.iloc[train], ds.y[train])
    return scores(tree, X.iloc[test], ds.task, ds.n_classes)


def determination(ds: Dataset, y: np.ndarray[Any, Any], pred: np.ndarray[Any, Any]) -> float:
    """How exactly predictions reproduce the label: R² for numbers; for classes, the lowest
    per-class recall of the likeliest class, so that sorting most rows right (a strong,
    legitimate measurement) is not mistaken for a copy, which gets every row of every class."""
    if ds.task == "regression":
        return strength_of(ds, y, pred)
    label = labels(pred)
    recalls = [float(np.mean(label[y == k] == k)) for k in np.unique(y).astype(int)]
    return min(recalls) if recalls else float("nan")


def least_squares(ds: Dataset, columns: list[str], train: Index, test: Index, seed: int) -> Predict:
    """Holdout predictions of least squares on some of the number `columns` (given by their
    positions; a missing value as the training mean): a label computed from a few columns
    (their sum, their mean) comes back exactly, where a tree on each alone only comes near.
    The rows are drawn and the matrices made once, for the many subsets a search tries."""
    rows = capped(train, seed)
    fit = ds.frame[columns].iloc[rows].astype("float64")
    means = fit.mean().fillna(0.0)
    known = fit.fillna(means).to_numpy()
    held = ds.frame[columns].iloc[test].astype("float64").fillna(means).to_numpy()
    y = ds.y[rows]

    def predict(picked: list[int]) -> np.ndarray[Any, Any]:
        design = np.column_stack([np.ones(len(known)), known[:, picked]])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        pred: np.ndarray[Any, Any] = np.column_stack([np.ones(len(held)), held[:, picked]]) @ coef
        return pred

    return predict


BOOSTED_ROWS = 12_500  # a relation within rows: a few thousand show it


def boosted(
    ds: Dataset, columns: list[str], train: Index, seed: int
) -> tuple[Predict, Index, Callable[[int], list[int]]]:
    """Predictions of gradient boosting on some of the number `columns` (by position), for a
    fifth of at most BOOSTED_ROWS training rows drawn at random and fitted on the rest; those
    rows; and the `top` columns by how much shuffling each among those rows costs the model
    of all of them. A label computed from a few columns in a way least squares does not follow
    (temperature from the dew point and the relative humidity) comes back nearly exactly.
    Rows at random, not the holdout: the relation holds within each row, and under a split
    by time the trees would also have to extrapolate the season."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(seed)
    rows = rng.permutation(train)[:BOOSTED_ROWS]
    cut = len(rows) * 4 // 5
    numbers = ds.frame[columns].iloc[rows].astype("float64")
    gone = [c for c in columns if c not in ds.present(columns, rows[:cut])]
    numbers[gone] = 0.0  # no values to fit on: a constant, which no tree splits on
    known, held = numbers.to_numpy()[:cut], numbers.to_numpy()[cut:]
    y, truth = ds.y[rows[:cut]], ds.y[rows[cut:]]

    @cache  # the model of all the columns serves the search's first question and the ranking
    def model(*picked: int) -> Any:
        return HistGradientBoostingRegressor(max_iter=100, random_state=seed).fit(
            known[:, list(picked)], y
        )

    def predict(picked: list[int]) -> np.ndarray[Any, Any]:
        pred: np.ndarray[Any, Any] = model(*picked).predict(held[:, picked])
        return pred

    def ranked(top: int) -> list[int]:
        every = list(range(len(columns)))
        whole = model(*every)
        errors = []
        for j in every:
            shuffled = held.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            errors.append(float(np.mean((whole.predict(shuffled) - truth) ** 2)))
        return sorted(every, key=lambda j: -errors[j])[:top]

    return predict, rows[cut:], ranked


def quick_model(
    ds: Dataset, columns: list[str], train: Index, test: Index, seed: int
) -> np.ndarray[Any, Any]:
    """Holdout predictions of a default gradient boosting model on the given columns."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = (
        HistGradientBoostingRegressor if ds.task == "regression" else HistGradientBoostingClassifier
    )
    recipe = models.Recipe("probe", cls, {"max_iter": 100, "random_state": seed})
    train = capped(train, seed)
    columns = ds.present(columns, train)
    est = models.build(recipe, {}, ds, columns)
    est.fit(ds.frame.iloc[train][columns], ds.y[train])
    return scores(est, ds.frame.iloc[test][columns], ds.task, ds.n_classes)


def paired(
    problem: Problem, ds: Dataset, test: Index, trains: dict[str, Index], ordered: bool
) -> Scores:
    """The same quick model trained on each set of rows, scored on the same test rows with
    paired bootstrap intervals: how much the choice of training rows alone changes."""
    preds = {
        name: quick_model(ds, ds.features, rows, test, problem.seed)
        for name, rows in trains.items()
    }
    return compare(problem, ds, test, preds, ordered)


def compare(
    problem: Problem, ds: Dataset, test: Index, preds: dict[str, Any], ordered: bool
) -> Scores:
    """Predictions for the same test rows, on the run's metric, with paired intervals."""
    metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
    resampler = Resampler.for_holdout(len(test), ROUNDS, problem.seed, ordered)
    return score_all(metric, ds.y[test], preds, Stack.single(len(test)), resampler)
