"""Model and baseline side by side within sub-populations of the tested rows, each with its
interval: a slice is a few dozen rows, and a difference there is often noise. The intervals
come from the first 400 of the run's own resamples: each slice draws them for the whole
table again, and a table's intervals need no more."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Estimate, Stack, score_all
from gonogo.metrics import Array, Metric, prob_of_truth

MAX_VALUES = 12
BINS = 4
ROUNDS = 400


@dataclass(frozen=True)
class SliceRow:
    """One slice: its distinct rows (`n`), its positives (binary labels), the metric of the
    model and the baseline, and the model's relative gain, each with a paired 95% interval."""

    column: str
    value: str
    n: int
    positives: int | None
    model: Estimate
    baseline: Estimate
    gain: Estimate


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
    column: str,
    values: pd.Series,
    y: Array,
    preds: tuple[Array, Array],
    metric: Metric,
    stack: Stack,
    resampler: Resampler,
) -> list[SliceRow]:
    """Per-slice metric of the model and the baseline (`preds`, stacked like `y`, `values`
    and `stack`), the most common slices first, on the run's own resamples."""
    groups = _groups(values.reset_index(drop=True))
    counts = groups.value_counts()
    binary = preds[0].ndim == 1 and metric.loss == "log" and set(np.unique(y)) <= {0.0, 1.0}
    rows = []
    for value in sorted(counts.index[:MAX_VALUES], key=lambda v: (-counts[v], v)):
        only = np.flatnonzero((groups == value).to_numpy())
        named = {"model": preds[0], "baseline": preds[1]}
        scores = score_all(metric, y, named, stack, resampler.head(ROUNDS), only)
        distinct, first = np.unique(stack.rows[only], return_index=True)
        positives = int((y[only[first]] == 1).sum()) if binary else None
        rows.append(
            SliceRow(
                column,
                str(value),
                len(distinct),
                positives,
                scores.point["model"],
                scores.point["baseline"],
                scores.gain("model", "baseline"),
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
