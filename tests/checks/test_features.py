import numpy as np
import pandas as pd

from gonogo.checks import features
from tests.conftest import bound, noise_frame


def _frame():
    frame = noise_frame(600)
    frame["flat"] = 7.0
    frame.loc[:299, "x1"] = np.nan
    frame["shop"] = [f"shop-{i % 120}" for i in range(600)]
    return frame


def test_missing_and_high_cardinality_features_are_found_and_constant_ones_left_out():
    problem, ds, split = bound(_frame())
    found = {f.check: f for c in features.CHECKS for f in c(problem, ds, split)}
    assert "flat" not in ds.features and ds.unused["flat"] == "constant"
    assert found["features.missing"].severity == "warn"
    assert found["features.missing"].evidence["fractions"] == {"x1": 0.5}
    assert found["features.high_cardinality"].evidence["levels"] == {"shop": 120}


def test_a_few_missing_values_are_never_said_as_none():
    frame = noise_frame(2000)
    frame.loc[:3, "x1"] = np.nan  # 0.2% of the rows
    frame.loc[0, "x2"] = np.nan  # one row: 0.05%
    problem, ds, split = bound(frame)
    (found,) = features.missing(problem, ds, split)
    assert found.severity == "info"
    assert found.message.startswith("missing values: x1 0.2%, x2 under 0.1%;")


def test_clean_features_raise_nothing():
    problem, ds, split = bound(noise_frame(600))
    assert [f for c in features.CHECKS for f in c(problem, ds, split)] == []


def test_dates_read_with_an_inferred_format_are_said():
    days = pd.date_range("2020-01-01", periods=300, freq="D")
    frame = noise_frame(300).assign(day=days.strftime("%d.%m.%y"))
    problem, ds, split = bound(frame, data={"time": "day"})
    (found,) = features.dates_read(problem, ds, split)
    assert (found.check, found.severity, found.columns) == ("features.dates_read", "info", ("day",))
    assert "day read as dates in the format '%d.%m.%y', inferred" in found.message
    given = bound(frame, data={"time": "day", "date_format": "%d.%m.%y"})
    assert features.dates_read(*given) == []
    # `mixed`: the format of the values ISO does not read is inferred, and said.
    mixed = bound(frame, data={"time": "day", "date_format": "mixed"})
    assert [f.evidence for f in features.dates_read(*mixed)] == [{"format": "%d.%m.%y"}]
    for unambiguous in (days, days.strftime("%Y-%m-%d")):  # typed, and ISO 8601
        assert (
            features.dates_read(*bound(frame.assign(day=unambiguous), data={"time": "day"})) == []
        )
