"""The label: which task it poses, and its codec between raw values and numbers.

Binary labels become 1 for the positive class (named in the spec, else a class named like
"yes"/"true", else the rarer one) and 0 for the other; multiclass labels become codes in
sorted class order; regression labels must be numbers. The codec is part of every fitted
candidate, so a server turns predictions back into the classes the data used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gonogo.errors import DataError, SpecError
from gonogo.metrics import Array, share
from gonogo.problem import Problem, Task

_TRUTHY = {"yes", "true", "1", "1.0", "y", "t", "positive", "pos"}
_FALSY = {"no", "false", "0", "0.0", "n", "f", "negative", "neg"}


@dataclass(frozen=True)
class LabelCodec:
    """The task, the classes (the positive one last for binary), and the positive raw value."""

    task: Task
    classes: tuple[str, ...] = ()
    positive: str | None = None

    def __len__(self) -> int:
        """How many classes (0 for regression)."""
        return 0 if self.task == "regression" else len(self.classes)

    def encode(self, values: pd.Series, place: str) -> Array:
        """Raw label values as numbers; raises DataError on a value the codec does not know."""
        if self.task == "regression":
            return _numbers(values, place)
        text = values.astype("string")
        if self.task == "binary":
            positive = (text == self.positive).astype("Float64")
            return np.asarray(positive.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)
        unknown = text.dropna()[~text.dropna().isin(self.classes)]
        if len(unknown):
            raise DataError(
                place, f"label {unknown.iloc[0]!r} is not one of the classes {list(self.classes)}"
            )
        return pd.Categorical(text, categories=list(self.classes)).codes.astype(np.float64)

    def decode(self, predictions: Array) -> list[Any]:
        """Predictions as labels: the value, or the most probable class."""
        if self.task == "regression":
            return [float(v) for v in predictions]
        if self.task == "binary":
            return [self.classes[int(p >= 0.5)] for p in predictions]
        return [self.classes[int(k)] for k in np.argmax(predictions, axis=1)]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "classes": list(self.classes), "positive": self.positive}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelCodec:
        return cls(data["task"], tuple(data["classes"]), data["positive"])


def present(values: pd.Series) -> pd.Series:
    """Which rows have a label: a blank text is a missing one, not a class named ''."""
    given = values.notna()
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return given
    return given & values.astype("string").str.strip().ne("").fillna(False)


def infer_task(values: pd.Series) -> Task:
    """binary for two values, regression for other numbers (with a few text codes among
    them: reading the label then says which), multiclass for other text."""
    if pd.api.types.is_bool_dtype(values) or values.nunique() == 2:
        return "binary"
    numeric = pd.api.types.is_numeric_dtype(values)
    return "regression" if numeric or _coded_quantities(values) else "multiclass"


def _matches(value: Any, wanted: Any) -> bool:
    text = str(value).strip().lower()
    if isinstance(wanted, bool):
        return text in (_TRUTHY if wanted else _FALSY)
    return bool(value == wanted) or text == str(wanted).strip().lower()


def _positive(problem: Problem, values: pd.Series) -> Any:
    levels = sorted(values.unique(), key=str)
    wanted = problem.label.positive
    if wanted is not None:
        found = [v for v in levels if _matches(v, wanted)]
        if not found:
            # A label of one class cannot hold the positive: say that, not only the value.
            one = f"; label {problem.label.column!r} has one class only" if len(levels) == 1 else ""
            raise SpecError(
                f"{problem.source}: label.positive",
                f"expected one of {[str(v) for v in levels]}; found {wanted!r}{one}",
            )
        return found[0]
    named = [v for v in levels if str(v).strip().lower() in _TRUTHY]
    if named:
        return named[0]
    counts = values.value_counts()
    return min(levels, key=lambda v: (counts[v], -levels.index(v)))


def _numbers(values: pd.Series, place: str) -> Array:
    numeric = pd.to_numeric(values, errors="coerce")
    text = values[numeric.isna() & values.notna()]
    if len(text):
        raise DataError(
            place,
            f"regression needs a numeric label; column {values.name!r} has values like "
            f"{text.iloc[0]!r} ({share(len(text) / len(values))} of rows: {_classes(text)}); "
            "map such a code to a number (a trace of rain to 0, say) or leave it empty",
        )
    return numeric.to_numpy(np.float64)


MAX_NUMERIC_CLASSES = 50  # more distinct whole numbers than this are quantities, not classes
STRAY = 0.05  # text among numbers up to this share: stray cells, not classes
CODES = 3  # up to this many distinct texts on under half the rows: codes in a quantity


def _coded_quantities(values: pd.Series) -> bool:
    """Whether text values are quantities with a few text cells among them: stray ones (under
    5%), or up to three codes on under half the rows (weather records write a trace of rain
    as 'T'), beside decimals or more whole numbers than classes come in."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = values[numbers.isna() & values.notna()]
    known = numbers.dropna()
    few = len(text) <= STRAY * len(values) or (
        text.nunique() <= CODES and len(text) < len(values) / 2
    )
    whole_classes = known.nunique() <= MAX_NUMERIC_CLASSES and bool((known == known.round()).all())
    return few and len(known) > 0 and not whole_classes


def _classes(values: pd.Series) -> str:
    """The first few distinct values, for a message."""
    seen = [str(v) for v in sorted(values.unique(), key=str)]
    return ", ".join(seen[:5]) + (f", … ({len(seen)} in all)" if len(seen) > 5 else "")


def _quantities(problem: Problem, values: pd.Series) -> None:
    """Refuse a multiclass label that holds quantities: decimals, or many whole numbers, among
    at most a few text values (a stray "n/a" or "lots" made pizzas a day 97 classes)."""
    if not _coded_quantities(values):
        return
    numbers = pd.to_numeric(values, errors="coerce")
    text, distinct = values[numbers.isna()], numbers.nunique()
    if len(text):
        raise DataError(
            f"{problem.source}: label.column",
            f"column {values.name!r} holds numbers ({distinct} distinct) and {len(text)} "
            f"text value(s) ({_classes(text)}); expected numbers, a missing one left "
            "empty or written NA, a code such as a trace's 'T' mapped to a number",
        )
    raise SpecError(
        f"{problem.source}: label.task",
        f"column {values.name!r} looks numeric with {distinct} distinct values, not classes; "
        "use task: regression",
    )


def _codec(problem: Problem, values: pd.Series, task: Task, place: str) -> LabelCodec:
    if task == "regression":
        return LabelCodec(task)
    if task == "binary":
        if values.nunique() > 2:
            raise DataError(
                place,
                f"binary needs two classes; column {values.name!r} has {values.nunique()}: "
                + _classes(values),
            )
        pos = _positive(problem, values)
        others = [str(v) for v in sorted(values.unique(), key=str) if v != pos]
        return LabelCodec(task, (*(others or ["(other)"]), str(pos)), str(pos))
    _quantities(problem, values)
    return LabelCodec(task, tuple(sorted(values.astype(str).unique())))


def learn(problem: Problem, values: pd.Series) -> tuple[Array, LabelCodec]:
    """The label's codec, learned from its (non-missing) values, and the values encoded."""
    task = problem.label.task or infer_task(values)
    if problem.metric is not None:
        from gonogo.metrics import METRICS

        if task not in METRICS[problem.metric].tasks:
            raise SpecError(
                f"{problem.source}: metric",
                f"{problem.metric!r} does not fit a {task} label; use one of "
                + ", ".join(n for n, m in METRICS.items() if task in m.tasks),
            )
    place = f"{problem.source}: label.column"
    codec = _codec(problem, values, task, place)
    return codec.encode(values, place), codec
