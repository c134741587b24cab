from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from gonogo import DataError, SpecError
from gonogo.data.dataset import load
from gonogo.data.split import make_split
from tests.conftest import ROOT, bound, noise_frame


def test_the_time_split_keeps_the_future_out(chicago_problem):
    ds = load(chicago_problem)
    split = make_split(chicago_problem, ds)
    dates = ds.frame["date"]
    assert split.strategy == "time" and len(split.holdout) == 1140
    assert dates.iloc[split.train].max() < dates.iloc[split.holdout].min()
    for train, val in split.folds:
        assert dates.iloc[train].max() < dates.iloc[val].min()
        assert set(val) <= set(split.train)


def test_the_group_split_keeps_entities_apart():
    frame = noise_frame(400).assign(shop=np.repeat(np.arange(40), 10))
    _, ds, split = bound(frame, data={"entity": "shop"})
    shops = ds.frame["shop"]
    assert split.strategy == "group"
    assert not set(shops.iloc[split.train]) & set(shops.iloc[split.holdout])
    for train, val in split.folds:
        assert not set(shops.iloc[train]) & set(shops.iloc[val])


def test_the_random_split_is_stratified():
    frame = noise_frame(1000)
    frame["y"] = (np.arange(1000) % 10 == 0).astype(int)  # 10% positives
    _, ds, split = bound(frame)
    assert ds.y[split.holdout].mean() == pytest.approx(0.1, abs=0.005)


def test_rows_sharing_a_timestamp_stay_together():
    frame = pd.DataFrame(
        {
            "d": pd.date_range("2020-01-01", periods=50).repeat(4),
            "x": np.arange(200.0),
            "y": np.arange(200.0),
        }
    )
    _, ds, split = bound(frame, data={"time": "d"})
    assert ds.frame["d"].iloc[split.train].max() < ds.frame["d"].iloc[split.holdout].min()


def test_inner_folds_validate_one_outer_block_ahead_on_a_panel():
    """Texas home sales, 46 cities a month: the rolling origins test about ten months each,
    so inner CV validates the last three such blocks of the training part (not a quarter of
    the history each, three years ahead), and no month has cities on both sides of a cut."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "txhousing.parquet")
    _, ds, split = bound(frame, data={"time": "date"}, label={"column": "sales"})
    dates = ds.frame["date"]
    block = len(split.holdout) / len(split.outer)
    assert len(split.outer) == 3 and len(split.folds) == 3
    assert split.folds[-1][1][-1] == split.train[-1]
    for train, val in split.folds:
        assert abs(len(val) - block) < 46  # one month of cities at most
        assert dates.iloc[train].max() < dates.iloc[val].min()
    for (train, val), (after, _) in pairwise(split.folds):
        assert len(train) + len(val) == len(after)  # each trained on every row before its block


def test_a_short_series_is_tested_over_its_last_half_in_three_origins():
    """116 days: a 20% holdout (24 rows) is too short for three origins of 30 rows; the
    origins test (about) the last half instead, 19 days each, every one trained on all days
    before it, and settings are chosen inside the first origin's training days."""
    _, _, split = bound(_days(116), data={"time": "d"}, split={"holdout": 0.2})
    assert split.scheme == "rolling origins" and len(split.holdout) == 57
    assert [len(f.test) for f in split.outer] == [19, 19, 19]
    assert [len(f.train) for f in split.outer] == [59, 78, 97]
    assert np.array_equal(split.train, np.arange(59))
    assert all(val[-1] < 59 for _, val in split.folds)
    # 300 days: a 20% holdout (60) grows to three origins of 30; a 30% one is left as asked.
    for holdout, tested in ((0.2, 90), (0.3, 90), (0.4, 120)):
        _, _, split = bound(_days(300), data={"time": "d"}, split={"holdout": holdout})
        assert len(split.holdout) == tested and len(split.outer) == 3


def _days(n):
    return pd.DataFrame(
        {
            "d": pd.date_range("2020-01-01", periods=n),
            "x": np.arange(n * 1.0),
            "y": np.arange(n * 1.0),
        }
    )


def test_a_last_period_larger_than_the_holdout_is_held_out_whole():
    # Loans by month of issue: the last of three months holds 36% of the rows. Moving the cut
    # forward to keep March on one side left nothing to test.
    months = pd.to_datetime(["2018-01-01"] * 300 + ["2018-02-01"] * 340 + ["2018-03-01"] * 360)
    frame = pd.DataFrame({"m": months, "x": np.arange(1000.0), "y": np.arange(1000.0) % 7})
    _, ds, split = bound(frame, data={"time": "m"}, split={"holdout": 0.2})
    assert len(split.holdout) == 360 and len(split.train) == 640
    assert (ds.frame["m"].iloc[split.holdout] == pd.Timestamp("2018-03-01")).all()


@pytest.mark.parametrize("last", [900, 1000])
def test_a_last_period_that_is_most_of_the_data_is_one_line(last):
    months = pd.to_datetime(["2018-01-01"] * (1000 - last) + ["2018-02-01"] * last)
    frame = pd.DataFrame({"m": months, "x": np.arange(1000.0), "y": np.arange(1000.0) % 7})
    with pytest.raises(
        DataError,
        match=rf"crafted.yaml: data.time: the last period of column 'm' holds {last // 10}% of the rows",
    ):
        bound(frame, data={"time": "m"}, split={"holdout": 0.2})


def test_a_time_split_needs_a_time_column():
    with pytest.raises(SpecError, match="split.strategy: 'time' needs data.time to name a column"):
        bound(noise_frame(), split={"strategy": "time"})


def test_an_entity_outranks_time_by_default():
    frame = noise_frame(400).assign(
        shop=np.repeat(np.arange(40), 10), day=np.tile(pd.date_range("2021-01-01", periods=10), 40)
    )
    _, ds, split = bound(frame, data={"time": "day", "entity": "shop"})
    assert split.strategy == "group"
    assert not set(ds.frame["shop"].iloc[split.train]) & set(ds.frame["shop"].iloc[split.holdout])


def test_a_last_training_month_longer_than_the_window_still_gives_inner_folds():
    """Loans by month of issue: 300 in January, 500 in February, then 50 a month, the last
    four held out. The inner window (three blocks as long as the test's) starts inside
    February; moved forward to a change of month it left nothing to validate on, and the run
    stopped for want of folds."""
    counts = {"2018-01-01": 300, "2018-02-01": 500} | {f"2018-0{m}-01": 50 for m in range(3, 7)}
    months = pd.to_datetime([m for m, n in counts.items() for _ in range(n)])
    frame = pd.DataFrame({"m": months, "x": np.arange(1000.0), "y": np.arange(1000.0) % 7})
    _, ds, split = bound(frame, data={"time": "m"}, split={"holdout": 0.2})
    assert len(split.holdout) == 200 and len(split.outer) == 3
    ((train, val),) = split.folds
    assert (ds.frame["m"].iloc[train] == months[0]).all()
    assert (ds.frame["m"].iloc[val] == months[300]).all() and len(val) == 500
