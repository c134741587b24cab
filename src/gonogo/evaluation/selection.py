"""Fitting candidates, and choosing each one's configuration by cross-validation.

Only an outer split's inner folds are used to choose; its test rows are predicted once, by the
configuration chosen, fitted on all of its training rows. Outer splits that share their inner
folds (rolling origins) share the choice, which is made once.

On large tables the choice is successive halving (as scikit-learn's HalvingGridSearchCV): every
configuration of a candidate is first cross-validated with a random third of each inner
training part, and only the best third of them on all of it. The rows validated on never
change. As in a halving search over one grid of several models, a model whose best
configuration loses on every inner fold of that first rung to the best of the models halved
with it goes no further; it is still fitted and tested on the outer split, with the
configuration the first rung chose (its scores from a third of the rows), but it is never the
split's best model. Every other choice has its scores from all the rows. Losing five folds
of five is what a sign test needs, which only a lone outer split (a large table) has.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from gonogo.candidates.candidate import Candidate
from gonogo.candidates.fitted import FittedCandidate, fit
from gonogo.data.dataset import Dataset
from gonogo.data.split import Fold, Index
from gonogo.evaluation.parallel import pmap
from gonogo.metrics import Array, Metric

K = TypeVar("K", int, tuple[int, tuple[int, bool]])
FACTOR = 3  # successive halving keeps the best third of the configurations
HALVING_FROM = 10_000  # rows a third of the smallest inner training part must keep
LEFT_AFTER = 5  # inner folds a model must lose on, every one, to be left at the first rung


@dataclass(frozen=True)
class Inner:
    """One configuration over an outer split's inner folds: its mean score, and its
    predictions for the inner validation rows, fold after fold (what a decision policy is
    tuned on, never the outer test rows)."""

    score: float
    predictions: Array
    per_row: float = 0.0  # seconds its fits took per training row: what a fit will cost
    values: tuple[float, ...] = ()  # the score on each inner fold
    behind: str = ""  # the model it lost to at halving's first rung, where it was left


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


def halving(fold: Fold) -> bool:
    """Whether configurations are first compared on a third of each inner training part
    (successive halving's first rung): only where a third still has rows enough to rank them."""
    return bool(fold.inner) and min(len(tr) for tr, _ in fold.inner) >= FACTOR * HALVING_FROM


def _third(rows: Index, rng: np.random.Generator) -> Index:
    """A random third of `rows`, in their order."""
    return np.sort(rng.choice(rows, len(rows) // FACTOR, replace=False))


def thinned(fold: Fold, seed: int) -> Fold:
    """The fold with a random third of each inner training part, validated on the same rows
    as before."""
    rng = np.random.default_rng(seed)
    return replace(fold, inner=tuple((_third(tr, rng), val) for tr, val in fold.inner))


def left_fold(fold: Fold, seed: int) -> Fold:
    """Where a model left at halving's first rung is fitted: a random third of the training
    rows, the share its rung gave it (a halving search never gives a dropped candidate more),
    tested on all the test rows."""
    return replace(fold, train=_third(fold.train, np.random.default_rng(seed)))


def survivors(configs: int) -> int:
    """How many of a candidate's configurations the first rung sends on to all the rows."""
    return -(-configs // FACTOR)


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

    def fold_predictions(
        self, cand: Candidate, config: int, fold: Fold, k: int, columns: list[str]
    ) -> Array:
        """One configuration fitted on the fold's k-th inner training part, predicting its
        validation rows."""
        train, val = fold.inner[k]
        return self.fit_predict(cand, cand.configs[config], train, val, columns)

    def inner(self, fold: Fold, preds: list[Array], seconds: float = 0.0) -> Inner:
        """A configuration's mean score over the fold's inner folds, from its predictions,
        and what its fits cost (`seconds` in all)."""
        values = tuple(
            float(self.metric.value(self.ds.y[val], p))
            for (_, val), p in zip(fold.inner, preds, strict=True)
        )
        score = float(np.nanmean(values)) if values else float("nan")
        rows = sum(len(train) for train, _ in fold.inner)
        stacked = np.concatenate(preds) if preds else np.empty(0)
        return Inner(score, stacked, seconds / max(rows, 1), values)

    def beats(self, a: Inner, b: Inner) -> bool:
        """Whether `a` scores better than `b` on every one of at least LEFT_AFTER inner folds."""
        sign = 1.0 if self.metric.greater_is_better else -1.0
        pairs = list(zip(a.values, b.values, strict=True))
        return len(pairs) >= LEFT_AFTER and all(sign * (x - y) > 0 for x, y in pairs)

    def ranked(self, cv: Mapping[K, Inner]) -> list[K]:
        """Configuration indices (or any keys), the best mean inner score first (undefined
        scores last, the earlier key on a tie)."""
        sign = 1.0 if self.metric.greater_is_better else -1.0
        return sorted(
            cv, key=lambda i: (-sign * cv[i].score if np.isfinite(cv[i].score) else np.inf, i)
        )

    def pick(self, cv: dict[int, Inner]) -> Choice:
        """The configuration with the best mean inner score."""
        best = self.ranked(cv)[0]
        return Choice(best, cv[best])

    def select(self, cand: Candidate, fold: Fold, columns: list[str], choice: Choice) -> Fitted:
        """The chosen configuration fitted on the fold's training rows, and its test predictions."""
        config = cand.configs[choice.index]
        est = self.fit(cand, config, fold.train, columns)
        return Fitted(cand, config, choice.inner, est, self.predict(est, fold.test))


Rung = tuple[int, bool]  # a set of inner folds, and whether thinned to a third of the rows
Key = tuple[int, Rung, int]  # a candidate's position, its folds, a configuration
Chosen = dict[tuple[str, int], Choice]  # by candidate name and set of inner folds
Tick = Callable[[str], None]  # called with a label after each fit


def choose(
    fitter: Fitter,
    candidates: list[Candidate],
    folds: dict[int, Fold],
    seed: int,
    n: int,
    tick: Tick,
) -> Chosen:
    """Each candidate's configuration for each set of inner folds, by successive halving where
    the folds are large, else over every configuration; fits spread over `n` processes. The
    first rung shares the processes with everything that is not halved."""
    halved = {s for s, fold in folds.items() if halving(fold)}
    every = {(s, False): fold for s, fold in folds.items()}
    every |= {(s, True): thinned(folds[s], seed) for s in halved}
    first = [
        (j, (s, s in halved and len(c.configs) > 1), i)
        for j, c in enumerate(candidates)
        for s in folds
        for i in range(len(c.configs))
    ]
    rung = _by_candidate(_inner_cv(fitter, candidates, first, every, n, tick))
    left = _left_behind(fitter, candidates, rung)
    later = [
        (j, (r[0], False), i)
        for (j, r), cv in rung.items()
        if r[1] and (j, r) not in left
        for i in fitter.ranked(cv)[: survivors(len(cv))]
    ]
    for j, r in left:  # the progress bar counted their second rung
        for _ in range(survivors(len(rung[(j, r)])) * len(every[r].inner)):
            tick(candidates[j].name)
    done = _by_candidate(_inner_cv(fitter, candidates, later, every, n, tick))
    chosen = {
        (candidates[j].name, r[0]): fitter.pick(cv)
        for (j, r), cv in (rung | done).items()
        if not r[1]
    }
    for (j, r), lead in left.items():
        pick = fitter.pick(rung[(j, r)])
        chosen[(candidates[j].name, r[0])] = replace(pick, inner=replace(pick.inner, behind=lead))
    return chosen


def _left_behind(
    fitter: Fitter, candidates: list[Candidate], rung: dict[tuple[int, Rung], dict[int, Inner]]
) -> dict[tuple[int, Rung], str]:
    """The models halving leaves at its first rung, each with the model it lost to: the best
    configuration of every halved model against the best of them all, on every inner fold."""
    firsts = {
        key: fitter.pick(cv).inner
        for key, cv in rung.items()
        if key[1][1] and candidates[key[0]].kind == "model"
    }
    left: dict[tuple[int, Rung], str] = {}
    for s in {r[0] for _, r in firsts}:
        here = {key: inner for key, inner in firsts.items() if key[1][0] == s}
        lead = fitter.ranked(here)[0]
        name = candidates[lead[0]].name
        left |= {key: name for key, inner in here.items() if fitter.beats(here[lead], inner)}
    return left


def _by_candidate(inner: dict[Key, Inner]) -> dict[tuple[int, Rung], dict[int, Inner]]:
    out: dict[tuple[int, Rung], dict[int, Inner]] = {}
    for (j, rung, i), value in inner.items():
        out.setdefault((j, rung), {})[i] = value
    return out


def _inner_cv(
    fitter: Fitter,
    candidates: list[Candidate],
    keys: list[Key],
    folds: dict[Rung, Fold],
    n: int,
    tick: Tick,
) -> dict[Key, Inner]:
    """Each key's configuration over its inner folds. One item per inner fold, the largest
    training parts first, so that the processes end together."""
    items = [(key, k) for key in keys for k in range(len(folds[key[1]].inner))]
    items.sort(key=lambda item: -len(folds[item[0][1]].inner[item[1]][0]))
    preds = pmap(
        _fold_predictions,
        (fitter, candidates, folds),
        items,
        n,
        lambda item, _: tick(candidates[item[0][0]].name),
    )
    done = dict(zip(items, preds, strict=True))
    out = {}
    for key in keys:
        timed = [done[(key, k)] for k in range(len(folds[key[1]].inner))]
        seconds = sum(t for _, t in timed)
        out[key] = fitter.inner(folds[key[1]], [p for p, _ in timed], seconds)
    return out


def _fold_predictions(
    context: tuple[Fitter, list[Candidate], dict[Rung, Fold]], item: tuple[Key, int]
) -> tuple[Array, float]:
    """An inner fold's predictions, and the seconds they took."""
    fitter, candidates, folds = context
    (j, rung, i), k = item
    start = time.perf_counter()
    preds = fitter.fold_predictions(candidates[j], i, folds[rung], k, fitter.ds.features)
    return preds, time.perf_counter() - start
