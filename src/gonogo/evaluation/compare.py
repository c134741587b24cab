"""Values with intervals, and paired comparisons on the same resamples, over outer splits.

Predictions are *stacked*: the test rows of every outer split, one split after the other. A
metric is computed within each split (an AUC never mixes two fitted models' scores) and
averaged over the splits, weighted by their rows. The bootstrap resamples the distinct rows:
a row drawn twice weighs twice in every split that tests it, so each resample is one plausible
table, and every candidate is scored on the same ones, which makes every gain paired.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gonogo.data.split import Fold, Index, Split
from gonogo.evaluation.bootstrap import Resampler, interval
from gonogo.evaluation.parallel import pmap, workers
from gonogo.metrics import Array, Metric

# Weights times predictions from which resampling is spread over worker processes: 65,000 test
# rows, 1,000 resamples and three predictions (about 4 s in one process).
PARALLEL_CELLS = 200_000_000


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% bootstrap interval."""

    value: float
    ci: tuple[float, float]

    def percent(self, bracketed: bool = False) -> str:
        """A relative value and its interval: +12.0% (95% CI +0.2% to +23.5%), or inside
        brackets already: +12.0%, 95% CI +0.2% to +23.5%."""
        ci = f"95% CI {signed(self.ci[0])} to {signed(self.ci[1])}"
        return f"{signed(self.value)}, {ci}" if bracketed else f"{signed(self.value)} ({ci})"


def signed(share: float) -> str:
    """A share as a signed percentage to a tenth; under a twentieth of a percent, to a
    hundredth, so that its sign is seen ("better without it: -0.2% to -0.04% with it", not
    "to -0.0%"), and under a two-hundredth, +0.0% (nothing, neither gain nor loss)."""
    if abs(share) < 5e-5:
        return "+0.0%"
    return f"{share:+.2%}" if abs(share) < 5e-4 else f"{share:+.1%}"


@dataclass(frozen=True)
class Stack:
    """The outer splits' test rows one after the other: which dataset row each stacked
    prediction is for, which split made it, and where the row sits among the distinct rows."""

    rows: Index
    split: Index
    position: Index
    distinct: Index
    repeat: Index

    @classmethod
    def of(cls, split: Split) -> Stack:
        return cls.of_folds(split.outer)

    @classmethod
    def of_folds(cls, folds: Sequence[Fold]) -> Stack:
        rows = np.concatenate([f.test for f in folds])
        which = np.concatenate([np.full(len(f.test), i) for i, f in enumerate(folds)])
        repeat = np.concatenate([np.full(len(f.test), f.repeat) for f in folds])
        distinct, position = np.unique(rows, return_inverse=True)
        return cls(rows, which, position, distinct, repeat)

    @classmethod
    def single(cls, n: int) -> Stack:
        """One set of `n` rows, tested once."""
        rows = np.arange(n)
        zeros = np.zeros(n, dtype=np.intp)
        return cls(rows, zeros, rows, rows, zeros)

    @property
    def splits(self) -> int:
        return int(self.split.max()) + 1 if len(self.split) else 0

    def parts(self) -> list[Index]:
        """Stacked positions of each split."""
        return [np.flatnonzero(self.split == i) for i in range(self.splits)]

    def first_pass(self) -> Index:
        """Stacked positions of the first pass over the rows: each tested row once."""
        return np.flatnonzero(self.repeat == 0)


def _pooled(metric: Metric, y: Array, p: Array, W: Array, parts: list[Index]) -> Array:
    """The metric within each split, averaged over splits weighted by the resample's rows."""
    total = np.zeros(W.shape[0])
    weight = np.zeros(W.shape[0])
    for part in parts:
        Wp = W[:, part]
        value = metric.many(y[part], p[part], Wp)
        size = Wp.sum(axis=1)
        known = np.isfinite(value)
        total += np.where(known, value * size, 0.0)
        weight += np.where(known, size, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / weight, dtype=np.float64)


def split_values(
    metric: Metric, y: Array, p: Array, stack: Stack, only: Index | None = None
) -> Array:
    """The metric on each outer split's own test rows (of the stacked positions `only`)."""
    return np.array([metric.value(y[part], p[part]) for part in _parts(stack, only)])


def _parts(stack: Stack, only: Index | None) -> list[Index]:
    """Each split's stacked positions, among `only` when given (splits without any left out)."""
    if only is None:
        return stack.parts()
    return [kept for part in stack.parts() if len(kept := np.intersect1d(part, only))]


@dataclass(frozen=True)
class Scores:
    """Every prediction's metric over the outer splits, the per-resample values behind the
    intervals, and the value within each split."""

    metric: Metric
    point: dict[str, Estimate]
    draws: dict[str, Array]
    per_split: dict[str, Array]

    def gain(self, model: str, baseline: str) -> Estimate:
        """Paired relative improvement of `model` over `baseline`."""
        rel = self.metric.gain(self.point[model].value, self.point[baseline].value)
        draws = self.metric.gain(self.draws[model], self.draws[baseline])
        return Estimate(float(rel), interval(draws))

    def split_gains(self, model: str, baseline: str) -> Array:
        """The relative improvement within each outer split."""
        return self.metric.gain(self.per_split[model], self.per_split[baseline])


Digest = tuple[tuple[int, ...], str, bytes]


def _digest(p: Array) -> Digest:
    return (
        p.shape,
        p.dtype.str,
        hashlib.blake2b(np.ascontiguousarray(p).tobytes(), digest_size=16).digest(),
    )


def score_all(
    metric: Metric,
    y: Array,
    preds: Mapping[str, Array],
    stack: Stack,
    resampler: Resampler,
    only: Index | None = None,
) -> Scores:
    """Point values, intervals and per-split values for every stacked prediction, all on the
    same resamples. `y` and each prediction are stacked like `stack`; `only` restricts the
    scores to some stacked positions (a slice) on those same resamples."""
    parts = _parts(stack, only)
    ones = np.ones((1, len(stack.distinct)))[:, stack.position]
    # The best model and baseline are also candidates: equal predictions are resampled once.
    same = {name: _digest(p) for name, p in preds.items()}
    distinct = {same[name]: p for name, p in preds.items()}
    keys = list(distinct)
    cells = len(stack.position) * resampler.rounds * len(keys)
    n = workers(len(y)) if cells >= PARALLEL_CELLS else 1
    groups = [group for i in range(n) if (group := keys[i::n])]
    context = (metric, y, stack.position, parts, resampler, distinct)
    drawn = pmap(_draws, context, groups, n, lambda _group, _draws: None)
    draws = {key: values for part in drawn for key, values in part.items()}
    stacked = {name: draws[same[name]] for name in preds}
    point = {
        name: Estimate(float(_pooled(metric, y, p, ones, parts)[0]), interval(stacked[name]))
        for name, p in preds.items()
    }
    per_split = {name: split_values(metric, y, p, stack, only) for name, p in preds.items()}
    return Scores(metric, point, stacked, per_split)


def _draws(
    context: tuple[Metric, Array, Index, list[Index], Resampler, dict[Digest, Array]],
    keys: list[Digest],
) -> dict[Digest, Array]:
    """The given predictions' values on every resample, the weights drawn once for them all."""
    metric, y, position, parts, resampler, preds = context
    out: dict[Digest, list[Array]] = {key: [] for key in keys}
    for W in resampler.chunks():
        Ws = W[:, position]
        for key in keys:
            out[key].append(_pooled(metric, y, preds[key], Ws, parts))
    return {key: np.concatenate(values) for key, values in out.items()}
