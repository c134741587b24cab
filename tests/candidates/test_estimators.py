"""Every heuristic is a scikit-learn estimator: scikit-learn's own checks, minus the few that
ask for what a heuristic deliberately does otherwise (each with its reason)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from gonogo.candidates.baselines import ColumnBaseline, ExpressionBaseline, GroupStatistic
from gonogo.candidates.encode import CategoryCodes
from gonogo.candidates.rule import SimpleRule

TEXT = "reads text columns (categories) as they are: object data is not an error"
BY_NAME = "reads its columns by name, and the check's frame has unnamed ones"

# The checks feed arrays (named x0, x1, ... as a frame) and a numeric label: regression.
ESTIMATORS = [
    GroupStatistic(["x0"], "mean", "regression", (), "baselines[0]"),
    ExpressionBaseline("x0 * 2 + 1", "regression", ()),
    ColumnBaseline("x0", "regression", (), "baselines[0]"),
    SimpleRule("regression", (), "mae", False, 0, []),
    CategoryCodes(),
]
EXPECTED: dict[str, dict[str, str]] = {
    "GroupStatistic": {"check_dtype_object": TEXT, "check_sample_weights_pandas_series": BY_NAME},
    "ExpressionBaseline": {
        "check_dtype_object": TEXT,
        "check_sample_weights_pandas_series": BY_NAME,
    },
    "ColumnBaseline": {"check_dtype_object": TEXT, "check_sample_weights_pandas_series": BY_NAME},
    "SimpleRule": {},
    "CategoryCodes": {
        "check_dtype_object": TEXT,
        "check_n_features_in_after_fitting": "reads its columns by name: extra ones are ignored",
        "check_transformer_preserve_dtypes": "gives a frame of codes, for the model's pipeline",
    },
}


def _expected(estimator: Any) -> dict[str, str]:
    return EXPECTED[type(estimator).__name__]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_scikit_learn_checks(estimator: Any, check: Any) -> None:
    check(estimator)


def test_text_categories_are_read_as_they_are():
    frame = pd.DataFrame({"x0": ["a", "b", "a", "c"]}, dtype=object)
    fitted = GroupStatistic(["x0"], "mean", "regression", (), "p").fit(frame, np.arange(4.0))
    assert fitted.predict_scores(frame).tolist() == [1.0, 1.0, 1.0, 3.0]


def test_a_clone_is_unfitted_and_equal_in_parameters():
    rule = SimpleRule("binary", ("no", "yes"), "roc_auc", True, 3, ["plan"])
    frame = pd.DataFrame({"plan": ["a", "b"] * 20, "calls": np.arange(40.0)})
    rule.fit(frame, (np.arange(40) % 2).astype(float))
    twin = clone(rule)
    assert twin.get_params() == rule.get_params()
    assert not hasattr(twin, "rule_") and hasattr(rule, "rule_")


def test_nothing_is_written_at_predict_time():
    frame = pd.DataFrame({"lag": [1.0, np.nan, 3.0, 4.0]})
    fitted = ColumnBaseline("lag", "regression", (), "p").fit(frame, np.arange(4.0))
    before = dict(vars(fitted))
    fitted.predict_scores(frame)
    fitted.coverage(frame)
    assert vars(fitted).keys() == before.keys()
    assert all(vars(fitted)[k] is v for k, v in before.items())
