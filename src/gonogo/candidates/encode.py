"""Categories as integer codes, learned in `fit`, for the models' preprocessing.

scikit-learn's encoders walk text values one by one in Python; mapping through a pandas
Categorical is one vectorised lookup, which made a churn run's preprocessing several times
faster. Rows of a new table (a server's, later) are mapped by the levels learned here, so a code
means the same level wherever it is computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from gonogo.candidates.predict import as_frame


def codes(values: pd.Series, levels: list[Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each value's position among `levels`; NaN for missing and unseen values."""
    index = pd.Index(levels)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # A missing value's code is -1, which picks the -1 put last.
        lookup = np.append(index.get_indexer(values.cat.categories), -1)
        found = lookup[values.cat.codes.to_numpy()]
    else:
        found = index.get_indexer(values)
    out = found.astype(np.float64)
    out[found < 0] = np.nan
    return out


def as_text(values: pd.Series) -> pd.Series:
    """The values as text, a Categorical of their sorted distinct texts (missing stays
    missing). A category column's levels are converted once, not each row: converting a
    day-of-week column of 260,000 flights row by row cost a rule fit more than its trees did.
    Other columns are converted row by row: values equal to each other (1, 1.0 and True;
    -0.0 and 0.0) have texts of their own, which one conversion per distinct value would
    merge into whichever came first."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("string")
    found, distinct = pd.factorize(values)
    texts = pd.Series(distinct).astype("string")
    levels = sorted(set(texts.dropna()))
    each = pd.Index(levels).get_indexer(pd.Index(texts))
    lookup = np.append(each, -1)  # a missing value's code, -1, picks the -1 put last
    text = pd.Categorical.from_codes(lookup[found], categories=pd.Index(levels, dtype=object))
    return pd.Series(text, index=values.index, name=values.name)


class CategoryCodes(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Each column's levels as codes 0, 1, ...; missing and unseen values are NaN. A column
    with `max_levels` levels or more keeps a code for its `max_levels - 1` most frequent ones
    and gives every other level the last code."""

    def __init__(self, max_levels: int = 250) -> None:
        self.max_levels = max_levels

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value stays missing
        return tags

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoryCodes:
        X = as_frame(X)
        self.n_features_in_ = X.shape[1]
        self.levels_: dict[str, tuple[list[Any], bool]] = {}
        for column in X.columns:
            counts = X[column].value_counts(sort=True)
            counts = counts[counts > 0]
            pooled = len(counts) >= self.max_levels
            kept = counts.index[: self.max_levels - 1] if pooled else counts.index
            self.levels_[str(column)] = (sorted(kept, key=str), pooled)
        self.feature_names_in_ = np.asarray(list(self.levels_), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = as_frame(X)
        missing = [c for c in self.levels_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the columns {missing} seen in fit")
        out = {}
        for column, (levels, pooled) in self.levels_.items():
            found = codes(X[column], levels)
            if pooled:
                found[np.isnan(found) & X[column].notna().to_numpy()] = len(levels)
            out[column] = found
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        return self.feature_names_in_
