"""Model and baseline side by side within sub-populations of the holdout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gonogo.metrics import Array, Metric, prob_of_truth

MAX_VALUES = 12
BINS = 4


@dataclass(frozen=True)
class SliceRow:
    column: str
    value: str
    n: int
    model: float
    baseline: float


def _groups(values: pd.Series) -> pd.Series:
    """Each row's slice: its value when there are few, else its quartile."""
    if (
        values.nunique() <= MAX_VALUES
        or not pd.api.types.is_numeric_dtype(values)
        or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return values.astype("string").fillna("<missing>")
    bins = pd.qcut(values, BINS, duplicates="drop")
    return bins.astype("string").fillna("<missing>")


def slice_rows(
    column: str, values: pd.Series, y: Array, model: Array, baseline: Array, metric: Metric
) -> list[SliceRow]:
    """Per-slice metric of model and baseline, the most common slices first."""
    groups = _groups(values.reset_index(drop=True))
    counts = groups.value_counts()
    rows = []
    for value in sorted(counts.index[:MAX_VALUES], key=lambda v: (-counts[v], v)):
        mask = (groups == value).to_numpy()
        rows.append(
            SliceRow(
                column,
                str(value),
                int(mask.sum()),
                metric.value(y[mask], model[mask]),
                metric.value(y[mask], baseline[mask]),
            )
        )
    return rows


def worst(
    y: Array, pred: Array, task: str, k: int = 10
) -> np.ndarray[tuple[int], np.dtype[np.intp]]:
    """Positions of the k predictions furthest from the truth, worst first."""
    # Classification: the less probability the truth got, the worse (the order of log loss).
    loss = np.abs(y - pred) if task == "regression" else -prob_of_truth(y, pred)
    return np.argsort(-loss, kind="stable")[:k]
