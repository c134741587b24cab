"""Will the estimate hold in production, where the future is unknown?"""

from __future__ import annotations

import numpy as np

from gonogo.checks.finding import Finding
from gonogo.checks.probe import quick_model
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split, split_like
from gonogo.evaluation.metrics import DEFAULT_METRIC, METRICS
from gonogo.problem import Problem

OPTIMISM = 0.10


def optimism(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if ds.time is None or len(split.holdout) == 0:
        return []
    metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
    values = {}
    for strategy in ("time", "random"):
        train, test = split_like(strategy, problem, ds)
        values[strategy] = metric.value(
            ds.y[test], quick_model(ds, ds.features, train, test, problem.seed)
        )
    gain = float(metric.gain(np.asarray(values["random"]), np.asarray(values["time"])))
    if not gain > OPTIMISM:
        return []
    using = (
        "this run's estimates come from a random split and will not hold in production"
        if split.strategy != "time"
        else "this run uses the time split; expect drift and retraining"
    )
    return [
        Finding(
            "split.optimism",
            "warn",
            f"a random split scores {gain:.0%} better than the time split "
            f"({metric.name} {values['random']:.4g} vs {values['time']:.4g}): {using}",
            (ds.time,),
            {"random": values["random"], "time": values["time"], "relative": gain},
        )
    ]


CHECKS = (optimism,)
