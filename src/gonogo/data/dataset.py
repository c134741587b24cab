"""A table bound to a problem: which column plays which role, the label encoded, derived groups.

Binding is where a spec meets its data, so it is where "the column does not exist" and "the
label is not numeric" are found; every such error names the spec field and the column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gonogo.data.derive import calendar, trend
from gonogo.data.sources import read_table
from gonogo.errors import DataError, SpecError
from gonogo.problem import DeriveSpec, Problem, Task, derivations, systems

_TRUTHY = {"yes", "true", "1", "1.0", "y", "t", "positive", "pos"}
_FALSY = {"no", "false", "0", "0.0", "n", "f", "negative", "neg"}


@dataclass(frozen=True)
class Dataset:
    """Rows with a label, time-ordered when there is a time column, plus the columns' roles."""

    frame: pd.DataFrame
    y: NDArray[np.float64]
    task: Task
    classes: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    time: str | None
    entity: str | None
    label: str
    missing_label: int
    raw_datetimes: tuple[str, ...]
    unused: dict[str, str]

    @property
    def features(self) -> list[str]:
        """Every feature column, in group order, each once."""
        return list(dict.fromkeys(c for cols in self.groups.values() for c in cols))

    @property
    def n_classes(self) -> int:
        """How many classes (0 for regression)."""
        return 0 if self.task == "regression" else len(self.classes)

    def is_categorical(self, column: str) -> bool:
        """Whether a column holds categories rather than quantities."""
        s = self.frame[column]
        return not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


