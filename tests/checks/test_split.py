import numpy as np
import pandas as pd

from gonogo.checks import leakage
from gonogo.checks.split import entity_over_time, fewer_origins, one_stretch, optimism
from tests.conftest import ROOT, bound


def _trend(n=700, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame(
        {
            "day": pd.date_range("2020-01-01", periods=n),
            "odometer": t + rng.normal(scale=3, size=n),
            "y": 0.05 * t + rng.normal(scale=1, size=n),
        }
    )


def test_a_random_split_that_flatters_the_model_warns():
    problem, ds, split = bound(_trend(), data={"time": "day"}, split={"strategy": "random"})
    (found,) = optimism(problem, ds, split)
    assert (found.check, found.severity) == ("split.optimism", "warn")
    assert found.evidence["random"] < found.evidence["time"]  # mae: random looks better
    assert found.evidence["relative"] > 0.10
    assert "will not hold in production" in found.message


def test_under_the_time_split_the_flattery_is_said_not_warned():
    """The run's estimates already hold; the drift the random split hides is information."""
    problem, ds, split = bound(_trend(), data={"time": "day"})
    assert split.strategy == "time"
    (found,) = optimism(problem, ds, split)
    assert (found.check, found.severity) == ("split.optimism", "info")
    assert "expect drift and plan retraining" in found.message


def test_stationary_data_is_not_flagged():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"day": pd.date_range("2020-01-01", periods=700), "x": rng.normal(size=700)}
    )
    frame["y"] = frame["x"] * 2 + rng.normal(size=700)
    problem, ds, split = bound(frame, data={"time": "day"})
    assert optimism(problem, ds, split) == []


def _panel(**split):
    """Texas home sales per city and month: a panel, with both an entity and a time."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "txhousing.parquet")
    label = {"column": "sales", "task": "regression"}
    return bound(frame, label=label, data={"time": "date", "entity": "city"}, **split)


def test_a_panel_split_by_entity_says_so_and_how_to_forecast_its_future():
    problem, ds, split = _panel()
    (found,) = entity_over_time(problem, ds, split)
    assert (found.check, found.severity, found.columns) == (
        "split.by_entity",
        "info",
        ("city", "date"),
    )
    assert found.message.endswith("set split.strategy: time")
    assert leakage.entity_overlap(problem, ds, split) == []


def test_a_panel_split_by_time_forecasts_the_same_entities_without_a_block():
    problem, ds, split = _panel(split={"strategy": "time"})
    assert split.strategy == "time"
    assert entity_over_time(problem, ds, split) == []
    assert leakage.entity_overlap(problem, ds, split) == []  # 46 cities on both sides, by design
    problem, ds, split = _panel(split={"strategy": "random"})
    (found,) = leakage.entity_overlap(problem, ds, split)
    assert (
        found.severity == "block" and "or 'time' to forecast the same ones' future" in found.message
    )


def test_a_small_series_judged_on_one_stretch_says_so():
    """Four months of 100 rows: the last month is the holdout, and rows of one time stay in
    one rolling origin."""
    frame = _trend(400)
    frame["day"] = np.repeat(pd.date_range("2020-01-01", periods=4, freq="MS"), 100)
    problem, ds, split = bound(frame, data={"time": "day"})
    (found,) = one_stretch(problem, ds, split)
    assert (found.check, found.severity, found.evidence) == (
        "split.one_stretch",
        "warn",
        {"rows": 100},
    )
    assert "the last 100 rows (from 2020-04-01): they share 1 time(s) of day" in found.message
    # 116 and 700 days make three origins; a random split repeats K-fold: neither rests on
    # one stretch.
    assert one_stretch(*bound(_trend(116), data={"time": "day"})) == []
    assert one_stretch(*bound(_trend(700), data={"time": "day"})) == []
    assert one_stretch(*bound(_trend(116))) == []


def test_a_panel_of_years_judged_on_its_last_says_which_holdout_tests_three():
    """wagepan's eight years: the default holdout is the last year, one stretch. The finding
    names the holdout that covers three years (six years of arrests were judged on their last,
    5% of the rows, and told that more history would help), and that holdout makes three
    origins; asked for five, the origins it makes are said."""
    from tests.fixtures.make_fixtures import HERE, SPECS

    frame, yearly = pd.read_parquet(HERE / "wagepan.parquet"), {"data": {"time": "year"}}
    (found,) = one_stretch(*bound(frame, **SPECS["wagepan"], **yearly))
    assert found.message.endswith(
        "split.holdout: 0.40 covers the last 3 times of 8, one rolling origin each"
    )
    problem, ds, split = bound(frame, **SPECS["wagepan"], **yearly, split={"holdout": 0.4})
    assert len(split.outer) == 3 and one_stretch(problem, ds, split) == []
    asked = {"holdout": 0.4, "outer": 5}
    (said,) = fewer_origins(*bound(frame, **SPECS["wagepan"], **yearly, split=asked))
    assert said.evidence == {"asked": 5, "made": 3} and "hold 3 time(s) of year" in said.message
