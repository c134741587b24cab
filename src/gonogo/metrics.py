"""Metrics, each computed for many bootstrap resamples at once.

A resample is a row of integer weights (how often each example was drawn), so every metric is
one function `(y, p, W) -> values` over a weight matrix `W` of shape (resamples, examples):
the plain holdout value is the same function with a single row of ones. One code path serves
point values, intervals and paired comparisons, and it is vectorised, which keeps 1,000
resamples of a 60k-row holdout cheap. Tests check every metric against scikit-learn.

Predictions `p` are: regression, the predicted value; binary, the probability of the positive
class (labels come from p >= 0.5); multiclass, an (n, classes) matrix of probabilities.

Each metric names the loss its candidates fit, so that what is fitted is what is judged:

| metric                          | loss     | candidates fit                                |
|---------------------------------|----------|-----------------------------------------------|
| mae                             | absolute | absolute error; the constant is the median    |
| mape                            | relative | absolute error weighted by 1/abs(y)           |
| rmse, r2                        | squared  | squared error; the constant is the mean       |
| every classification metric     | log      | log loss (class probabilities)                |

This module is a leaf: it imports only numpy, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
MetricFn = Callable[[Array, Array, Array], Array]
Loss = Literal["absolute", "relative", "squared", "log"]
_EPS = float(np.finfo(np.float64).eps)  # as scikit-learn clips probabilities


def share(fraction: float) -> str:
    """A share as a percentage that never reads 0.0% when some are there."""
    return "under 0.1%" if 0 < fraction < 0.001 else f"{fraction:.1%}"


def number(x: float, signed: bool = False, grouped: bool = True) -> str:
    """A value as people read it: four significant digits, or whole with thousands grouped
    from 1,000 on (a price reads 36,730, not 3.673e+04; ungrouped, a table's year reads
    2015); never a negative zero."""
    sign, group, x = "+" if signed else "", "," if grouped else "", x + 0.0
    return f"{x:{sign}{group}.0f}" if abs(x) >= 1000 else f"{x:{sign}.4g}"


def mean(W: Array, v: Array) -> Array:
    """The mean of `v` under each row of weights of W; NaN for a row of no weight (a resample
    that draws none of a small slice's rows), without numpy's warning."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((W @ v) / W.sum(axis=1), dtype=np.float64)


def labels(p: Array) -> Array:
    """Predictions as class codes: the likeliest class, or p >= 0.5 for binary."""
    return p.argmax(axis=1).astype(np.float64) if p.ndim == 2 else (p >= 0.5).astype(np.float64)


def _one_vs_rest(y: Array, p: Array) -> list[tuple[Array, Array]]:
    """(is-class, score) pairs: one for binary, one per class for multiclass (macro average)."""
    if p.ndim == 1:
        return [(y, p)]
    return [((y == k).astype(np.float64), p[:, k]) for k in range(p.shape[1])]


def _tie_groups(score: Array, descending: bool) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    order = np.argsort(-score if descending else score, kind="stable")
    ranked = score[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    return order, starts


def _auc(pos: Array, score: Array, W: Array) -> Array:
    """Each positive weighs the negatives ranked below it, and half those tied with it. The
    negatives' running weight is read at each positive's tie group (gathers and one cumulative
    sum, no per-group reductions): the bulk of a binary run's bootstrap."""
    order, starts = _tie_groups(score, descending=False)
    ranked = pos[order] == 1
    group = np.zeros(len(score), dtype=np.intp)
    group[starts[1:]] = 1
    group = np.cumsum(group)
    negatives = np.bincount(group[~ranked], minlength=len(starts))
    upto = np.cumsum(negatives)
    g = group[ranked]
    below, through = (upto - negatives)[g], upto[g]
    running = np.zeros((W.shape[0], int(upto[-1]) + 1 if len(upto) else 1))
    np.cumsum(W[:, order[~ranked]], axis=1, out=running[:, 1:])
    Wp = W[:, order[ranked]]
    num = np.einsum("ij,ij->i", Wp, running[:, below])
    if np.any(below != through):
        num = 0.5 * (num + np.einsum("ij,ij->i", Wp, running[:, through]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(num / (Wp.sum(axis=1) * running[:, -1]), dtype=np.float64)


def _average_precision(pos: Array, score: Array, W: Array) -> Array:
    order, starts = _tie_groups(score, descending=True)
    Ws = W[:, order]
    wp = np.add.reduceat(Ws * pos[order], starts, axis=1)
    wn = np.add.reduceat(Ws * (1 - pos[order]), starts, axis=1)
    tp, fp = np.cumsum(wp, axis=1), np.cumsum(wn, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        return np.asarray((wp * precision).sum(axis=1) / wp.sum(axis=1), dtype=np.float64)


def _macro(fn: Callable[[Array, Array, Array], Array]) -> MetricFn:
    def metric(y: Array, p: Array, W: Array) -> Array:
        return np.asarray(np.mean([fn(pos, s, W) for pos, s in _one_vs_rest(y, p)], axis=0))

    return metric


def _f1_one(pos: Array, label: Array, W: Array) -> Array:
    tp, fp, fn = W @ (pos * label), W @ ((1 - pos) * label), W @ (pos * (1 - label))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0), dtype=np.float64)


def _f1(y: Array, p: Array, W: Array) -> Array:
    label = labels(p)
    if p.ndim == 1:
        return _f1_one(y, label, W)
    classes = range(p.shape[1])
    per_class = [_f1_one((y == k) * 1.0, (label == k) * 1.0, W) for k in classes]
    return np.asarray(np.mean(per_class, axis=0))


def _balanced_accuracy(y: Array, p: Array, W: Array) -> Array:
    label, K = labels(p), (p.shape[1] if p.ndim == 2 else 2)
    recalls = []
    for k in range(K):
        is_k = (y == k).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            recalls.append((W @ (is_k * (label == k))) / (W @ is_k))
    return np.asarray(np.nanmean(np.vstack(recalls), axis=0), dtype=np.float64)


def prob_of_truth(y: Array, p: Array) -> Array:
    """The probability each prediction gave to the true class."""
    if p.ndim == 1:
        return np.asarray(np.where(y == 1, p, 1 - p))
    return np.asarray(p[np.arange(len(y)), y.astype(int)])


def _log_loss(y: Array, p: Array, W: Array) -> Array:
    return mean(W, -np.log(np.clip(prob_of_truth(y, p), _EPS, 1 - _EPS)))


def _brier(y: Array, p: Array, W: Array) -> Array:
    if p.ndim == 1:
        return mean(W, (p - y) ** 2)
    return mean(W, ((p - np.eye(p.shape[1])[y.astype(int)]) ** 2).sum(axis=1))


def _r2(y: Array, p: Array, W: Array) -> Array:
    n = W.sum(axis=1)
    ss_res = W @ ((y - p) ** 2)
    ss_tot = W @ (y**2) - (W @ y) ** 2 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(1 - ss_res / ss_tot, dtype=np.float64)


@dataclass(frozen=True)
class Metric:
    """A metric: its tasks, its good direction, its resample-wise function and the loss that
    candidates fit for it. `rank`: only the order of the scores matters. `threshold`: it reads
    hard labels (p >= 0.5 or the likeliest class). `prevalence_blind`: always predicting the
    majority class scores well on it."""

    name: str
    tasks: frozenset[str]
    greater_is_better: bool
    fn: MetricFn
    loss: Loss = "log"
    rank: bool = False
    threshold: bool = False
    prevalence_blind: bool = False
    gap: bool = False  # gains are shares of the distance to the perfect value closed

    @property
    def perfect(self) -> float:
        """The best value: 1 for every score here (AUC, accuracy, r2...), 0 for every loss."""
        return 1.0 if self.greater_is_better else 0.0

    def many(self, y: Array, p: Array, W: Array) -> Array:
        """The metric on every resample (row of weights) of W."""
        return self.fn(y, p, W)

    def value(self, y: Array, p: Array) -> float:
        """The metric on the sample itself."""
        return float(self.fn(y, p, np.ones((1, len(y))))[0])

    def gain(self, model: Array | float, baseline: Array | float) -> Array:
        """Relative improvement of model over baseline in the metric's good direction. For r2
        (`gap`), the share of the unexplained variance removed, which is the relative cut in
        squared error: a ratio of two R² near zero says nothing (+127%, CI +71% to +827%)."""
        model, baseline = np.asarray(model), np.asarray(baseline)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = self._sign * (model - baseline) / np.maximum(self._scale(baseline), 1e-12)
        return np.asarray(rel, dtype=np.float64)

    def bar(self, baseline: float, share: float) -> float:
        """The value that improves on `baseline` by `share`, as `gain` measures it."""
        return float(baseline + self._sign * share * self._scale(np.asarray(baseline)))

    @property
    def _sign(self) -> float:
        return 1.0 if self.greater_is_better else -1.0

    def _scale(self, baseline: Array) -> Array:
        return np.abs(self.perfect - baseline) if self.gap else np.abs(baseline)

    def better(self, a: float, b: float) -> bool:
        """Whether value a is strictly better than value b."""
        return a > b if self.greater_is_better else a < b


_REG = frozenset({"regression"})
_CLS = frozenset({"binary", "multiclass"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("mae", _REG, False, lambda y, p, W: mean(W, np.abs(y - p)), "absolute"),
        Metric("rmse", _REG, False, lambda y, p, W: np.sqrt(mean(W, (y - p) ** 2)), "squared"),
        Metric(
            "mape",
            _REG,
            False,
            lambda y, p, W: mean(W, np.abs(y - p) / np.maximum(np.abs(y), 2.2e-16)),
            "relative",
        ),
        Metric("r2", _REG, True, _r2, "squared", gap=True),
        Metric("roc_auc", _CLS, True, _macro(_auc), rank=True),
        Metric("pr_auc", _CLS, True, _macro(_average_precision), rank=True),
        Metric("log_loss", _CLS, False, _log_loss),
        Metric("brier", _CLS, False, _brier),
        Metric(
            "accuracy",
            _CLS,
            True,
            lambda y, p, W: mean(W, (labels(p) == y) * 1.0),
            threshold=True,
            prevalence_blind=True,
        ),
        Metric("balanced_accuracy", _CLS, True, _balanced_accuracy, threshold=True),
        Metric("f1", _CLS, True, _f1, threshold=True),
    ]
}

DEFAULT_METRIC = {"regression": "mae", "binary": "roc_auc", "multiclass": "log_loss"}
# A proper scoring rule rewards any real signal in the probabilities: it tells "no signal" from
# "a threshold metric that hides it".
PROPER = {"regression": "mae", "binary": "log_loss", "multiclass": "log_loss"}


def relative_weights(y: Array) -> Array:
    """Weights that turn absolute error into relative error (mape), averaging 1; labels near
    zero are capped at a thousandth of the typical label, so that one row cannot carry the fit.
    Unscaled, they averaged 1/median(y): 5e-4 on prices, and SGD's steps shrank as much."""
    scale = np.abs(y)
    floor = max(1e-3 * float(np.median(scale)), 1e-12)
    weights = 1.0 / np.maximum(scale, floor)
    return np.asarray(weights / weights.mean(), dtype=np.float64)
