"""`simple-rule`: the best heuristic a person could write down, found automatically.

It answers the talk's "can the problem be solved using heuristics?" even when the team wrote
none. The families tried are the ones a person would: one threshold on one feature, a rate per
category of one feature, a depth-2 tree, and for a binary label the rows ranked by one number
("sort by the score"). The family is chosen on the last (or a random)
quarter of the training part, then refitted on all of it, and printed as readable rules.
Categories are ordered by their label mean before the trees see them, so a threshold on the
codes is the best two-way grouping of the categories (the classic CART result). Every family
fits the metric's loss: absolute error for mae (medians), log loss for classes, and so on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from gonogo.candidates.baselines import GroupStatistic
from gonogo.candidates.encode import as_text, codes
from gonogo.candidates.predict import as_frame, fit_inputs
from gonogo.data.dates import shown
from gonogo.data.split import Index
from gonogo.metrics import METRICS, Array, number

_MAX_LEVELS = 12
# The families, in the order they are tried (the first wins a tie): one threshold on one
# column, a rate per category, a depth-2 tree, one number's ranking.
FAMILIES = ("threshold", "rate", "tree", "rank")


def _leaf(rows: int) -> int:
    """The fewest rows a leaf of the rule's trees holds: a rule speaks of groups, not rows."""
    return max(20, rows // 100)


def _fmt(v: float) -> str:
    return number(v) if isinstance(v, float) else str(v)


def _day(origin: str, days: float) -> str:
    """The moment `days` after `origin`."""
    return shown(pd.Timestamp(origin) + pd.Timedelta(days=days))


def _quote(values: list[str]) -> str:
    inner = ", ".join(f'"{v}"' for v in values)
    return f'== "{values[0]}"' if len(values) == 1 else f"in {{{inner}}}"


@dataclass
class _Tree:
    """A fitted decision tree over (some of) the encoded features."""

    columns: list[str]
    model: object


@dataclass
class _Ranked:
    """Rows ranked by one number, the positive class's probability a logistic curve of it
    (a missing value at the median): "sort by the score", the heuristic of ranking metrics,
    which the few steps of a tree rank coarsely (a lender's interest rate ranked its bad loans
    better than any depth-2 tree of the same table)."""

    column: str
    center: float
    scale: float
    span: tuple[float, float]  # the 5th and 95th percentiles (or the range), to print
    model: object

    def inputs(self, E: pd.DataFrame) -> Array:
        """The column, centered and scaled, a missing value at the median. Read as the trees
        of the other families read it (scikit-learn's float32, infinities refused), so every
        rule refuses the same values."""
        from sklearn.utils import check_array

        x = check_array(E[[self.column]], dtype=np.float32, ensure_all_finite="allow-nan")
        x = x.astype(np.float64)
        return (np.where(np.isnan(x), self.center, x) - self.center) / self.scale


_RANKED_ROWS = 10_000  # a curve of two numbers is fitted on no more rows than these


_CRITERION = {
    "absolute": "absolute_error",
    "relative": "absolute_error",
    "squared": "squared_error",
}


class SimpleRule(BaseEstimator):  # type: ignore[misc]
    """Best of one-feature thresholds, per-category rates, a depth-2 tree and (binary) one
    number's ranking; `family` keeps to the one an earlier fit chose. `dates` maps
    each column of day counts to the date column it counts and the day it counts from, so
    that a threshold on it is printed as that date."""

    family = ""  # what a rule saved before families could be pinned reads as its own

    def __init__(
        self,
        task: str,
        classes: tuple[str, ...],
        metric: str,
        ordered: bool,
        seed: int,
        categorical: list[str],
        dates: dict[str, tuple[str, str]] | None = None,
        family: str = "",
    ) -> None:
        self.task = task
        self.classes = classes
        self.metric = metric
        self.ordered = ordered
        self.seed = seed
        self.categorical = categorical
        self.dates = dates
        self.family = family

    # encoding -----------------------------------------------------------------------------
    def _target(self, y: Array) -> Array:
        if self.task != "multiclass":
            return y
        return np.asarray(y == np.bincount(y.astype(int)).argmax(), dtype=np.float64)

    def _learn_order(self, X: pd.DataFrame, y: Array) -> None:
        t = pd.Series(self._target(y), index=X.index)
        self.order_ = {
            c: list(t.groupby(as_text(X[c]), observed=True).mean().sort_values().index)
            for c in self.categorical
            if c in X
        }

    def _integral(self, X: pd.DataFrame) -> dict[str, tuple[float, float]]:
        """Whole-number columns (with their range), whose thresholds read better as integers."""
        out = {}
        for c in X.columns:
            if c in self.order_:
                continue
            values = X[c].dropna().to_numpy(np.float64)
            if len(values) and np.all(values == np.round(values)):
                out[str(c)] = (float(values.min()), float(values.max()))
        return out

    def _encode(self, X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """Numbers as they are, categories as their rank by label mean (NaN if unseen)."""
        out = {}
        for c in columns:
            if c in self.order_:
                out[c] = codes(as_text(X[c]), self.order_[c])
            else:
                out[c] = X[c].to_numpy(np.float64)
        return pd.DataFrame(out, index=X.index)

    # families -----------------------------------------------------------------------------
    @property
    def _loss(self) -> str:
        return METRICS[self.metric].loss

    def _tree(
        self, E: pd.DataFrame, y: Array, w: Array | None, columns: list[str], depth: int
    ) -> _Tree:
        """A tree on the encoded columns `E`."""
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        leaf = _leaf(len(y))
        if self.task == "regression":
            model = DecisionTreeRegressor(
                criterion=_CRITERION[self._loss],
                max_depth=depth,
                min_samples_leaf=leaf,
                random_state=self.seed,
            )
        else:
            model = DecisionTreeClassifier(
                criterion="log_loss", max_depth=depth, min_samples_leaf=leaf, random_state=self.seed
            )
        return _Tree(columns, model.fit(E[columns], y, sample_weight=w))

    def _table(self, X: pd.DataFrame, y: Array, w: Array | None, column: str) -> GroupStatistic:
        stat = "median" if self._loss in ("absolute", "relative") else "mean"
        table = GroupStatistic([column], stat, self.task, self.classes, "simple-rule")
        return table.fit(X, y, sample_weight=w)

    def _ranked(self, E: pd.DataFrame, y: Array, w: Array | None, column: str) -> _Ranked | None:
        """`column`'s ranking of the rows as a probability; None when the rows it is fitted
        on hold one class."""
        from sklearn.linear_model import LogisticRegression

        x = E[column].to_numpy(np.float64)
        known = x[np.isfinite(x)]
        if not len(known):
            return None
        low, center, high = (float(v) for v in np.percentile(known, [5, 50, 95]))
        if low == high:  # mostly one value (a count of zeros): show the whole range
            low, high = float(known.min()), float(known.max())
        rows = np.arange(len(y))
        if len(rows) > _RANKED_ROWS:
            rows = np.sort(np.random.default_rng(self.seed).choice(rows, _RANKED_ROWS, False))
        if len(np.unique(y[rows])) < 2:
            return None
        ranked = _Ranked(column, center, float(np.std(known)) or 1.0, (low, high), None)
        weight = None if w is None else w[rows]
        ranked.model = LogisticRegression().fit(ranked.inputs(E.iloc[rows]), y[rows], weight)
        return ranked

    def _readable(self, X: pd.DataFrame) -> list[Any]:
        """The columns a rule may read: not a category whose levels hold fewer rows, on
        average, than a leaf of its trees (an id such as a crash's, whose "rule" listed
        thousands of ids), unless nothing else is left."""
        leaf = _leaf(len(X))
        cols = list(X.columns)
        kept = [c for c in cols if c not in self.categorical or X[c].nunique() * leaf <= len(X)]
        return kept or cols

    def _family(
        self, name: str, X: pd.DataFrame, E: pd.DataFrame, y: Array, w: Array | None
    ) -> list[object]:
        """The rules of one family found on these rows."""
        cols = list(X.columns)
        if name == "threshold":
            return [self._tree(E, y, w, [c], 1) for c in cols]
        if name == "rate":
            few = [c for c in self.categorical if c in X and X[c].nunique() <= _MAX_LEVELS]
            return [self._table(X, y, w, c) for c in few]
        if name == "tree":
            return [self._tree(E, y, w, cols, 2)]
        if name != "rank" or self.task != "binary":
            return []
        numbers = [c for c in cols if c not in self.order_ and E[c].nunique() > 2]
        return [r for c in numbers if (r := self._ranked(E, y, w, c)) is not None]

    def _families(
        self, X: pd.DataFrame, E: pd.DataFrame, y: Array, w: Array | None
    ) -> list[tuple[str, object]]:
        """Every family's rules; the pinned family's alone when it has some here (the data
        may no longer hold what it needs, e.g. a category of few levels)."""
        if self.family:
            pinned = [(self.family, r) for r in self._family(self.family, X, E, y, w)]
            if pinned:
                return pinned
        return [(f, r) for f in FAMILIES for r in self._family(f, X, E, y, w)]

    def _predict_with(self, rule: object, X: pd.DataFrame, E: pd.DataFrame | None = None) -> Array:
        if isinstance(rule, GroupStatistic):
            return rule.predict_scores(X)
        if isinstance(rule, _Ranked):
            enc = self._encode(X, [rule.column]) if E is None else E
            return np.asarray(rule.model.predict_proba(rule.inputs(enc))[:, 1])  # type: ignore[attr-defined]
        assert isinstance(rule, _Tree)
        enc = self._encode(X, rule.columns) if E is None else E[rule.columns]
        model = rule.model
        if self.task == "regression":
            return np.asarray(model.predict(enc), dtype=np.float64)  # type: ignore[attr-defined]
        proba = np.zeros((len(X), len(self.classes)))
        proba[:, model.classes_.astype(int)] = model.predict_proba(enc)  # type: ignore[attr-defined]
        return proba[:, 1] if self.task == "binary" else proba

    # estimator ----------------------------------------------------------------------------
    def _validation(self, n: int) -> tuple[Index, Index]:
        rows = np.arange(n) if self.ordered else np.random.default_rng(self.seed).permutation(n)
        cut = int(n * 0.75)
        return np.sort(rows[:cut]), np.sort(rows[cut:])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # trees and tables send missing values to a side
        return tags

    def fit(self, X: pd.DataFrame, y: Array, sample_weight: Array | None = None) -> SimpleRule:
        X, y, sample_weight = fit_inputs(X, y, sample_weight)
        if len(y) < 2:
            raise ValueError(f"a rule is found on 2 rows or more; got n_samples = {len(y)}")
        if self.family not in ("", *FAMILIES):
            raise ValueError(f"family is one of {FAMILIES}; got {self.family!r}")
        self.n_features_in_ = X.shape[1]
        fit_rows, val_rows = self._validation(len(y))
        Xf, Xv = X.iloc[fit_rows], X.iloc[val_rows]
        wf = None if sample_weight is None else sample_weight[fit_rows]
        self._learn_order(Xf, y[fit_rows])
        cols = self._readable(X)
        trials = self._families(Xf[cols], self._encode(Xf, cols), y[fit_rows], wf)
        Ev = self._encode(Xv, cols)
        preds = [self._predict_with(r, Xv, Ev) for _, r in trials]
        best = self._choose(y[val_rows], preds)
        self._learn_order(X, y)
        self.integral_ = self._integral(X)
        self.family_, rule = trials[best]
        self.rule_ = self._refit(rule, X, y, sample_weight)
        return self

    def settled(self) -> dict[str, str]:
        """What the fit chose for itself: the family, which a refit of what was scored keeps."""
        return {"family": self.family_}

    def _choose(self, y: Array, preds: list[Array]) -> int:
        """The family scoring best on validation; by squared error where the metric is
        undefined there (e.g. ROC AUC on a stretch of time with one class)."""
        metric = METRICS[self.metric]
        values = [metric.value(y, p) for p in preds]
        if not np.isfinite(values).any():
            metric = METRICS["rmse" if self.task == "regression" else "brier"]
            values = [metric.value(y, p) for p in preds]
        sign = -1 if metric.greater_is_better else 1
        return int(np.nanargmin([sign * v for v in values]))

    def _refit(self, rule: object, X: pd.DataFrame, y: Array, w: Array | None) -> object:
        if isinstance(rule, GroupStatistic):
            return self._table(X, y, w, rule.group_by[0])
        if isinstance(rule, _Ranked):
            return self._ranked(self._encode(X, [rule.column]), y, w, rule.column) or rule
        assert isinstance(rule, _Tree)
        depth = int(rule.model.get_depth()) or 1  # type: ignore[attr-defined]
        return self._tree(self._encode(X, rule.columns), y, w, rule.columns, depth)

    def predict_scores(self, X: pd.DataFrame) -> Array:
        return self._predict_with(self.rule_, as_frame(X))

    # printing -----------------------------------------------------------------------------
    def _value(self, v: Array) -> str:
        v = np.atleast_1d(v)
        if self.task == "regression":
            return _fmt(float(v[0]))
        if self.task == "binary":
            return _fmt(float(v[-1]) if len(v) > 1 else float(v[0]))
        k = int(np.argmax(v))
        return f'"{self.classes[k]}" ({v[k]:.0%})'

    def _numeric(self, column: str, lo: float, hi: float) -> str:
        """`lo < column <= hi` (either end may be open), as a person would write it: whole
        numbers as such, a count of days as the date it reaches."""
        dated = (self.dates or {}).get(column)
        name, show = (dated[0], partial(_day, dated[1])) if dated else (column, _fmt)
        if column in self.integral_:
            if self.integral_[column] == (0, 1) and not dated:
                return f"{column} == {0 if hi < 1 else 1}"
            if np.isfinite(lo) and np.isfinite(hi):
                first, last = math.floor(lo) + 1, math.floor(hi)
                a, b = show(first), show(last)
                return f"{name} == {a}" if first == last else f"{a} <= {name} <= {b}"
            return (
                f"{name} >= {show(math.floor(lo) + 1)}"
                if np.isfinite(lo)
                else f"{name} <= {show(math.floor(hi))}"
            )
        if np.isfinite(lo) and np.isfinite(hi):
            return f"{show(lo)} < {name} <= {show(hi)}"
        return f"{name} > {show(lo)}" if np.isfinite(lo) else f"{name} <= {show(hi)}"

    def _conditions(self, bounds: dict[str, tuple[float, float]]) -> list[str]:
        out = []
        for column, (lo, hi) in bounds.items():
            if column not in self.order_:
                out.append(self._numeric(column, lo, hi))
                continue
            levels = self.order_[column]
            side = [v for i, v in enumerate(levels) if lo < i <= hi]
            out.append(f"{column} {_quote(side)}")
        return out

    def _leaves(self, tree: _Tree) -> list[tuple[list[str], Array]]:
        """Each leaf's conditions, one per column (splits on one column merge into a range)."""
        t = tree.model.tree_  # type: ignore[attr-defined]
        out: list[tuple[list[str], Array]] = []

        def walk(node: int, bounds: dict[str, tuple[float, float]]) -> None:
            if t.children_left[node] == -1:
                v = np.asarray(t.value[node][0], dtype=np.float64)
                value = v if self.task == "regression" else v / v.sum()
                out.append((self._conditions(bounds), value))
                return
            col, thr = tree.columns[t.feature[node]], float(t.threshold[node])
            lo, hi = bounds.get(col, (-np.inf, np.inf))
            walk(t.children_left[node], {**bounds, col: (lo, min(hi, thr))})
            walk(t.children_right[node], {**bounds, col: (max(lo, thr), hi)})

        walk(0, {})
        return out

    def describe(self) -> str:
        """The rule as a person would write it."""
        if isinstance(self.rule_, GroupStatistic):
            col = self.rule_.group_by[0]
            parts = [f"{k} → {self._value(v)}" for k, v in self.rule_.rules()]
            return f"by {col}: " + ", ".join(parts) + f" (else {self._value(self.rule_.fallback_)})"
        if isinstance(self.rule_, _Ranked):
            return self._describe_ranked(self.rule_)
        leaves = self._leaves(self.rule_)  # type: ignore[arg-type]
        if len(leaves) == 1:
            return f"always {self._value(leaves[0][1])}"
        lines = [f"if {' and '.join(c)} then {self._value(v)}" for c, v in leaves[:-1]]
        return "\n".join(
            [lines[0], *("el" + line for line in lines[1:]), f"else {self._value(leaves[-1][1])}"]
        )

    def _describe_ranked(self, rule: _Ranked) -> str:
        dated = (self.dates or {}).get(rule.column)
        name, show = (dated[0], partial(_day, dated[1])) if dated else (rule.column, _fmt)
        ends = pd.DataFrame({rule.column: list(rule.span)})
        chance = rule.model.predict_proba(rule.inputs(ends))[:, 1]  # type: ignore[attr-defined]
        word = "higher" if chance[1] >= chance[0] else "lower"
        return (
            f'rank by {name}: the {word}, the likelier "{self.classes[-1]}" '
            f"({chance[0]:.0%} at {show(rule.span[0])}, {chance[1]:.0%} at {show(rule.span[1])})"
        )
