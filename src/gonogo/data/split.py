"""Holdout and cross-validation folds that respect how the model will be used.

Time-ordered data is split by time (the future is never in training), data with an entity is
split by entity (no entity on both sides), anything else at random, stratified for classes.
Model selection only ever sees `folds`, which live inside `train`; the holdout is scored once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gonogo.data.dataset import Dataset
from gonogo.errors import SpecError
from gonogo.problem import Problem

Index = NDArray[np.intp]


@dataclass(frozen=True)
class Split:
    """Row positions of the training part and the holdout, and CV folds inside training."""

    strategy: str
    train: Index
    holdout: Index
    folds: tuple[tuple[Index, Index], ...]

    @property
    def ordered(self) -> bool:
        """Whether both parts are in time order (block bootstrap, recent-first subsets)."""
        return self.strategy == "time"


def _strategy(problem: Problem, ds: Dataset) -> str:
    wanted = problem.split.strategy
    needs = {"time": ("data.time", ds.time), "group": ("data.entity", ds.entity)}
    if wanted in needs and needs[wanted][1] is None:
        raise SpecError(
            f"{problem.source}: split.strategy",
            f"{wanted!r} needs {needs[wanted][0]} to name a column",
        )
    # An entity is a promise that its rows never straddle the split, so it outranks time.
    return wanted or ("group" if ds.entity else "time" if ds.time else "random")


def _time_cut(ds: Dataset, holdout: float) -> int:
    """First holdout row; rows sharing a timestamp stay on one side."""
    assert ds.time is not None
    stamps = ds.frame[ds.time].to_numpy()
    cut = int(np.floor(len(stamps) * (1 - holdout)))
    while 0 < cut < len(stamps) and stamps[cut] == stamps[cut - 1]:
        cut += 1
    return cut


def _stratify(ds: Dataset, rows: Index, k: int) -> NDArray[np.float64] | None:
    if ds.task == "regression":
        return None
    counts = np.bincount(ds.y[rows].astype(int))
    return ds.y[rows] if counts[counts > 0].min() >= k else None


def split_like(strategy: str, problem: Problem, ds: Dataset) -> tuple[Index, Index]:
    """Train/holdout rows of a strategy; checks use it to compare strategies (split.optimism)."""
    n, h, seed = len(ds.y), problem.split.holdout, problem.seed
    rows = np.arange(n)
    if strategy == "time":
        cut = _time_cut(ds, h)
        return rows[:cut], rows[cut:]
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if strategy == "group":
        entity = ds.frame[ds.entity].astype("string").fillna("<missing>").to_numpy()
        train, hold = next(
            GroupShuffleSplit(1, test_size=h, random_state=seed).split(rows, groups=entity)
        )
        return np.sort(train), np.sort(hold)
    train, hold = train_test_split(
        rows, test_size=h, random_state=seed, stratify=_stratify(ds, rows, 2)
    )
    return np.sort(train), np.sort(hold)


def _folds(
    strategy: str, problem: Problem, ds: Dataset, train: Index
) -> tuple[tuple[Index, Index], ...]:
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

    k = problem.split.folds
    if strategy == "time":
        parts = TimeSeriesSplit(n_splits=k).split(train)
    elif strategy == "group":
        groups = ds.frame[ds.entity].astype("string").fillna("<missing>").to_numpy()[train]
        parts = GroupKFold(n_splits=min(k, len(set(groups)))).split(train, groups=groups)
    else:
        strata = _stratify(ds, train, k)
        splitter = StratifiedKFold if strata is not None else KFold
        parts = splitter(k, shuffle=True, random_state=problem.seed).split(
            train, strata if strata is not None else None
        )
    return tuple((train[a], train[b]) for a, b in parts)


def make_split(problem: Problem, ds: Dataset) -> Split:
    """The split the spec asks for, or the one the data's roles call for."""
    strategy = _strategy(problem, ds)
    train, holdout = split_like(strategy, problem, ds)
    if len(train) < problem.split.folds * 2 or len(holdout) == 0:
        return Split(strategy, train, holdout, ())
    return Split(strategy, train, holdout, _folds(strategy, problem, ds, train))
