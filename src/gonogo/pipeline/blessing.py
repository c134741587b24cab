"""The model gate: is a new model good enough to take production's place?

On the same fresh labeled rows, the new model is compared with the best heuristic and with
the model in production (if any; on those rows of files it was not trained on), each pair
scored on the same bootstrap resamples. It is blessed only if it beats the heuristic by the spec's
`min_improvement` with an interval above zero (the verdict's bar), is not worse than
production beyond `gate.tolerance`, and loses to production (or to the heuristic) by no more
than `gate.slice_tolerance` on any slice of `slices` with enough rows. Like TFX's Evaluator,
every failing condition is a reason, written like the verdict's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gonogo.candidates.fitted import FittedCandidate
from gonogo.errors import DataError
from gonogo.evaluation.bootstrap import Resampler
from gonogo.evaluation.compare import Estimate, Scores, Stack, score_all
from gonogo.evaluation.slices import slice_rows
from gonogo.metrics import DEFAULT_METRIC, METRICS, Array, Metric, number
from gonogo.problem import Problem

MIN_ROWS = 30  # rows a comparison (with production, or on a slice) needs before a loss counts


@dataclass(frozen=True)
class Blessing:
    """The gate's decision, its reasons, the paired gains behind them, and how many of the
    `rows` production was judged on (`judged`), of which it had been trained on (`seen`);
    `behind` says how production itself does worse than the heuristic on them, whatever the
    new model's fate: a model the world moved away from."""

    blessed: bool
    reasons: tuple[str, ...]
    gains: dict[str, Estimate] = field(default_factory=dict)
    rows: int = 0
    judged: int = 0
    seen: int = 0
    behind: str | None = None


def _against_heuristic(gain: Estimate, name: str, problem: Problem) -> str | None:
    bar = problem.success.min_improvement
    if gain.value >= bar and gain.ci[0] > 0:
        return None
    return (
        f"it improves on the heuristic {name} by {gain.percent()}; needed {bar:.0%} "
        "and an interval above zero"
    )


def _against_production(gain: Estimate, problem: Problem) -> str | None:
    if gain.value >= -problem.gate.tolerance:
        return None
    return (
        f"it is worse than the model in production: {gain.percent()}, beyond the tolerance "
        f"of {problem.gate.tolerance:.0%}"
    )


def _slices(
    problem: Problem,
    rows: pd.DataFrame,
    y: Array,
    preds: tuple[Array, Array],
    metric: Metric,
    resampler: Resampler,
) -> list[str]:
    """A reason for each slice where the new model (`preds[0]`) loses to the old one beyond
    the tolerance."""
    out = []
    stack = Stack.single(len(y))
    for column in problem.slices:
        if column not in rows.columns:
            continue
        for s in slice_rows(column, rows[column], y, preds, metric, stack, resampler):
            loss = -s.gain.value
            if s.n >= MIN_ROWS and loss > problem.gate.slice_tolerance:
                out.append(
                    f"on {column} = {s.value} (n={s.n}) it is {loss:.0%} worse "
                    f"({metric.name} {number(s.model.value)} against {number(s.baseline.value)})"
                )
    return out


def _with_slices(
    frame: pd.DataFrame, columns: list[str], fitted: list[FittedCandidate]
) -> pd.DataFrame:
    """`frame` with the slice columns that are derived (day of week, month...), made by the
    featurizer of whichever candidate derives them."""
    out = frame
    for candidate in fitted:
        derived = candidate.featurizer.derived
        wanted = [c for c in columns if c not in out.columns and c in derived]
        if wanted:
            out = out.join(candidate.featurizer.derive(frame)[wanted])
    return out


def bless(
    problem: Problem,
    new: FittedCandidate,
    heuristic: FittedCandidate,
    rows: Any,
    production: FittedCandidate | None = None,
    fresh: NDArray[np.bool_] | None = None,
) -> Blessing:
    """Whether `new` may replace `production`, judged on the labeled `rows` (raw). `fresh`
    marks the rows production was not trained on: with MIN_ROWS of them or more, production
    is judged on those alone (on the rows it learned, it would look better than it is)."""
    frame = rows if isinstance(rows, pd.DataFrame) else rows.to_pandas()
    label = problem.label.column
    if label not in frame.columns:
        raise DataError("rows", f"column {label!r} (the label) is missing: the gate needs labels")
    y = new.codec.encode(frame[label], f"rows: {label}")
    metric = METRICS[problem.metric or DEFAULT_METRIC[new.codec.task]]
    preds = {"new": new.predict(frame), "heuristic": heuristic.predict(frame)}
    scores = _scores(problem, metric, y, preds)
    gains = {"heuristic": scores.gain("new", "heuristic")}
    failed = [_against_heuristic(gains["heuristic"], heuristic.name, problem)]
    judged, old, on, seen = [new, heuristic], preds["heuristic"], np.arange(len(y)), 0
    behind = None
    if production is not None:
        on = np.flatnonzero(fresh) if fresh is not None and fresh.sum() >= MIN_ROWS else on
        seen = 0 if fresh is None else int(len(on) - fresh[on].sum())
        judged.append(production)
        old = production.predict(frame.iloc[on])
        versus = _scores(problem, metric, y[on], {"new": preds["new"][on], "production": old})
        gains["production"] = versus.gain("new", "production")
        failed.append(_against_production(gains["production"], problem))
        behind = _behind(problem, metric, y[on], old, preds["heuristic"][on], heuristic.name)
    reasons = [r for r in failed if r is not None]
    sliced = _with_slices(frame.iloc[on].reset_index(drop=True), problem.slices, judged)
    resampler = _resampler(problem, len(on))
    reasons += _slices(problem, sliced, y[on], (preds["new"][on], old), metric, resampler)
    return Blessing(not reasons, tuple(reasons), gains, len(y), len(on), seen, behind)


def _behind(
    problem: Problem, metric: Metric, y: Array, production: Array, heuristic: Array, name: str
) -> str | None:
    """How production does worse than the heuristic on the same rows, when it loses with an
    interval below zero; the subject is the caller's, who knows the version."""
    scores = _scores(problem, metric, y, {"production": production, "heuristic": heuristic})
    gain = scores.gain("production", "heuristic")
    if gain.ci[1] >= 0:
        return None
    values = (scores.point["production"].value, scores.point["heuristic"].value)
    return (
        f"does worse than the heuristic {name} on these rows ({gain.percent()}; "
        f"{metric.name} {number(values[0])} against {number(values[1])}): the world moved "
        "away from it; `gonogo models promote` a heuristic's version, or roll back"
    )


def _resampler(problem: Problem, n: int) -> Resampler:
    return Resampler.for_holdout(n, problem.bootstrap, problem.seed, problem.data.time is not None)


def _scores(problem: Problem, metric: Metric, y: Array, preds: dict[str, Array]) -> Scores:
    """Every prediction on the same resamples of the rows: each gain is paired."""
    return score_all(metric, y, preds, Stack.single(len(y)), _resampler(problem, len(y)))
