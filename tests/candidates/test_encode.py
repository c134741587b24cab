"""Category codes: a level's position, NaN for a missing or unseen value, in any dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gonogo.candidates.encode import as_text, codes


def test_codes_of_text_and_of_categories_agree():
    values = ["b", None, "z", "a", "b"]
    want = [1.0, np.nan, np.nan, 0.0, 1.0]
    np.testing.assert_array_equal(codes(pd.Series(values, dtype=object), ["a", "b"]), want)
    np.testing.assert_array_equal(codes(pd.Series(values, dtype="category"), ["a", "b"]), want)


def test_a_category_column_of_only_missing_values_has_no_codes():
    """One request row whose category is missing: a categorical with no categories at all."""
    only_missing = pd.Series([np.nan], dtype="category")
    assert np.isnan(codes(only_missing, ["female", "male"])).all()


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([3, 1, None, 3, 10]),
        pd.Series(["b", "a", None, "b"], dtype="category"),
        pd.Series([1, "1", "x", None], dtype=object),  # two values, one text
        pd.Series([1.0, 1, True, "a"], dtype=object),  # equal values, three texts
        pd.Series([True, 1.0, 1, "a"], dtype=object),  # the same, in another order
        pd.Series([-0.0, 0.0, 0.5]),
        pd.Series(pd.Categorical([1, "1", "b", None])),  # two levels, one text
        pd.Series(np.array([0.1, 0.1], dtype=np.float32)),
        pd.Series(pd.to_datetime(["2020-01-01", None])),
        pd.Series([], dtype=float),
    ],
)
def test_text_of_the_distinct_values_is_the_text_of_each_row(values):
    text, each = as_text(values), values.astype("string")
    assert text.isna().tolist() == each.isna().tolist()
    assert text.dropna().astype(str).tolist() == each.dropna().astype(str).tolist()
    assert list(text.cat.categories) == sorted(each.dropna().unique())
    levels = sorted(each.dropna().unique())[::-1]
    np.testing.assert_array_equal(codes(text, levels), codes(each, levels))
