"""The models as ONNX nodes, from their fitted parameters, in double precision.

Gradient boosting becomes one TreeEnsemble (ai.onnx.ml 5), whose set-membership splits follow
scikit-learn's category splits. (skl2onnx 1.20's converter reads only each split's numeric
threshold: on a category split it predicts wrongly, by 3.4 on a toy label of range 3.)

A linear model becomes, per column, the contribution of its value to the score: a table over
a category column's codes, a slope and an offset for a number, each learned by passing crafted
rows through the fitted preprocessing, so imputation, scaling and one-hot encoding are
reproduced exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from onnx import TensorProto, numpy_helper

from gonogo.candidates.encode import CategoryCodes
from gonogo.candidates.onnxgraph.builder import Graph
from gonogo.candidates.onnxgraph.features import Levels
from gonogo.errors import InputError
from gonogo.metrics import Array

Column = Callable[[str], str]  # a model input's name to its [n] double tensor
_LEAF = -1


def parts(estimator: Any, place: str) -> tuple[Any, Any, Levels]:
    """The preprocessing, the model and the category levels of one of gonogo's model
    pipelines; anything else is an InputError naming what it is."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    steps = estimator.steps if isinstance(estimator, Pipeline) else []
    if len(steps) != 2 or not isinstance(steps[0][1], ColumnTransformer):
        what = type(estimator).__name__
        raise InputError(place, f"has no ONNX form: {what} is not one of gonogo's models")
    prep, model = steps[0][1], steps[1][1]
    levels: Levels = {}
    for _, step, _ in prep.transformers_:
        encoder = step.steps[0][1] if isinstance(step, Pipeline) else step
        if isinstance(encoder, CategoryCodes):
            levels |= encoder.levels_
    return prep, model, levels


def layout(prep: Any) -> list[str]:
    """The input columns in the order the preprocessing reads them."""
    return [c for name, _, cols in prep.transformers_ if name != "remainder" for c in cols]


def scores(g: Graph, prep: Any, model: Any, levels: Levels, column: Column, place: str) -> str:
    """The model's raw scores, an [n, targets] matrix (a target per class for multiclass)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    names = layout(prep)
    if isinstance(model, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        sizes = [_size(levels[c]) if c in levels else 0 for c in names]
        return _trees(g, model, [column(c) for c in names], sizes, place)
    raw = _affine(model)
    if raw is not None:
        return _linear(g, prep, raw, levels, column)
    raise InputError(place, f"has no ONNX form: {type(model).__name__} is not converted")


def _affine(model: Any) -> Callable[[Array], Array] | None:
    """The raw scores of a model affine in its inputs, as a function of them; None for any
    other model. A regressor of a scaled label is one: its scaling is undone affinely."""
    from sklearn.preprocessing import RobustScaler, StandardScaler

    if model is None:
        return None
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):
        weights, bias = np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
        return lambda X: X @ weights.T + bias
    inner = _affine(getattr(model, "regressor_", None))
    if inner is None or not isinstance(model.transformer_, RobustScaler | StandardScaler):
        return None
    label = model.transformer_
    return lambda X: np.asarray(label.inverse_transform(inner(X)))


def _size(levels: tuple[list[Any], bool]) -> int:
    """How many codes a category column can take."""
    return len(levels[0]) + int(levels[1])


def _linear(
    g: Graph, prep: Any, raw: Callable[[Array], Array], levels: Levels, column: Column
) -> str:
    """score = base + the sum over columns of each value's contribution."""
    probe, blocks = _probes(layout(prep), levels)
    made = raw(np.asarray(prep.transform(probe), dtype=np.float64))
    base, total = made[0], None
    for name, rows in blocks.items():
        change = made[rows] - base
        if name in levels:  # row 0 of a block is a missing value: no change
            part = g.op("Gather", g.const(change, "contrib"), _index(g, column(name)), axis=0)
        else:  # the rows hold 0 and 1: an offset and a slope, no change when missing
            x = column(name)
            line = g.op(
                "Add",
                g.op("Mul", g.column(x), g.const(change[1] - change[0], "slope")),
                g.const(change[0], "offset"),
            )
            nan = g.column(g.op("IsNaN", x))
            part = g.op("Where", nan, g.const(np.zeros(len(base)), "zero"), line)
        total = part if total is None else g.op("Add", total, part)
    assert total is not None, "a model reads at least one column"
    return g.op("Add", total, g.const(base, "base"))


