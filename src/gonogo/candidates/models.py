"""Models: scikit-learn estimators behind preprocessing built from the columns' types.

Defaults are a regularised linear model and histogram gradient boosting, each fitting the loss
the metric names (`gonogo.metrics`), with a small grid chosen by cross-validation on the
training part. Any scikit-learn-style estimator can be named
by its dotted path in the spec. Gradient boosting reads categories natively; every other
estimator gets imputed, scaled numbers and one-hot categories, which any estimator accepts.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from gonogo.candidates.encode import CategoryCodes
from gonogo.data.dataset import Dataset
from gonogo.errors import SpecError
from gonogo.metrics import Loss
from gonogo.problem import ModelSpec

_NATIVE_CATEGORIES = {"HistGradientBoostingRegressor", "HistGradientBoostingClassifier"}
_MAX_ONE_HOT = 30
_MAX_ORDINAL = 250  # gradient boosting bins categories: at most 255 levels
# Columns of the encoded design, times the classes beyond the first, up to which a model's
# `narrow` parameters apply.
_NARROW = 100


@dataclass(frozen=True)
class Recipe:
    """How to build one model: the estimator class, fixed params, and configurations to try."""

    name: str
    cls: type
    params: dict[str, Any]
    grid: tuple[dict[str, Any], ...] = ({},)
    place: str = ""
    describe: str = field(default="")
    scaled_label: bool = False
    narrow: dict[str, Any] = field(default_factory=dict)


# Early stopping on a tenth of the training part sets the number of trees, so the grid only
# chooses how finely the trees may split; the larger leaves suit small tables.
GBM_GRID = (
    {"max_leaf_nodes": 15, "min_samples_leaf": 20},
    {"max_leaf_nodes": 31, "min_samples_leaf": 10},
    {"max_leaf_nodes": 7, "min_samples_leaf": 50},
)


def _gbm_grid(loss: Loss) -> tuple[dict[str, Any], ...]:
    """The grid, and for absolute or relative error also the loss: boosting on absolute error
    follows only the sign of each residual and can need far more trees than squared error to
    reach the same mae (on Chicago it ends 5% worse). CV on the metric itself picks; on a
    skewed label (rain amounts) absolute error wins, on a symmetric one squared error does."""
    if loss == "squared":
        return tuple({**cfg, "loss": "squared_error"} for cfg in GBM_GRID)
    if loss == "log":
        return GBM_GRID
    return tuple(
        {**cfg, "loss": name}
        for name in ("absolute_error", "squared_error")
        for cfg in GBM_GRID[:2]
    )


def _gbm(task: str, seed: int, loss: Loss) -> Recipe:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    params: dict[str, Any] = {"max_iter": 500, "early_stopping": True, "random_state": seed}
    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return Recipe("gbm", cls, params, _gbm_grid(loss))


def _linear(task: str, seed: int, loss: Loss) -> Recipe:
    from sklearn.linear_model import LogisticRegression, Ridge, SGDRegressor

    if task != "regression":
        grid = tuple({"C": c} for c in (0.01, 0.1, 1.0, 10.0))
        # Newton's method where the design is narrow, its Hessian cheap: it takes a few steps
        # where L-BFGS takes many on correlated columns. On flights without the departure
        # delay, the trend beside the month took L-BFGS 136 steps and Newton 3, 7 s against
        # 0.5 s, for the same AUC to the third decimal.
        narrow = {"solver": "newton-cholesky"}
        return Recipe("linear", LogisticRegression, {"max_iter": 2000}, grid, narrow=narrow)
    if loss == "squared":
        return Recipe("linear", Ridge, {}, tuple({"alpha": a} for a in (0.1, 1.0, 10.0, 100.0)))
    # Least absolute deviations: epsilon-insensitive loss with epsilon 0, averaged SGD, on the
    # label less its median over its interquartile range. Unscaled, the averaged intercept
    # crawls from 0: on a label near 8 it stopped near 4, far worse than the constant median.
    # Scaled, it matches scikit-learn's exact QuantileRegressor at a fraction of its time,
    # given a first step of 0.1 and a finer stopping tolerance: with SGD's defaults (0.01, 1e-3)
    # it stopped after 11 passes on Texas home sales, at an mae 36% above the exact fit's.
    params = {
        "loss": "epsilon_insensitive",
        "epsilon": 0.0,
        "average": True,
        "eta0": 0.1,
        "tol": 1e-4,
        "random_state": seed,
    }
    grid = tuple({"alpha": a} for a in (1e-5, 1e-4, 1e-3, 1e-2))
    return Recipe("linear", SGDRegressor, params, grid, scaled_label=True)


def _defaults(task: str, seed: int, loss: Loss) -> list[Recipe]:
    """A regularised linear model and gradient boosting, both fitting the metric's loss."""
    return [_linear(task, seed, loss), _gbm(task, seed, loss)]


