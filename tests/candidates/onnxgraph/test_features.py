"""The calendar in ONNX: whole-day arithmetic against pandas, over centuries and leap days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gonogo.candidates.onnxgraph.builder import Graph
from gonogo.candidates.onnxgraph.check import session
from gonogo.candidates.onnxgraph.features import Features, inputs
from gonogo.data.derive import calendar
from gonogo.data.featurize import Derivation, Featurizer
from gonogo.data.schema import Field, InputSchema

COLUMNS = ("day_of_week", "day_of_year", "month", "year", "hour", "holiday")


def _dates() -> pd.Series:
    """Every leap-day edge (1900 is not a leap year, 2000 is), dates before 1970, random
    times of day, and every day of 2024."""
    edges = [
        "1900-02-28",
        "1900-03-01",
        "1950-01-01",
        "1969-12-31 23:59:59",
        "1970-01-01",
        "2000-02-29",
        "2000-12-31",
        "2100-02-28",
        "2100-03-01 12:30",
        "2100-12-31",
    ]
    rng = np.random.default_rng(0)
    spread = pd.Timestamp("1950-01-01") + pd.to_timedelta(
        rng.integers(0, 150 * 365 * 86_400, 5_000), unit="s"
    )
    days = pd.date_range("2024-01-01", "2024-12-31 06:00", freq="D")
    return pd.Series(
        pd.to_datetime(edges, format="ISO8601").append(spread).append(days), name="when"
    )


def test_the_calendar_equals_pandas_and_the_holiday_table():
    dates = _dates()
    want = calendar(dates, "US", "derive", prefix="c_")
    levels = {
        f"c_{c}": (sorted(want[f"c_{c}"].cat.categories), False) for c in ("day_of_week", "month")
    }
    derived = Derivation(
        "calendar", "calendar", "when", "US", "c_", tuple(f"c_{c}" for c in COLUMNS)
    )
    schema = InputSchema((Field("when", "datetime", False),))
    g = Graph()
    made = Features(g, schema, Featurizer((derived,)), levels)
    outputs = {c: made.column(f"c_{c}") for c in COLUMNS}
    run = session(g.model(inputs(schema, made.featurizer), outputs, {}).SerializeToString())
    seconds = (dates - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    got = dict(zip(COLUMNS, run.run(None, {"when": seconds}), strict=True))
    for c in ("day_of_year", "year", "hour", "holiday"):
        np.testing.assert_array_equal(got[c], want[f"c_{c}"].to_numpy(), err_msg=c)
    for c in ("day_of_week", "month"):
        names = np.asarray(levels[f"c_{c}"][0], dtype=object)[got[c].astype(int)]
        np.testing.assert_array_equal(names, want[f"c_{c}"].astype(str).to_numpy(), err_msg=c)
    assert got["holiday"].sum() > 100  # the table knows the holidays of the years asked


@pytest.mark.parametrize("code", [0, 1])
def test_an_unseen_month_has_no_code(code):
    """A month the model never saw (data of one season) is missing to it, not a wrong code."""
    levels = {"month": (["January", "March"][code:], False)}
    derived = Derivation("calendar", "calendar", "when", None, "", ("month",))
    schema = InputSchema((Field("when", "datetime", False),))
    g = Graph()
    made = Features(g, schema, Featurizer((derived,)), levels)
    run = session(
        g.model(
            inputs(schema, made.featurizer), {"m": made.column("month")}, {}
        ).SerializeToString()
    )
    feb, mar = (
        (pd.Timestamp(d) - pd.Timestamp("1970-01-01")).total_seconds()
        for d in ("2020-02-01", "2020-03-01")
    )
    got = run.run(None, {"when": np.array([feb, mar])})[0]
    assert np.isnan(got[0]) and got[1] == 1 - code