def _index(g: Graph, codes: str) -> str:
    """A code's row in a contribution table: missing is row 0, code k row k + 1."""
    shifted = g.affine(codes, 1.0, 1.0)
    at = g.op("Where", g.op("IsNaN", codes), g.number(0.0), shifted)
    return g.op("Cast", at, to=TensorProto.INT64)


def _probes(names: list[str], levels: Levels) -> tuple[pd.DataFrame, dict[str, slice]]:
    """Rows that vary one column at a time from a row of missing values: each level of a
    category column (and a value standing for the pooled rare ones), 0 and 1 for a number."""
    values: dict[str, list[Any]] = {n: [np.nan] for n in names}
    blocks: dict[str, slice] = {}
    for name in names:
        if name in levels:
            kept, pooled = levels[name]
            varied = [np.nan, *kept, *([object()] if pooled else [])]
        else:
            varied = [0.0, 1.0]
        start = len(values[name])
        for other in names:
            values[other] += varied if other == name else [np.nan] * len(varied)
        blocks[name] = slice(start, start + len(varied))
    frame = pd.DataFrame(
        {n: pd.Series(v, dtype=object if n in levels else np.float64) for n, v in values.items()}
    )
    return frame, blocks


def _trees(g: Graph, model: Any, columns: list[str], sizes: list[int], place: str) -> str:
    """Gradient boosting's trees, summed, plus its baseline."""
    order, codes = _encoding(model, sizes)
    targets = model.n_trees_per_iteration_
    ensemble = _Ensemble(targets, order, codes, [sizes[c] for c in order])
    bias = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1).copy()
    for iteration in model._predictors:
        for target, tree in enumerate(iteration):
            bias[target] += ensemble.add(tree, target)
    X = g.op("Concat", *[g.column(c) for c in columns], axis=1)
    raw = g.op("TreeEnsemble", X, domain="ai.onnx.ml", **ensemble.attributes())
    return g.op("Add", raw, g.const(bias, "baseline"))


# A category feature's codes (as the model's input holds them), each mapped to the value
# the trees split on; a code the trees never learned is absent, and goes where missing ones go.
Known = dict[int, int]
NO_CODE = -1.0  # codes are 0, 1, ... (NaN when missing or unseen)


def _encoding(model: Any, sizes: list[int]) -> tuple[list[int], list[Known | None]]:
    """For each feature the trees split on: the input column it is, and for a category
    feature its known codes. scikit-learn encodes category features again (their sorted
    values, unseen ones missing) and moves them first; only categories in the part it
    trained on, not the early-stopping part, are known to the trees."""
    if model.is_categorical_ is None:  # numbers only: no encoder, features in their order
        return list(range(model.n_features_in_)), [None] * model.n_features_in_
    mask = np.asarray(model.is_categorical_, dtype=bool)
    order = [*np.flatnonzero(mask), *np.flatnonzero(~mask)]
    seen = model._preprocessor.named_transformers_["encoder"].categories_
    known, index = model._bin_mapper.make_known_categories_bitsets()
    codes: list[Known | None] = []
    for k, column in enumerate(order):
        if not mask[column]:
            codes.append(None)
            continue
        trained = _bits(known, int(index[k]))
        values = [int(v) for v in seen[k] if not np.isnan(v)]
        position = {v: i for i, v in enumerate(values)}
        codes.append(
            {c: position[c] for c in range(sizes[column]) if position.get(c, -1) in trained}
        )
    return [int(c) for c in order], codes


