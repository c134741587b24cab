"""Does the metric judge what matters for this label?"""

from __future__ import annotations

import numpy as np

from gonogo.checks.finding import Finding
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.metrics import DEFAULT_METRIC, METRICS
from gonogo.problem import Problem

RARE = 0.10


def imbalance(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
    if not metric.prevalence_blind or ds.task == "regression":
        return []
    shares = np.bincount(ds.y.astype(int), minlength=ds.n_classes) / len(ds.y)
    rarest = float(shares.min())
    if rarest >= RARE:
        return []
    return [
        Finding(
            "metric.imbalance",
            "warn",
            f"{metric.name} on a class of {rarest:.1%}: always predicting the majority "
            f"scores {1 - rarest:.1%}; prefer pr_auc, balanced_accuracy or log_loss",
            (ds.label,),
            {"metric": metric.name, "rarest_share": rarest},
        )
    ]


CHECKS = (imbalance,)