def _import(path: str, place: str) -> type:
    module_name, _, attr = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        raise SpecError(
            place,
            f"cannot import {path!r}; expected a dotted path to an estimator "
            "class such as sklearn.ensemble.RandomForestRegressor",
        ) from None
    if not isinstance(cls, type) or not hasattr(cls, "fit"):
        raise SpecError(place, f"{path!r} is not an estimator class with fit()")
    return cls


def _from_spec(spec: ModelSpec, i: int, task: str, seed: int, source: str) -> Recipe:
    from sklearn.base import is_classifier, is_regressor
    from sklearn.model_selection import ParameterGrid

    place = f"{source}: models[{i}]"
    cls = _import(spec.estimator, f"{place}.estimator")
    fits = is_regressor(cls()) if task == "regression" else is_classifier(cls())
    if not fits or (task != "regression" and not hasattr(cls, "predict_proba")):
        need = "a regressor" if task == "regression" else "a classifier with predict_proba"
        raise SpecError(
            f"{place}.estimator", f"a {task} problem needs {need}; found {spec.estimator}"
        )
    known = set(cls().get_params())
    for section, keys in (("params", spec.params), ("grid", spec.grid)):
        for key in keys:
            if key not in known:
                raise SpecError(f"{place}.{section}", f"{cls.__name__} has no parameter {key!r}")
    params = dict(spec.params)
    if "random_state" in known and "random_state" not in params:
        params["random_state"] = seed
    grid = tuple(ParameterGrid(spec.grid)) if spec.grid else ({},)
    return Recipe(spec.name, cls, params, grid, place, spec.estimator)


def recipes(
    models: list[ModelSpec] | None, task: str, seed: int, source: str, loss: Loss
) -> list[Recipe]:
    """The models a run compares: the spec's, or the defaults."""
    if models is None:
        return _defaults(task, seed, loss)
    return [_from_spec(m, i, task, seed, source) for i, m in enumerate(models)]


def _preprocessing(native: bool, categorical: list[str], numeric: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if native:
        cats = CategoryCodes(max_levels=_MAX_ORDINAL)
        parts = [("cat", cats, categorical), ("num", "passthrough", numeric)]
    else:
        cats = make_pipeline(
            CategoryCodes(max_levels=_MAX_ORDINAL),
            SimpleImputer(strategy="constant", fill_value=-1.0),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=_MAX_ONE_HOT,
                sparse_output=False,
            ),
        )
        nums = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        parts = [("cat", cats, categorical), ("num", nums, numeric)]
    return ColumnTransformer([p for p in parts if p[2]], verbose_feature_names_out=False)


def _width(ds: Dataset, categorical: list[str], numeric: list[str]) -> int:
    """The encoded design's columns (one-hot categories, a missing value one more), times the
    classes a multinomial model fits beyond the first."""
    columns = len(numeric) + sum(min(ds.levels[c], _MAX_ONE_HOT) for c in categorical)
    return columns * max(1, ds.n_classes - 1)


def build(recipe: Recipe, config: dict[str, Any], ds: Dataset, columns: list[str]) -> Any:
    """A fresh pipeline (preprocessing + estimator) for the given columns and configuration."""
    from sklearn.pipeline import Pipeline

    categorical = [c for c in columns if ds.is_categorical(c)]
    numeric = [c for c in columns if c not in categorical]
    native = recipe.cls.__name__ in _NATIVE_CATEGORIES
    params = {**recipe.params, **config}
    if recipe.narrow and _width(ds, categorical, numeric) <= _NARROW:
        params.update(recipe.narrow)
    if native:
        params["categorical_features"] = [True] * len(categorical) + [False] * len(numeric)
    model = recipe.cls(**params)
    if recipe.scaled_label:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import RobustScaler

        model = TransformedTargetRegressor(model, transformer=RobustScaler())
    return Pipeline([("prep", _preprocessing(native, categorical, numeric)), ("model", model)])
