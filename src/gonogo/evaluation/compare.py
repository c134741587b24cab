"""Holdout values with intervals, and paired comparisons on the same resamples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gonogo.evaluation.bootstrap import Resampler, interval, resample
from gonogo.evaluation.metrics import Array, Metric


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% bootstrap interval."""

    value: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Scores:
    """Every prediction's holdout metric, and the per-resample values behind the intervals."""

    metric: Metric
    point: dict[str, Estimate]
    draws: dict[str, Array]

    def gain(self, model: str, baseline: str) -> Estimate:
        """Paired relative improvement of `model` over `baseline`."""
        rel = self.metric.gain(self.point[model].value, self.point[baseline].value)
        draws = self.metric.gain(self.draws[model], self.draws[baseline])
        return Estimate(float(rel), interval(draws))


def score_all(metric: Metric, y: Array, preds: Mapping[str, Array], resampler: Resampler) -> Scores:
    """Point values and intervals for every prediction, all on the same resamples."""
    draws = resample(metric, y, preds, resampler)
    point = {name: Estimate(metric.value(y, p), interval(draws[name])) for name, p in preds.items()}
    return Scores(metric, point, draws)
