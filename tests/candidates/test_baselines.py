import numpy as np
import pandas as pd
import pytest

from gonogo import SpecError
from gonogo.candidates.baselines import ColumnBaseline, GroupStatistic


def test_a_group_statistic_learns_on_training_rows_and_falls_back():
    train = pd.DataFrame({"day": ["Mon", "Mon", "Sun", "Sun", "Sun"]})
    y = np.array([10.0, 14.0, 2.0, 3.0, 100.0])
    est = GroupStatistic(["day"], "median", "regression", (), "b").fit(train, y)
    pred = est.predict_scores(pd.DataFrame({"day": ["Sun", "Mon", "Holiday"]}))
    assert pred[:2].tolist() == [3.0, 12.0]
    assert pred[2] == pytest.approx(y.mean()) and est.fallback_rate_ == pytest.approx(1 / 3)


def test_a_multiclass_rate_table_gives_probabilities():
    train = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    est = GroupStatistic(["g"], "rate", "multiclass", ("x", "y", "z"), "b").fit(
        train, np.array([0.0, 2, 1, 1])
    )
    assert est.predict_scores(pd.DataFrame({"g": ["a", "b"]})).tolist() == [
        [0.5, 0, 0.5],
        [0, 1, 0],
    ]


def test_an_existing_system_column_may_hold_labels_or_scores():
    labels = ColumnBaseline("pred", "binary", ("no", "yes"), "b").fit(
        pd.DataFrame(), np.array([0.0, 1.0])
    )
    frame = pd.DataFrame({"pred": ["yes", "no", None]})
    assert labels.predict_scores(frame).tolist() == [1.0, 0.0, 0.5]
    frame = pd.DataFrame({"pred": [0.2, 0.9, 0.4]})
    assert labels.predict_scores(frame).tolist() == [0.2, 0.9, 0.4]


def test_values_that_are_neither_labels_nor_scores_are_an_input_error():
    est = ColumnBaseline("pred", "binary", ("no", "yes"), "baselines[2]").fit(
        pd.DataFrame(), np.array([0.0, 1.0])
    )
    with pytest.raises(SpecError, match=r"baselines\[2\]: yields values that are neither"):
        est.predict_scores(pd.DataFrame({"pred": [3.0, 7.0]}))
