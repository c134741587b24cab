"""A calendar column is an echo of a table's column when each value of one goes with one value
of the other and back, whatever the codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gonogo.data.derive import calendar, echoes


def test_an_echo_is_one_to_one_whatever_the_codes_and_only_then():
    days = pd.Series(pd.date_range("2019-01-01", periods=800, freq="D"))
    parts = calendar(days, None, "test")
    table = pd.DataFrame(
        {
            "x": np.arange(800) % 5,
            "weekday": days.dt.day_of_week + 1,  # 1-7 against Monday-Sunday
            "month_text": days.dt.strftime("%b"),
            "week": days.dt.isocalendar().week.to_numpy(),  # more than the months, fewer rows
            # Three years, one of them missing: missing is a value.
            "yearish": days.dt.year.map({2019: "a", 2020: None, 2021: "c"}),
        }
    )
    found = echoes(parts, table)
    assert found == {"day_of_week": "weekday", "month": "month_text", "year": "yearish"}
    # One day off in one row is no echo: the table's column says something else there.
    off = table.assign(weekday=table["weekday"].where(table.index != 700, 9))
    assert "day_of_week" not in echoes(parts, off)
    # A constant is no echo of a constant.
    assert echoes(parts[["year"]].iloc[:10], table[["yearish"]].iloc[:10]) == {}
