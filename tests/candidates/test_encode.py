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
        pd.Series([True, False, None], dtype=object),
        pd.Series([], dtype=float),
    ],
)
def test_text_of_the_distinct_values_is_the_text_of_each_row(values):
    text, each = as_text(values), values.astype("string")
    assert text.isna().tolist() == each.isna().tolist()
    assert text.dropna().astype(str).tolist() == each.dropna().astype(str).tolist()
    assert list(text.cat.categories) == sorted(each.dropna().unique())
