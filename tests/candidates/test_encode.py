"""Category codes: a level's position, NaN for a missing or unseen value, in any dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gonogo.candidates.encode import codes


def test_codes_of_text_and_of_categories_agree():
    values = ["b", None, "z", "a", "b"]
    want = [1.0, np.nan, np.nan, 0.0, 1.0]
    np.testing.assert_array_equal(codes(pd.Series(values, dtype=object), ["a", "b"]), want)
    np.testing.assert_array_equal(codes(pd.Series(values, dtype="category"), ["a", "b"]), want)


def test_a_category_column_of_only_missing_values_has_no_codes():
    """One request row whose category is missing: a categorical with no categories at all."""
    only_missing = pd.Series([np.nan], dtype="category")
    assert np.isnan(codes(only_missing, ["female", "male"])).all()
