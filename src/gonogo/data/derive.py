"""Derived feature groups: signals computed from a column, e.g. the calendar of a date."""

from __future__ import annotations

import pandas as pd

from gonogo.errors import SpecError


def calendar(dates: pd.Series, country: str, place: str, prefix: str = "") -> pd.DataFrame:
    """Day of week, day of year, month, year, weekend and public holiday of each date.

    Day of week and month are categorical: their effect is not a straight line in the number.
    """
    import holidays

    years = sorted({int(y) for y in dates.dt.year.dropna().unique()})
    try:
        days_off = holidays.country_holidays(country, years=years)
    except NotImplementedError:
        raise SpecError(f"{place}.country", f"unknown country code {country!r}") from None
    day = dates.dt.normalize()
    columns = {
        "day_of_week": dates.dt.day_name().astype("category"),
        "day_of_year": dates.dt.day_of_year.astype("float64"),
        "month": dates.dt.month_name().astype("category"),
        "year": dates.dt.year.astype("float64"),
        "weekend": (dates.dt.day_of_week >= 5).astype("float64"),
        "holiday": day.dt.date.map(lambda d: d in days_off).astype("float64"),
    }
    return pd.DataFrame({prefix + name: col for name, col in columns.items()}, index=dates.index)