def _missing_column(place: str, column: str, columns: list[str]) -> SpecError:
    near = difflib.get_close_matches(column, columns, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return SpecError(place, f"column {column!r} not found in the data{hint}")


def _require(place: str, columns: list[str] | None, known: list[str]) -> None:
    for i, col in enumerate(columns or []):
        if col not in known:
            raise _missing_column(f"{place}[{i}]", col, known)


def _derived(problem: Problem, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each derived group's columns; prefixed with their source where a name is taken."""
    taken = set(frame.columns)
    out = {}
    for group, spec in derivations(problem).items():
        given = group in problem.derive
        place = f"{problem.source}: " + (f"derive.{group}.from" if given else "data.time")
        if spec.source not in frame.columns:
            raise _missing_column(place, spec.source, list(frame.columns))
        dates = _as_datetime(frame[spec.source], place)
        made = _derive(spec, dates, f"{problem.source}: derive.{group}", "")
        if taken & set(made.columns):
            made = _derive(spec, dates, f"{problem.source}: derive.{group}", f"{spec.source}_")
        taken |= set(made.columns)
        out[group] = made
    return out


def _derive(spec: DeriveSpec, dates: pd.Series, place: str, prefix: str) -> pd.DataFrame:
    if spec.kind == "trend":
        return trend(dates, prefix)
    return calendar(dates, spec.country, place, prefix)


def _as_datetime(values: pd.Series, place: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = int(parsed.isna().sum())
    if bad:
        raise DataError(place, f"column {values.name!r} has {bad} missing or unparsable dates")
    return parsed


def _check_roles(problem: Problem, frame: pd.DataFrame, derived: list[str]) -> None:
    known = list(frame.columns)
    src = problem.source
    roles = {
        "label.column": problem.label.column,
        "data.time": problem.data.time,
        "data.entity": problem.data.entity,
    }
    for place, col in roles.items():
        if col is not None and col not in known:
            raise _missing_column(f"{src}: {place}", col, known)
    for group, cols in (problem.features or {}).items():
        _require(f"{src}: features.{group}", cols, known)
    _require(f"{src}: exclude", problem.exclude, known)
    _require(f"{src}: slices", problem.slices, known + derived)
    for i, base in enumerate(problem.baselines):
        _require(f"{src}: baselines[{i}].group_by", base.group_by, known + derived)
        _require(f"{src}: baselines[{i}].column", [base.column] if base.column else [], known)


def _roles(problem: Problem) -> dict[str, str]:
    """Columns that are not features because of their role in the spec."""
    roles = {c: "excluded" for c in problem.exclude}
    for column, role in ((problem.data.entity, "entity"), (problem.data.time, "time")):
        if column is not None:
            roles[column] = role
    roles[problem.label.column] = "label"
    return roles


def _feature_groups(
    problem: Problem, columns: list[str], derived: dict[str, pd.DataFrame]
) -> dict[str, tuple[str, ...]]:
    if problem.features is not None:
        groups = {g: tuple(cols) for g, cols in problem.features.items()}
    else:
        reserved = set(_roles(problem)) | set(systems(problem).values())
        groups = {"all": tuple(c for c in columns if c not in reserved)}
    groups |= {name: (col,) for name, col in systems(problem).items()}
    groups |= {g: tuple(d.columns) for g, d in derived.items()}
    label = problem.label.column
    for group, cols in groups.items():
        if label in cols:
            raise SpecError(f"{problem.source}: features.{group}", f"lists the label {label!r}")
    return groups


def _unusable(s: pd.Series) -> str | None:
    """Why a column cannot be a feature, or None when it can."""
    if s.nunique(dropna=True) <= 1:
        return "constant"
    if pd.api.types.is_complex_dtype(s):
        return f"unsupported type ({s.dtype})"
    if s.dtype == object:
        kinds = {type(v) for v in s.dropna().iloc[:1000]}
        odd = sorted(k.__name__ for k in kinds if not issubclass(k, str | int | float | bool))
        if odd:
            return f"unsupported type ({', '.join(odd)})"
    return None


def _usable(
    problem: Problem, frame: pd.DataFrame, groups: dict[str, tuple[str, ...]]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Groups without the columns a model cannot use, and every column left out, with why."""
    features = set(c for cols in groups.values() for c in cols)
    unfit = {c: why for c in features if (why := _unusable(frame[c])) is not None}
    kept = {g: tuple(c for c in cols if c not in unfit) for g, cols in groups.items()}
    roles = _roles(problem)
    unused = {
        str(c): unfit.get(c) or roles.get(c) or "not in features"
        for c in frame.columns
        if c not in features or c in unfit
    }
    return kept, unused


def infer_task(values: pd.Series) -> Task:
    """binary for two values, regression for other numbers, multiclass for other text."""
    if pd.api.types.is_bool_dtype(values) or values.nunique() == 2:
        return "binary"
    return "regression" if pd.api.types.is_numeric_dtype(values) else "multiclass"


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
            raise SpecError(
                f"{problem.source}: label.positive",
                f"expected one of {[str(v) for v in levels]}; found {wanted!r}",
            )
        return found[0]
    named = [v for v in levels if str(v).strip().lower() in _TRUTHY]
    if named:
        return named[0]
    counts = values.value_counts()
    return min(levels, key=lambda v: (counts[v], -levels.index(v)))


def _encode_label(
    problem: Problem, values: pd.Series, task: Task
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    place = f"{problem.source}: label.column"
    if task == "regression":
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            example = values[numeric.isna()].iloc[0]
            raise DataError(
                place,
                f"regression needs a numeric label; column {values.name!r} "
                f"has values like {example!r}",
            )
        return numeric.to_numpy(np.float64), ()
    if task == "binary":
        if values.nunique() > 2:
            raise DataError(
                place, f"binary needs two classes; column {values.name!r} has {values.nunique()}"
            )
        pos = _positive(problem, values)
        others = [str(v) for v in sorted(values.unique(), key=str) if v != pos]
        y = (values == pos).to_numpy(np.float64)
        return y, (*(others or ["(other)"]), str(pos))
    levels = sorted(values.astype(str).unique())
    codes = pd.Categorical(values.astype(str), categories=levels).codes
    return codes.astype(np.float64), tuple(levels)


def _label(
    problem: Problem, frame: pd.DataFrame
) -> tuple[NDArray[np.float64], Task, tuple[str, ...]]:
    values = frame[problem.label.column]
    task = problem.label.task or infer_task(values)
    if problem.metric is not None:
        from gonogo.metrics import METRICS

        if task not in METRICS[problem.metric].tasks:
            raise SpecError(
                f"{problem.source}: metric",
                f"{problem.metric!r} does not fit a {task} label; use one of "
                + ", ".join(n for n, m in METRICS.items() if task in m.tasks),
            )
    y, classes = _encode_label(problem, values, task)
    return y, task, classes


def _prepare_features(frame: pd.DataFrame, features: list[str]) -> tuple[str, ...]:
    """Make feature columns model-ready in place; returns the raw datetime columns."""
    raw_datetimes = []
    for col in features:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = (s - pd.Timestamp("1970-01-01")).dt.days.astype("float64")
            raw_datetimes.append(col)
        elif pd.api.types.is_timedelta64_dtype(s):
            frame[col] = s.dt.total_seconds() / 86400.0
        elif pd.api.types.is_bool_dtype(s):
            frame[col] = s.astype("float64")
        elif not pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            # Missing as NaN, not pd.NA: scikit-learn's encoders reject pd.NA.
            text = s.astype("string").to_numpy(dtype=object, na_value=np.nan)
            frame[col] = pd.Categorical(text)
    return tuple(raw_datetimes)


def bind(problem: Problem, frame: pd.DataFrame) -> Dataset:
    """Check a table against the spec and give it roles; raises SpecError/DataError."""
    if frame.empty:
        raise DataError(f"{problem.source}: data", "the table has no rows")
    frame = frame.copy()
    derived = _derived(problem, frame)
    _check_roles(problem, frame, [c for d in derived.values() for c in d.columns])
    columns = [str(c) for c in frame.columns]
    for d in derived.values():
        frame = frame.join(d)
    time = problem.data.time
    if time is not None:
        frame[time] = _as_datetime(frame[time], f"{problem.source}: data.time")
        frame = frame.sort_values(time, kind="stable")
    labeled = frame[problem.label.column].notna()
    frame = frame[labeled].reset_index(drop=True)
    if frame.empty:
        raise DataError(
            f"{problem.source}: label.column", f"column {problem.label.column!r} has no values"
        )
    y, task, classes = _label(problem, frame)
    groups, unused = _usable(problem, frame, _feature_groups(problem, columns, derived))
    features = list(dict.fromkeys(c for cols in groups.values() for c in cols))
    if not features:
        raise SpecError(
            f"{problem.source}: features",
            "no usable feature columns are left: "
            + ", ".join(f"{c} ({why})" for c, why in list(unused.items())[:6]),
        )
    raw = _prepare_features(frame, features)
    return Dataset(
        frame,
        y,
        task,
        classes,
        groups,
        time,
        problem.data.entity,
        problem.label.column,
        int((~labeled).sum()),
        raw,
        unused,
    )


def _as_pandas(data: Any, place: str) -> pd.DataFrame:
    """A pandas frame from a pandas, polars or Arrow table (the latter two via `to_pandas`)."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        return _as_pandas(data.to_pandas(), place)
    raise DataError(place, f"expected a pandas, polars or Arrow table; found {type(data).__name__}")


def load(problem: Problem, data: Any = None) -> Dataset:
    """The problem's data (from `data` if given, else from `data.path`) bound to the spec.

    `data` may be a pandas DataFrame, a polars DataFrame or a pyarrow Table.
    """
    if data is None:
        if problem.data.path is None:
            raise SpecError(f"{problem.source}: data.path", "required when no frame is passed")
        path = problem.base_dir / problem.data.path
        data = read_table(path, f"{problem.source}: data.path")
    return bind(problem, _as_pandas(data, "data"))
