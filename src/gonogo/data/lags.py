"""Lags: a column's values some steps earlier in its own series, as a feature group.

"The same day last week" is the heuristic of many time-ordered problems, and the model should
see what it sees; hand-made shifted columns are where a future row slips in. Here a lag of
`period` steps reads, for each row, the row of the same series exactly `period` steps earlier
in time (missing when there is none), never a later one, and the spec refuses a period inside
the prediction horizon. Steps are time, not row positions: a gap in a series leaves a lag
missing instead of reading a row from further back.

The lag columns are computed on the table before binding and become columns of it, so a
server's request carries them (the client knows its own history) like any other input.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.tseries.frequencies import to_offset

from gonogo.data import dates
from gonogo.data.columns import not_found
from gonogo.data.featurize import beside
from gonogo.errors import DataError, SpecError
from gonogo.problem import DeriveSpec, Problem, lag_name

MONTH = (pd.Timedelta(days=28), pd.Timedelta(days=31))  # gaps that are a calendar month


def add(problem: Problem, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """`frame` with the lag columns of every `lags` group of the spec, and each group's
    columns."""
    groups: dict[str, tuple[str, ...]] = {}
    for group, spec in problem.derive.items():
        if not spec or spec.kind != "lags":
            continue
        place = f"{problem.source}: derive.{group}"
        made = _lags(problem, spec, frame, place)
        taken = [c for c in made.columns if c in frame.columns]
        if taken:
            raise SpecError(place, f"column {taken[0]!r} is in the data already")
        frame = beside(frame, [made])
        groups[group] = tuple(made.columns)
    return frame, groups


def sources(problem: Problem) -> list[str]:
    """The columns the spec's lags are made of: each lagged column, its series and the time."""
    out: dict[str, None] = {}
    for spec in problem.derive.values():
        if spec and spec.kind == "lags" and spec.column is not None:
            made = (spec.column, spec.by or problem.data.entity, problem.data.time)
            out |= dict.fromkeys(c for c in made if c is not None)
    return list(out)


def _lags(problem: Problem, spec: DeriveSpec, frame: pd.DataFrame, place: str) -> pd.DataFrame:
    assert spec.column is not None and problem.data.time is not None, "checked by the spec"
    by = spec.by or problem.data.entity
    for role, col in (("column", spec.column), ("by", by), ("time", problem.data.time)):
        if col is not None and col not in frame.columns:
            raise not_found(f"{place}.{role}", col, [str(c) for c in frame.columns])
    times = dates.time_of(problem, frame[problem.data.time])
    series = frame[by] if by is not None else pd.Series(0, index=frame.index)
    index = pd.MultiIndex.from_arrays([series, times])
    if index.has_duplicates:
        again = index[index.duplicated()][0]
        within = f" of {by} {again[0]!r}" if by is not None else ""
        raise DataError(
            place, f"time {again[1]} repeats in a series{within}: lags need one row per time"
        )
    step = _step(spec.every, times, series, place)
    if isinstance(step, pd.Timedelta) and MONTH[0] <= step <= MONTH[1]:
        # Months are not a fixed length: a step of "31 days" misses every 30-day month.
        times, step = times.dt.to_period("M"), 1
        index = pd.MultiIndex.from_arrays([series, times])
    values = pd.Series(frame[spec.column].to_numpy(), index=index)
    made = pd.DataFrame(
        {
            lag_name(spec.column, k): values.reindex(
                pd.MultiIndex.from_arrays([series, times - step * k])
            ).to_numpy()
            for k in spec.periods
        },
        index=frame.index,
    )
    empty = [c for c in made.columns if made[c].isna().all()]
    if empty:
        raise DataError(
            f"{place}.every",
            f"{empty[0]} is missing on every row: no row lies that many steps of {step} back; "
            "give the step's length",
        )
    return made


def _step(every: str | None, times: pd.Series, series: pd.Series, place: str) -> Any:
    """The length of one step: `every`, else the series' regular frequency, else the most
    common gap between consecutive times of a series."""
    if every is not None:
        expected = f"expected a pandas offset such as 1D, 1h or 7D; found {every!r}"
        try:
            step = to_offset(every)
        except ValueError:
            raise SpecError(f"{place}.every", expected) from None
        if step.n <= 0:  # a step of zero or back in time lags a row onto itself or its future
            raise SpecError(
                f"{place}.every", f"expected a step forward in time such as 1D; found {every!r}"
            )
        return step
    distinct = pd.DatetimeIndex(times.drop_duplicates().sort_values())
    with pd.option_context("future.infer_freq_returns_offset", True):
        regular = pd.infer_freq(distinct) if len(distinct) >= 3 else None
    if regular is not None:
        return regular
    gaps = pd.DataFrame({"s": series, "t": times}).sort_values(["s", "t"]).groupby("s")["t"].diff()
    common = gaps[gaps > pd.Timedelta(0)].mode()
    if common.empty:
        raise SpecError(f"{place}.every", "no two times in a series: give the step's length")
    return common.iloc[0]
