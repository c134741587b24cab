"""A small, safe evaluator for baseline expressions such as `Clark_Lake * 1.02`.

The expression is parsed with `ast` and walked against a whitelist: column names, numbers and
strings, arithmetic, comparisons, and/or/not, `a if c else b`, and a few functions. Nothing is
ever passed to `eval`, so Python code in a spec is rejected, never run. A column whose name is
not a Python name (R's `oc.gc`, `sales last year`) goes in backticks, as in pandas' query.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gonogo.data.columns import not_found
from gonogo.errors import SpecError

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "min": np.minimum,
    "max": np.maximum,
    "round": np.round,
}
_QUOTED = re.compile(r"`([^`]+)`")
ALLOWED = (
    "column names (in backticks when not Python names), numbers, strings, "
    "+ - * / // % **, comparisons, and/or/not, 'a if c else b', and " + "/".join(_FUNCTIONS)
)


class Expression:
    """A parsed, checked expression; `evaluate(frame)` gives one value per row."""

    def __init__(self, text: str, columns: list[str], place: str) -> None:
        self.text = text
        self.place = place
        # Each backticked name becomes an identifier of its own, mapped back to the column.
        quoted = list(dict.fromkeys(_QUOTED.findall(text)))
        self._names = {f"_quoted_{i}_": name for i, name in enumerate(quoted)}
        plain = _QUOTED.sub(lambda m: f"_quoted_{quoted.index(m.group(1))}_", text)
        try:
            self._tree = ast.parse(plain.strip(), mode="eval").body
        except SyntaxError as err:
            raise SpecError(place, f"not a valid expression ({err.msg}): {text!r}") from None
        self.columns = sorted(self._check(self._tree, set(columns)))

    def _reject(self, node: ast.AST, columns: set[str]) -> SpecError:
        what = ast.unparse(node) if hasattr(node, "lineno") else type(node).__name__
        if what in columns:
            return SpecError(
                self.place, f"column {what!r} is not a Python name: write it in backticks, `{what}`"
            )
        return SpecError(self.place, f"{what!r} is not allowed; use only {ALLOWED}")

    def _column(self, node: ast.Name) -> str:
        return str(self._names.get(node.id, node.id))

    def _check(self, node: ast.AST, columns: set[str]) -> set[str]:
        """Names of the columns used; raises on anything outside the whitelist."""
        if isinstance(node, ast.Name):
            if self._column(node) not in columns:
                raise not_found(self.place, self._column(node), sorted(columns))
            return {self._column(node)}
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
            return set()
        if isinstance(node, ast.Call):
            if (
                not isinstance(node.func, ast.Name)
                or node.func.id not in _FUNCTIONS
                or node.keywords
            ):
                raise self._reject(node, columns)
            return set().union(*(self._check(a, columns) for a in node.args))
        children = self._children(node)
        if children is None:
            raise self._reject(node, columns)
        return set().union(set(), *(self._check(c, columns) for c in children))

    @staticmethod
    def _children(node: ast.AST) -> list[ast.expr] | None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            return [node.operand]
        if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
            return [node.left, *node.comparators]
        if isinstance(node, ast.BoolOp):
            return list(node.values)
        if isinstance(node, ast.IfExp):
            return [node.test, node.body, node.orelse]
        return None

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The expression's value on every row of `frame`."""
        with np.errstate(all="ignore"):
            value = self._eval(self._tree, frame)
        if not isinstance(value, pd.Series):
            value = pd.Series(value, index=frame.index)
        return value

    def _eval(self, node: ast.AST, frame: pd.DataFrame) -> Any:
        handler = _HANDLERS[type(node)]
        return handler(self, node, frame)

    def _name(self, node: ast.Name, frame: pd.DataFrame) -> Any:
        col = frame[self._column(node)]
        return col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col

    def _binop(self, node: ast.BinOp, frame: pd.DataFrame) -> Any:
        return _BINARY[type(node.op)](self._eval(node.left, frame), self._eval(node.right, frame))

    def _unary(self, node: ast.UnaryOp, frame: pd.DataFrame) -> Any:
        value = self._eval(node.operand, frame)
        if isinstance(node.op, ast.Not):
            return ~value.astype(bool) if isinstance(value, pd.Series) else not value
        return -value if isinstance(node.op, ast.USub) else value

    def _compare(self, node: ast.Compare, frame: pd.DataFrame) -> Any:
        left, result = self._eval(node.left, frame), True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self._eval(right_node, frame)
            result = result & _COMPARE[type(op)](left, right)
            left = right
        return result

    def _boolop(self, node: ast.BoolOp, frame: pd.DataFrame) -> Any:
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        values = [self._as_bool(self._eval(v, frame)) for v in node.values]
        out = values[0]
        for v in values[1:]:
            out = combine(out, v)
        return out

    @staticmethod
    def _as_bool(value: Any) -> Any:
        return value.astype(bool) if isinstance(value, pd.Series) else bool(value)

    def _ifexp(self, node: ast.IfExp, frame: pd.DataFrame) -> Any:
        test = self._as_bool(self._eval(node.test, frame))
        body, other = self._eval(node.body, frame), self._eval(node.orelse, frame)
        return pd.Series(np.where(test, body, other), index=frame.index)

    def _call(self, node: ast.Call, frame: pd.DataFrame) -> Any:
        assert isinstance(node.func, ast.Name)
        return _FUNCTIONS[node.func.id](*(self._eval(a, frame) for a in node.args))

    def _constant(self, node: ast.Constant, frame: pd.DataFrame) -> Any:
        return node.value


_HANDLERS: dict[type, Callable[[Expression, Any, pd.DataFrame], Any]] = {
    ast.Name: Expression._name,
    ast.BinOp: Expression._binop,
    ast.UnaryOp: Expression._unary,
    ast.Compare: Expression._compare,
    ast.BoolOp: Expression._boolop,
    ast.IfExp: Expression._ifexp,
    ast.Call: Expression._call,
    ast.Constant: Expression._constant,
}
