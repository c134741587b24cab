"""One prediction format for every candidate, whatever kind of estimator it is.

Regression: the value. Binary: the probability of the positive class. Multiclass: an
(n, classes) probability matrix, columns in class-code order even when a fold lacked a class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gonogo.errors import SpecError
from gonogo.metrics import Array


def as_frame(X: Any) -> pd.DataFrame:
    """Rows as a frame: a DataFrame as it is, an array's columns named x0, x1, ... (checked
    as scikit-learn checks arrays: two-dimensional, not empty, not sparse, not complex)."""
    if isinstance(X, pd.DataFrame):
        return X
    from sklearn.utils import check_array

    values = check_array(X, dtype=None, ensure_all_finite=False)
    return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])])


def fit_inputs(X: Any, y: Any, weights: Any) -> tuple[pd.DataFrame, Array, Array | None]:
    """What a heuristic's `fit` takes, checked: rows as a frame, one label and at most one
    non-negative, not all zero, weight per row."""
    frame = as_frame(X)
    labels = np.asarray(y, dtype=np.float64)
    if labels.shape != (len(frame),):
        raise ValueError(f"y has shape {labels.shape}; expected ({len(frame)},)")
    if weights is None:
        return frame, labels, None
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(frame),):
        raise ValueError(f"sample_weight has shape {w.shape}; expected ({len(frame)},)")
    if (w < 0).any() or not w.any():
        raise ValueError("sample_weight must be non-negative and not all zero")
    return frame, labels, w


def scores(estimator: Any, X: pd.DataFrame, task: str, n_classes: int) -> Array:
    """The estimator's predictions for X in the common format."""
    if hasattr(estimator, "predict_scores"):
        return np.asarray(estimator.predict_scores(X), dtype=np.float64)
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype=np.float64)
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    full = np.zeros((len(X), n_classes))
    for j, cls in enumerate(estimator.classes_):
        full[:, int(cls)] = proba[:, j]
    return full[:, 1] if task == "binary" else full


def _numbers(values: pd.Series) -> pd.Series | None:
    """The values as numbers, or None when some are not numbers."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    numeric = pd.to_numeric(values, errors="coerce")
    return numeric if numeric.notna().equals(values.notna()) else None


def is_score(values: pd.Series) -> bool:
    """Numbers reaching outside [0, 1]: a score to rank or calibrate, not a probability."""
    numeric = None if _is_classes_text(values) else _numbers(values)
    return numeric is not None and not bool(numeric.dropna().between(0, 1).all())


def _is_classes_text(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _binary(values: pd.Series, classes: tuple[str, ...], place: str) -> Array:
    text = values.astype("string")
    if _is_classes_text(values) and text.dropna().isin(classes).all():
        positive = (text == classes[-1]).to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(positive)
    numeric = _numbers(values)
    if numeric is not None and numeric.dropna().between(0, 1).all():
        return numeric.to_numpy(np.float64)
    if numeric is not None:
        outside = numeric[~numeric.between(0, 1) & numeric.notna()].iloc[0]
        raise SpecError(
            place,
            f"yields scores outside [0, 1], e.g. {outside!r}, where probabilities are expected",
        )
    neither = pd.to_numeric(values, errors="coerce").isna() & ~text.isin(classes) & values.notna()
    odd = values[neither].iloc[0]
    raise SpecError(
        place,
        f"yields values that are neither the classes {list(classes)} nor numbers, e.g. {odd!r}",
    )


def _multiclass(values: pd.Series, classes: tuple[str, ...], place: str) -> Array:
    text = values.astype("string")
    unknown = text.dropna()[~text.dropna().isin(classes)]
    if len(unknown):
        raise SpecError(
            place, f"yields {unknown.iloc[0]!r}, not one of the classes {list(classes)}"
        )
    out = np.full((len(values), len(classes)), np.nan)
    known = text.notna().to_numpy()
    codes = pd.Categorical(text[known], categories=list(classes)).codes
    out[known] = np.eye(len(classes))[codes]
    return out


def as_prediction(values: pd.Series, task: str, classes: tuple[str, ...], place: str) -> Array:
    """Raw values (a label or a score per row) as predictions; NaN where a row has none."""
    if task == "binary":
        return _binary(values, classes, place)
    if task == "multiclass":
        return _multiclass(values, classes, place)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().sum() > values.isna().sum():
        raise SpecError(
            place, f"yields non-numeric values such as {values[numeric.isna()].iloc[0]!r}"
        )
    return numeric.to_numpy(np.float64)
