"""Derived feature groups: signals computed from a date column, its calendar and its trend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gonogo.errors import SpecError

_DAY = ["day_of_week", "day_of_year", "month", "year"]
_MONTH = {"month", "year"}
_YEAR = pd.Timedelta(days=365)
_CYCLE = {
    "day_of_week": pd.Timedelta(days=7),
    "day_of_year": _YEAR,
    "month": _YEAR,
    "year": _YEAR,
    "hour": pd.Timedelta(days=1),
}


def calendar_columns(
    hours: bool, holidays: bool, days: bool = True, span: pd.Timedelta | None = None
) -> list[str]:
    """The calendar's columns: the hour when timestamps carry a time of day, public holidays
    when a country is given; only the month and year when the dates are not `days` (monthly
    data, every date on the 1st: its weekday is no signal, and a holiday only New Year's).
    A cyclic part needs dates that `span` at least two of its cycles: seen once, a month is
    one stretch of time, its effect the level of that stretch, and a later month never seen
    in training has no effect to learn (hourly weather of one year, tested on its last ten
    weeks, lost 40% to the same hour yesterday with the calendar, and won 11% without it).
    The year is no cycle, but the same holds: within a year and a few hours (New York's
    flights of 2013 in UTC) it is a constant to learn from, every test year a new level."""
    wanted = (
        [c for c in _DAY if days or c in _MONTH]
        + ["hour"] * hours
        + ["holiday"] * (holidays and days)
    )
    return [c for c in wanted if span is None or span >= 2 * _CYCLE.get(c, pd.Timedelta(0))]


def calendar(dates: pd.Series, country: str | None, place: str, prefix: str = "") -> pd.DataFrame:
    """Day of week, day of year, month, year and time of day of each date; public holidays when a
    country is given. Each value depends on its own date only, so a row gets the same calendar
    whichever table it arrives in.

    Day of week and month are categorical: their effect is not a straight line in the number.
    No weekend flag: every model reads the day of week as a category (one-hot columns for a
    linear model, category splits for gradient boosting and the simple rule), so Saturday and
    Sunday together are already one split or one sum of two columns; the flag was a column
    more in every fit and every check, for nothing a model could not say.
    """
    columns = {
        "day_of_week": dates.dt.day_name().astype("category"),
        "day_of_year": dates.dt.day_of_year.astype("float64"),
        "month": dates.dt.month_name().astype("category"),
        "year": dates.dt.year.astype("float64"),
        # The time of day in hours, to the minute (7.5 is half past seven): data every five
        # minutes has its slots (a bank's calls per weekday and slot beat those per hour by 10%).
        "hour": (dates.dt.hour * 60 + dates.dt.minute).astype("float64") / 60.0,
    }
    if country is not None:
        columns["holiday"] = _holidays(dates, country, place)
    return pd.DataFrame({prefix + name: col for name, col in columns.items()}, index=dates.index)


def _holidays(dates: pd.Series, country: str, place: str) -> pd.Series:
    import holidays

    years = sorted({int(y) for y in dates.dt.year.dropna().unique()})
    try:
        days_off = holidays.country_holidays(country, years=years)
    except NotImplementedError:
        raise SpecError(f"{place}.country", f"unknown country code {country!r}") from None
    day = dates.dt.normalize()  # on the training dates' clock, without a zone (Featurizer)
    # One vectorized lookup: asking the holiday table date by date took 10 s on 2M rows.
    off: pd.Series = day.isin(pd.DatetimeIndex(sorted(days_off))).astype("float64")
    return off


PROBE = 5_000  # evenly spaced rows on which a calendar column's echo is looked for first


def echoes(calendar: pd.DataFrame, table: pd.DataFrame) -> dict[str, str]:
    """Each calendar column that a column of `table` already holds, one to one (a weekday as
    1-7 beside Monday-Sunday, the table's own month or year), and that column: a second copy
    measures nothing as a hypothesis and costs every fit a column. Looked for on evenly
    spaced rows, and confirmed on all of them."""
    rows = np.unique(np.linspace(0, len(table) - 1, min(len(table), PROBE)).astype(np.intp))
    found = {}
    for part in calendar.columns:
        same = (
            c
            for c in table.columns
            if _paired(calendar[part].iloc[rows], table[c].iloc[rows])
            and _paired(calendar[part], table[c])
        )
        column = next(same, None)
        if column is not None:
            found[str(part)] = str(column)
    return found


def _paired(a: pd.Series, b: pd.Series) -> bool:
    """Whether each value of `a` goes with one value of `b` and back (missing is a value),
    over at least two values."""
    x = pd.factorize(a.to_numpy(), use_na_sentinel=False)[0].astype(np.int64)
    y = pd.factorize(b.to_numpy(), use_na_sentinel=False)[0].astype(np.int64)
    kinds = int(x.max(initial=-1)) + 1
    if kinds < 2 or kinds != int(y.max(initial=-1)) + 1:
        return False
    return len(np.unique(x * kinds + y)) == kinds


def trend(dates: pd.Series, origin: pd.Timestamp, prefix: str = "") -> pd.DataFrame:
    """Days elapsed since `origin`, the first date of the data the trend was learned on:
    trees can follow a level with it, linear models a slope. Any origin only shifts the
    values; a fixed one makes the trend a function of the row alone."""
    days = (dates - origin).dt.total_seconds() / 86400.0
    return pd.DataFrame({f"{prefix}trend": days.astype("float64")}, index=dates.index)