def _bits(bitsets: Any, row: int) -> set[int]:
    """The values 0..255 a bitset row holds."""
    words = np.asarray(bitsets[row], dtype=np.uint32)
    return {v for v in range(256) if (int(words[v // 32]) >> (v % 32)) & 1}


class _Ensemble:
    """The TreeEnsemble's attributes, gathered tree by tree."""

    def __init__(
        self, targets: int, order: list[int], codes: list[Known | None], sizes: list[int]
    ) -> None:
        self.targets, self.order, self.codes, self.sizes = targets, order, codes, sizes
        self.roots: list[int] = []
        fields = ("feature", "mode", "split", "true", "true_leaf", "false", "false_leaf")
        self.nodes: dict[str, list[Any]] = {k: [] for k in (*fields, "missing_true")}
        self.members: list[float] = []
        self.leaf_target: list[int] = []
        self.leaf_weight: list[float] = []

    def add(self, tree: Any, target: int) -> float:
        """Add one scikit-learn tree predictor; a tree that is one leaf is returned as a
        constant instead (an ensemble's tree needs a split)."""
        nodes = tree.nodes
        if nodes[0]["is_leaf"]:
            return float(nodes[0]["value"])
        # Splits and leaves are numbered apart, each after those of the trees before.
        ids: dict[int, tuple[int, bool]] = {}
        splits = len(self.nodes["feature"])
        for i, node in enumerate(nodes):
            if node["is_leaf"]:
                ids[i] = (len(self.leaf_weight), True)
                self.leaf_target.append(target)
                self.leaf_weight.append(float(node["value"]))
            else:
                ids[i] = (splits, False)
                splits += 1
        self.roots.append(ids[0][0])
        for node in nodes:
            if not node["is_leaf"]:
                self._split(tree, node, ids)
        return 0.0

    def _split(self, tree: Any, node: Any, ids: dict[int, tuple[int, bool]]) -> None:
        left, right = ids[int(node["left"])], ids[int(node["right"])]
        n = self.nodes
        n["feature"].append(self.order[int(node["feature_idx"])])
        n["true"].append(left[0])
        n["true_leaf"].append(int(left[1]))
        n["false"].append(right[0])
        n["false_leaf"].append(int(right[1]))
        n["missing_true"].append(int(node["missing_go_to_left"]))
        if node["is_categorical"]:
            n["mode"].append(6)  # BRANCH_MEMBER
            n["split"].append(np.nan)
            self.members += [*self._left_set(tree, node), np.nan]
        else:
            n["mode"].append(0)  # BRANCH_LEQ
            n["split"].append(float(node["num_threshold"]))

    def _left_set(self, tree: Any, node: Any) -> list[float]:
        """The codes sent left: those whose value the split chose, and unknown ones when
        missing values go left (scikit-learn treats an unknown category as missing)."""
        chosen = _bits(tree.raw_left_cat_bitsets, int(node["bitset_idx"]))
        feature = int(node["feature_idx"])
        known = self.codes[feature]
        assert known is not None, "a category split is on a category feature"
        left = {c for c, v in known.items() if v in chosen}
        if node["missing_go_to_left"]:
            left |= set(range(self.sizes[feature])) - set(known)
        # No code goes left (only a missing value may): ONNX Runtime refuses an empty set,
        # so the set holds a code no input takes.
        return sorted(float(c) for c in left) or [NO_CODE]

    def attributes(self) -> dict[str, Any]:
        n = self.nodes
        return {
            "aggregate_function": 1,  # SUM
            "post_transform": 0,
            "n_targets": self.targets,
            "tree_roots": self.roots,
            "nodes_featureids": n["feature"],
            "nodes_modes": numpy_helper.from_array(np.asarray(n["mode"], dtype=np.uint8)),
            "nodes_splits": numpy_helper.from_array(np.asarray(n["split"], dtype=np.float64)),
            "nodes_truenodeids": n["true"],
            "nodes_trueleafs": n["true_leaf"],
            "nodes_falsenodeids": n["false"],
            "nodes_falseleafs": n["false_leaf"],
            "nodes_missing_value_tracks_true": n["missing_true"],
            "membership_values": numpy_helper.from_array(
                np.asarray(self.members or [np.nan], dtype=np.float64)
            ),
            "leaf_targetids": self.leaf_target,
            "leaf_weights": numpy_helper.from_array(np.asarray(self.leaf_weight, dtype=np.float64)),
        }
