"""Lags from the spec, on Texas home sales per city and month (ggplot2::txhousing), whose
fixture carries the same lags made by hand (joined on city and month)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gonogo import DataError, SpecError
from gonogo.data.dataset import bind
from gonogo.problem import BaselineSpec, hypotheses, running
from tests.conftest import spec


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return pd.read_parquet(Path(__file__).parents[1] / "fixtures" / "txhousing.parquet")


def _spec(**lags):
    derive = {"past": {"column": "sales", "by": "city", "periods": [1, 12], **lags}}
    return spec(
        data={"time": "date"},
        label={"column": "sales"},
        features={"known": ["listings_last_month", "median_last_month"]},
        derive=derive,
    )


def test_lags_read_the_same_series_exactly_that_many_steps_back(sales):
    ds = bind(_spec(), sales.sample(frac=1.0, random_state=0))  # row order does not matter
    assert ds.groups["past"] == ("sales_lag_1", "sales_lag_12")
    raw = ds.raw.set_index(["city", "date"])
    for lag, by_hand in (("sales_lag_1", "sales_last_month"), ("sales_lag_12", "sales_last_year")):
        known = raw[lag].notna()
        assert known.mean() > 0.9
        np.testing.assert_array_equal(raw.loc[known, lag], raw.loc[known, by_hand])
    # Where the row a month back is not in the table, the lag is missing, not an older row.
    months = raw.index.to_frame(index=False)
    back = pd.MultiIndex.from_arrays([months["city"], months["date"] - pd.DateOffset(months=1)])
    assert (raw["sales_lag_1"].isna().to_numpy() == ~back.isin(raw.index)).all()


def test_no_lag_reads_a_row_after_the_one_it_serves(sales):
    cut = pd.Timestamp("2010-01-01")
    changed = sales.assign(sales=sales["sales"].where(sales["date"] < cut, sales["sales"] * 1000))
    before = bind(_spec(periods=[1, 12]), sales).raw
    after = bind(_spec(periods=[1, 12]), changed).raw
    early = before["date"] < cut + pd.DateOffset(months=1)  # a 1-month lag there reads < cut
    lags = ["sales_lag_1", "sales_lag_12"]
    pd.testing.assert_frame_equal(before.loc[early, lags], after.loc[early, lags])
    assert not before.loc[~early, lags].equals(after.loc[~early, lags])  # the change is seen


def test_a_period_inside_the_horizon_is_refused():
    message = r"^crafted.yaml: derive.past: period 1 is inside the horizon 3: that row is not known when the prediction is made$"
    with pytest.raises(SpecError, match=message):
        _spec(horizon=3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"derive": {"p": {"column": "sales", "periods": [1]}}}, "lags need data.time"),
        (
            {"derive": {"p": {"column": "sales", "periods": []}}},
            "need a `column` and its `periods`",
        ),
        ({"derive": {"p": {"from": "date", "periods": [1]}}}, "periods goes with lags"),
    ],
)
def test_a_malformed_lags_group_is_a_spec_error(fields, message):
    with pytest.raises(SpecError, match=message):
        spec(**fields)


def test_a_series_that_repeats_a_time_is_refused(sales):
    problem = spec(
        data={"time": "date"},
        label={"column": "sales"},
        derive={"past": {"column": "sales", "periods": [1]}},  # no `by`: one series of cities
    )
    with pytest.raises(
        DataError, match=r"derive.past: time 2001-01-01 00:00:00 repeats in a series: lags need one"
    ):
        bind(problem, sales)


def test_a_table_whose_index_repeats_gets_the_same_lags(sales):
    halves = pd.concat([sales.iloc[:3700], sales.iloc[3700:].set_axis(range(3700))])
    assert halves.index.has_duplicates
    again = bind(_spec(), halves).raw
    pd.testing.assert_frame_equal(again, bind(_spec(), sales).raw)


def test_month_end_series_step_by_calendar_months(sales):
    # Month-end dates with a month missing: no regular frequency, and 28 to 31 days apart.
    ends = sales.assign(date=sales["date"] + pd.offsets.MonthEnd(0))
    ends = ends[ends["date"] != pd.Timestamp("2005-06-30")]
    raw = bind(_spec(), ends).raw.set_index(["city", "date"])
    known = raw["sales_lag_1"].notna()
    assert known.mean() > 0.9
    np.testing.assert_array_equal(raw.loc[known, "sales_lag_1"], raw.loc[known, "sales_last_month"])
    july = raw.xs(pd.Timestamp("2005-07-31"), level="date")
    assert july["sales_lag_1"].isna().all()  # June is not in the table: missing, not May


def test_a_step_that_matches_no_row_is_named(sales):
    with pytest.raises(DataError, match=r"derive.past.every: sales_lag_1 is missing on every row"):
        bind(_spec(every="5D"), sales)


@pytest.mark.parametrize("every", ["0MS", "-1MS"])
def test_a_step_that_is_not_forward_in_time_is_refused(sales, every):
    # A step of zero made sales_lag_1 the label itself (a "+84% go" on Seatbelts).
    with pytest.raises(SpecError, match=rf"derive.past.every: .* found '{every}'"):
        bind(_spec(every=every), sales)


def test_lags_read_the_time_column_as_data_time_is_read(sales):
    """Years as whole numbers step a year back; other numbers are named as data.time's error,
    not as a lag's (a day count with gaps read 'time nan repeats in a series')."""
    yearly = sales[sales["date"].dt.month == 1].assign(year=lambda f: f["date"].dt.year)
    problem = spec(
        data={"time": "year"},
        label={"column": "sales"},
        features={"known": ["listings_last_month"]},
        derive={"past": {"column": "sales", "by": "city", "periods": [1]}},
    )
    raw = bind(problem, yearly.drop(columns=["date"])).raw
    abilene = raw[raw["city"] == "Abilene"].sort_values("year")
    assert abilene["sales_lag_1"].iloc[1:].tolist() == abilene["sales"].iloc[:-1].tolist()
    days = yearly.drop(columns=["date"]).assign(year=lambda f: np.arange(len(f)) % 97 + 1.0)
    with pytest.raises(DataError, match=r"^crafted.yaml: data.time: column 'year' holds numbers"):
        bind(problem, days)


def test_a_baseline_on_a_lag_is_a_heuristic_not_an_existing_system(sales):
    """ "Same month last year" made by the spec's lags is the series' own past: launched, not
    kept, and its column stays in its lag group, not in a group of its own. The same values
    in a column of the table are what a system in use produced."""
    lag = {"name": "lag", "column": "sales_lag_12"}
    made = _spec().model_copy(update={"baselines": [BaselineSpec(**lag)]})
    ds = bind(made, sales)
    assert running(made) == frozenset() and "lag" not in ds.groups
    assert ds.groups["past"] == ("sales_lag_1", "sales_lag_12")
    assert ds.schema.names[-2:] == ["sales_lag_1", "sales_lag_12"]  # a request carries them
    assert not any("existing system" in h.name for h in hypotheses(made))
    given = {"name": "given", "column": "sales_last_year"}
    table = _spec().model_copy(update={"baselines": [BaselineSpec(**given)]})
    assert running(table) == {"given"} and bind(table, sales).groups["given"] == (
        "sales_last_year",
    )
