"""Derived feature groups: signals computed from a date column, its calendar and its trend."""

from __future__ import annotations

import pandas as pd

from gonogo.errors import SpecError


def calendar(dates: pd.Series, country: str | None, place: str, prefix: str = "") -> pd.DataFrame:
    """Day of week, day of year, month, year and weekend of each date; the hour when the
    timestamps carry a time of day; public holidays when a country is given.

    Day of week and month are categorical: their effect is not a straight line in the number.
    """
    columns = {
        "day_of_week": dates.dt.day_name().astype("category"),
        "day_of_year": dates.dt.day_of_year.astype("float64"),
        "month": dates.dt.month_name().astype("category"),
        "year": dates.dt.year.astype("float64"),
        "weekend": (dates.dt.day_of_week >= 5).astype("float64"),
    }
    if (dates != dates.dt.normalize()).any():
        columns["hour"] = dates.dt.hour.astype("float64")
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
    days: pd.Series = dates.dt.normalize().dt.date.map(lambda d: d in days_off)
    return days.astype("float64")


def trend(dates: pd.Series, prefix: str = "") -> pd.DataFrame:
    """Days elapsed since the first date: trees can follow a level with it, linear models a
    slope. Measured from the start of the data, which is the start of training for a time
    split; for any other split the origin only shifts the values."""
    days = (dates - dates.min()).dt.total_seconds() / 86400.0
    return pd.DataFrame({f"{prefix}trend": days.astype("float64")}, index=dates.index)
