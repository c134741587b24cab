"""The value of more data: the learning curve fitted and extrapolated.

The best model's test score at growing shares of its training rows follows, on most problems,
an inverse power law: error(n) = a + b n^(-c), falling towards a floor `a`. The law is fitted
to the curve's points, and again to the points of each bootstrap resample of the test rows
(the same resamples as every interval), which gives a range for what it predicts: how many
labeled rows reaching a target needs, or the score at ten times the data.

For each exponent c on a grid the best (a, b) is a least-squares line in n^(-c), with b >= 0
(more data never hurts, on average): no iterative optimiser, nothing that fails to converge,
and every resample fitted at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gonogo.data.split import Split
from gonogo.evaluation.bootstrap import Resampler, interval
from gonogo.evaluation.compare import Estimate, Stack, score_all
from gonogo.evaluation.outer import Outcome, curve_drawn, curve_point
from gonogo.metrics import Array, Metric

EXPONENTS = np.linspace(0.05, 2.0, 80)
HORIZON = 10  # how far, in multiples of the data, an extrapolation is trusted
ROUNDS = 200  # resamples fitted: plenty for a 95% range of a three-parameter law
BASELINE = "baseline"  # the best baseline's predictions among the curve's points


@dataclass(frozen=True)
class Law:
    """error(n) = a + b n^(-c), with the metric's sign folded in (`sign`: -1 when greater is
    better), `scale` labeled rows per training row of the curve, and the metric's perfect
    value, which no prediction passes."""

    a: float
    b: float
    c: float
    sign: float
    scale: float
    perfect: float

    def value(self, labeled: float) -> float:
        """The metric's value predicted for a table of `labeled` rows."""
        error = max(self.a + self.b * (labeled / self.scale) ** -self.c, self.sign * self.perfect)
        return float(self.sign * error)

    def needed(self, target: float) -> float:
        """Labeled rows for the metric to reach `target` (inf: never, by this law)."""
        gap = self.sign * target - self.a
        if self.b <= 0 or gap <= 0:
            return float("inf")
        return float(self.scale * (self.b / gap) ** (1 / self.c))


@dataclass(frozen=True)
class Projection:
    """What more data would bring: the target sought and why, the labeled rows there are, the
    law fitted to the curve, the laws fitted to each resample of it (for ranges), and the
    best baseline's score on the curve's rows."""

    target: float
    why: str
    rows: int
    law: Law
    laws: tuple[Law, ...]
    baseline: float

    def needed(self) -> Estimate:
        """Whole labeled rows for the metric to reach the target (inf: not by the law). When
        the rows in hand do not reach it, neither does any fewer: the range starts at them
        (resamples that reach it now said 262 rows of 1,250)."""
        point = float(_whole(self.law.needed(self.target)))
        lo, hi = _range(_whole(np.array([m.needed(self.target) for m in self.laws])))
        if point > self.rows:
            lo = max(lo, self.rows)
        return Estimate(point, (lo, max(lo, hi)))

    def at(self, labeled: float) -> Estimate:
        """The metric's value predicted for a table of `labeled` rows."""
        return Estimate(
            self.law.value(labeled), interval(np.array([m.value(labeled) for m in self.laws]))
        )

    @property
    def within_reach(self) -> bool:
        """Whether the law reaches the target within HORIZON times the labeled rows."""
        return self.needed().value <= HORIZON * self.rows

    @property
    def met(self) -> bool:
        """Whether the curve's own full point reaches the target already."""
        return self.law.needed(self.target) <= self.rows


def fit(rows: Array, errors: Array, floor: float = -np.inf) -> tuple[Array, Array, Array]:
    """(a, b, c) per row of `errors` (resamples by points), for curve points at `rows`, with
    the floor `a` no better than `floor`, the metric's perfect value: a steep curve's straight
    line put mae's floor at -0.11 and asked for 16 rows to reach a target (elecdemand)."""
    E = np.atleast_2d(errors)
    best = np.full(len(E), np.inf)
    out = np.zeros((3, len(E)))
    for c in EXPONENTS:
        x = rows**-c
        xc = x - x.mean()
        b = np.maximum((E - E.mean(axis=1, keepdims=True)) @ xc / (xc @ xc), 0.0)
        a = E.mean(axis=1) - b * x.mean()
        low = a < floor  # then the best line through the floor
        b = np.where(low, np.maximum((E - floor) @ x / (x @ x), 0.0), b)
        a = np.where(low, floor, a)
        sse = ((E - a[:, None] - b[:, None] * x) ** 2).sum(axis=1)
        better = sse < best
        best = np.where(better, sse, best)
        out[:, better] = np.vstack([a, b, np.full(len(E), c)])[:, better]
    return out[0], out[1], out[2]


def project(
    outcome: Outcome,
    split: Split,
    y: Array,
    metric: Metric,
    resampler: Resampler,
    target: Callable[[float, str], tuple[float, str]],
) -> Projection | None:
    """The curve's law and what it predicts for the target that `target` sets (its value, and
    why it is sought) from the best baseline's score on the rows the curve is drawn on and
    which rows those are when they are not all those tested: the law knows no other rows (on
    time-ordered data, the latest period's), so a target set from a score is set on them too.
    None without at least three points to fit."""
    drawn, fractions = curve_drawn(outcome, split)
    if len(fractions) < 3:
        return None
    stack = Stack.of_folds([fold for _, fold in drawn])
    points = [curve_point(drawn, f) for f in fractions]
    used = np.array([p[0] for p in points])
    preds = {str(f): p[1] for f, p in zip(fractions, points, strict=True)}
    preds[BASELINE] = np.concatenate([run.baseline.test for run, _ in drawn])
    sampler = Resampler(len(stack.distinct), ROUNDS, resampler.seed, resampler.block)
    scores = score_all(metric, y[stack.rows], preds, stack, sampler)
    base = scores.point[BASELINE].value
    fewer = len(stack.distinct) < len(outcome.stack.distinct)
    where = ", on the latest period's test rows, where the curve is drawn" if fewer else ""
    value, why = target(base, where)
    sign = -1.0 if metric.greater_is_better else 1.0
    errors = sign * np.array([scores.point[str(f)].value for f in fractions])
    draws = sign * np.column_stack([scores.draws[str(f)] for f in fractions])
    scale = len(y) / used[-1]
    floor = sign * metric.perfect
    a, b, c = fit(used, errors, floor)
    law = Law(float(a[0]), float(b[0]), float(c[0]), sign, scale, metric.perfect)
    finite = draws[np.isfinite(draws).all(axis=1)]
    laws = tuple(
        Law(float(a), float(b), float(c), sign, scale, metric.perfect)
        for a, b, c in zip(*fit(used, finite, floor), strict=True)
    )
    return Projection(value, why, len(y), law, laws, base)


def _whole(rows: Any) -> Any:
    """Rows rounded up to whole ones, past float noise (3,125.0000001 is 3,125)."""
    return np.ceil(np.round(rows, 6))


def _range(values: Array) -> tuple[float, float]:
    """A 95% range that may reach infinity (resamples whose law never gets there)."""
    lo, hi = np.quantile(values, [0.025, 0.975], method="inverted_cdf")
    return (float(lo), float(hi))
