"""A table bound to a problem: which column plays which role, the label encoded, derived groups.

Binding is where a spec meets its data, so it is where "the column does not exist" and "the
label is not numeric" are found; every such error names the spec field and the column.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gonogo.data import columns as named
from gonogo.data import dates, dialect, label, lags
from gonogo.data.columns import not_found
from gonogo.data.derive import calendar, calendar_columns, echoes
from gonogo.data.featurize import Derivation, Featurizer, conversion
from gonogo.data.label import LabelCodec
from gonogo.data.schema import InputSchema
from gonogo.data.sources import read_table
from gonogo.errors import DataError, SpecError
from gonogo.problem import (
    OTHERS,
    Problem,
    Task,
    date_columns,
    derivations,
    lagged,
    systems,
)

# How row numbers are named: R's rownames, pandas' saved index and its reset, readr's and
# Arrow's names for an unnamed first column.
ROW_NAMES = frozenset(
    {"rownames", "row.names", "row_names", "unnamed: 0", "", "...1", "index", "level_0"}
    | {"row", "rowid", "row_id", "row_number", "rownumber"}
)
PRESENT = 10  # values a fit's rows must hold of a column for the fit to read it


@dataclass(frozen=True)
class Dataset:
    """Rows with a label, time-ordered when there is a time column, plus the columns' roles.

    `frame` holds the model inputs (the featurizer's output), `raw` the same rows as they
    were read; `schema` describes the raw columns, `codec` the label.
    """

    frame: pd.DataFrame
    raw: pd.DataFrame
    y: NDArray[np.float64]
    codec: LabelCodec
    featurizer: Featurizer
    schema: InputSchema
    groups: dict[str, tuple[str, ...]]
    time: str | None
    entity: str | None
    label: str
    missing_label: int
    unused: dict[str, str]
    # Each row's position in the table it was bound from, which binding puts in time order
    # and rids of unlabeled rows: a pipeline tells by it which file a row came from.
    origin: NDArray[np.intp]

    @property
    def task(self) -> Task:
        return self.codec.task

    @property
    def classes(self) -> tuple[str, ...]:
        return self.codec.classes

    @property
    def features(self) -> list[str]:
        """Every feature column, in group order, each once."""
        return list(dict.fromkeys(c for cols in self.groups.values() for c in cols))

    @property
    def n_classes(self) -> int:
        """How many classes (0 for regression)."""
        return len(self.codec)

    @property
    def raw_datetimes(self) -> tuple[str, ...]:
        """Feature columns of dates, read by the models as day counts."""
        return tuple(c for c, how in self.featurizer.conversions if how == "datetime")

    @cached_property
    def digest(self) -> str:
        """A digest of the rows and the label, for provenance."""
        try:
            rows = pd.util.hash_pandas_object(self.raw, index=False)
        except TypeError:  # values pandas cannot hash (lists, dicts): hash their text
            rows = pd.util.hash_pandas_object(self.raw.astype(str), index=False)
        h = hashlib.sha256(rows.to_numpy().tobytes())
        h.update(self.y.tobytes())
        return h.hexdigest()

    @cached_property
    def levels(self) -> dict[str, int]:
        """Each category feature's number of levels, a missing value one more."""
        return {
            c: int(self.frame[c].nunique(dropna=False))
            for c in self.features
            if self.is_categorical(c)
        }

    @cached_property
    def _gappy(self) -> frozenset[str]:
        """The columns missing a value somewhere."""
        return frozenset(str(c) for c, gaps in self.frame.isna().any().items() if gaps)

    def present(self, columns: list[str], rows: NDArray[np.intp]) -> list[str]:
        """The `columns` with at least PRESENT values on `rows`: a fit learns nothing from one
        without (a lag on a panel's first year, a measurement begun later), and gradient
        boosting's binning raises on one its early stopping leaves without a value. Only
        columns with gaps are looked at: every fit asks."""
        gappy = [c for c in columns if c in self._gappy]
        known = self.frame[gappy].iloc[rows].notna().sum()
        return [c for c in columns if c not in self._gappy or known[c] >= PRESENT]

    def is_categorical(self, column: str) -> bool:
        """Whether a column holds categories rather than quantities."""
        s = self.frame[column]
        return not pd.api.types.is_numeric_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


def _require(
    place: str, columns: list[str] | None, known: list[str], made: tuple[Derivation, ...] = ()
) -> None:
    for i, col in enumerate(columns or []):
        if col in known:
            continue
        part = next((d for d in made if _calendar_part(d, col)), None)
        if part is None:
            raise not_found(f"{place}[{i}]", col, known)
        raise SpecError(
            f"{place}[{i}]",
            f"the calendar of {part.source} leaves {col!r} out: a cyclic part needs dates "
            "spanning two of its cycles, the year two years, the hour a time of day and "
            f"holidays a country; it has {', '.join(part.columns) or 'nothing'} here",
        )


def _calendar_part(d: Derivation, column: str) -> bool:
    every = calendar_columns(hours=True, holidays=True)
    return d.kind == "calendar" and column.removeprefix(d.prefix) in every


def _derivations(problem: Problem, frame: pd.DataFrame) -> tuple[Derivation, ...]:
    """Each derived group, with its columns prefixed by their source where a name is taken."""
    taken = set(frame.columns)
    out = []
    read: dict[str, tuple[pd.Series, str | None]] = {}
    for group, spec in derivations(problem).items():
        kind = spec.kind
        if kind == "lags" or spec.source is None:  # lags: the table's columns, added before
            continue
        place = _derive_place(problem, group)
        if spec.source not in frame.columns:
            raise not_found(place, spec.source, list(frame.columns))
        if spec.source not in read:  # calendar and trend of one column: read it once
            read[spec.source] = dates.parse(frame[spec.source], place, problem.data.date_format)
        days, fmt = read[spec.source]
        zone = dates.zone_of(days)
        days = dates.on_clock(days, zone)
        if spec.country is not None:  # an unknown country is the spec's error, found here
            calendar(days.head(1), spec.country, f"{problem.source}: derive.{group}")
        names = _derived_names(kind, spec.country, days)
        prefix = f"{spec.source}_" if taken & set(names) else ""
        columns = tuple(prefix + n for n in names)
        taken |= set(columns)
        origin = days.min().isoformat() if kind == "trend" else None
        made = Derivation(
            group, kind, spec.source, spec.country, prefix, columns, origin, fmt, zone
        )
        out.append(made)
    return tuple(out)


def _derived_names(kind: str, country: str | None, dates: pd.Series) -> list[str]:
    """The trend, or the calendar's columns: the hour only when timestamps carry one, the
    parts of a day unless the dates are monthly (all on one day of the month, or all on the
    last), each cyclic part only when the dates span two of its cycles; none for yearly dates
    (all on one day of the year), whose year is the trend's level by another name."""
    if kind == "trend":
        return ["trend"]
    if dates.dt.month.nunique() == 1 and dates.dt.day.nunique() == 1:
        return []
    hours = bool((dates != dates.dt.normalize()).any())
    monthly = dates.dt.day.nunique() == 1 or bool(dates.dt.is_month_end.all())
    # Each date stands for a step: 24 months cover two years, though the first and the last
    # are 23 months apart.
    distinct = pd.Series(dates.dropna().unique()).sort_values()
    step = distinct.diff().median() if len(distinct) > 1 else pd.Timedelta(0)
    return calendar_columns(
        hours, country is not None, not monthly, distinct.iloc[-1] - distinct.iloc[0] + step
    )


def _derive_place(problem: Problem, group: str) -> str:
    given = group in problem.derive
    return f"{problem.source}: " + (f"derive.{group}.from" if given else "data.time")


def _check_roles(problem: Problem, frame: pd.DataFrame, made: tuple[Derivation, ...]) -> None:
    known = list(frame.columns)
    derived = [c for d in made for c in d.columns]
    src = problem.source
    roles = {
        "label.column": problem.label.column,
        "data.time": problem.data.time,
        "data.entity": problem.data.entity,
    }
    for place, col in roles.items():
        if col is not None and col not in known:
            raise not_found(f"{src}: {place}", col, known)
    _require(f"{src}: slices", problem.slices, known + derived, made)
    for i, base in enumerate(problem.baselines):
        _require(f"{src}: baselines[{i}].group_by", base.group_by, known + derived, made)
        if base.column is not None and base.column not in known:
            raise not_found(f"{src}: baselines[{i}].column", base.column, known)


def _roles(problem: Problem, columns: list[str]) -> dict[str, str]:
    """Columns that are not features because of their role in the spec."""
    place = f"{problem.source}: exclude"
    if OTHERS in problem.exclude:
        raise SpecError(place, f"'{OTHERS}' would exclude every column; name them, or a pattern")
    excluded = named.select(problem.exclude, columns, place)
    roles = {c: "excluded" for c in excluded}
    for column, role in ((problem.data.entity, "entity"), (problem.data.time, "time")):
        if column is not None:
            roles[column] = role
    roles[problem.label.column] = "label"
    return roles


def _feature_groups(
    problem: Problem,
    columns: list[str],
    derived: tuple[Derivation, ...],
    lagged: dict[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    roles = _roles(problem, columns)
    reserved = frozenset(roles) | frozenset(systems(problem).values())
    reserved |= {c for cols in lagged.values() for c in cols}
    if problem.features is not None:
        place = f"{problem.source}: features"
        groups = named.groups(problem.features, columns, reserved, place)
        for group, cols in groups.items():
            both = [c for c in cols if roles.get(c) == "excluded"]
            if both:
                raise SpecError(
                    f"{place}.{group}", f"lists {both[0]!r}, which exclude lists too: keep one"
                )
    else:
        groups = {"all": tuple(c for c in columns if c not in reserved)}
    groups |= {name: (col,) for name, col in systems(problem).items()}
    groups |= {d.group: d.columns for d in derived} | lagged
    label = problem.label.column
    for group, cols in groups.items():
        if label in cols:
            raise SpecError(f"{problem.source}: features.{group}", f"lists the label {label!r}")
    return groups


def watched(problem: Problem, columns: list[str]) -> list[str]:
    """The raw columns among `columns` that a run of the problem reads: its features (all but
    the excluded and reserved ones when the spec lists none), the existing systems' columns,
    the label, time and entity, the sources of derived groups and the baselines' groupings;
    not a row number unless the spec names it. The spec's lags may be named as features:
    they are no raw columns, their sources are."""
    made = sorted(lagged(problem) - set(columns))
    groups = _feature_groups(problem, [*columns, *made], (), {})
    used = {c for cols in groups.values() for c in cols}
    # The gate sees statistics, not the values in order: it goes by the name alone.
    used -= {c for c in used if _row_named(c)} - _named(problem)
    used |= {c for c, role in _roles(problem, columns).items() if role != "excluded"}
    used |= {c for d in problem.derive.values() if d for c in (d.source, d.column, d.by) if c}
    used |= {c for b in problem.baselines for c in b.group_by or ()}
    return [c for c in columns if c in used]


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


def _row_named(column: str) -> bool:
    return column.strip().lower() in ROW_NAMES


def _row_label(s: pd.Series) -> str | None:
    """Why a column is no feature of the example, if it labels the rows: named as R's
    rownames or a saved pandas index are, and holding row numbers ("row number") or, as
    text, a different name on every row ("row names": R's row names of Hitters are its
    players). Neither says anything that carries over to new examples."""
    if not _row_named(str(s.name)) or s.isna().any() or len(s) < 2:
        return None
    if pd.api.types.is_string_dtype(s):  # text, categories of text included
        return "row names" if s.nunique() == len(s) else None
    return "row number" if _row_number(s) else None


def _row_number(s: pd.Series) -> bool:
    """Whether a column named as row numbers numbers the rows: integers from 0 or 1, each a
    different row's (in any order: shuffled or filtered) or counting up from the start again
    in every file stacked. It says where a row sat in a file; on a table sorted by its label
    it would pass for the strongest feature there is. A value alone cannot tell: a day of the
    month counts up."""
    if not pd.api.types.is_integer_dtype(s):
        return False
    values = s.to_numpy(dtype=np.int64)
    if values.min() not in (0, 1):  # years as R's rownames (longley's) are no row numbers
        return False
    if len(np.unique(values)) == len(values):
        return True
    restarts = np.flatnonzero(np.diff(values) <= 0) + 1
    return bool(np.all(values[restarts] == values.min()))


def _named(problem: Problem) -> set[str]:
    """The columns the spec names as features (not by a pattern) or as an existing system."""
    named = {c for cols in (problem.features or {}).values() for c in cols}
    return named | set(systems(problem).values())


def _usable(
    problem: Problem,
    frame: pd.DataFrame,
    columns: list[str],
    groups: dict[str, tuple[str, ...]],
    labelling: dict[str, str],
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Groups without the columns a model cannot use, and every column of `frame` (the raw
    `columns` and derived ones) left out, with why. The columns `labelling` the rows (row
    numbers or names) are left out unless the spec names them (a pattern such as `*` does
    not)."""
    features = set(c for cols in groups.values() for c in cols)
    unfit = {c: why for c in features if (why := _unusable(frame[c])) is not None}
    named = _named(problem) | set(unfit)
    unfit |= {c: labelling[c] for c in features if c in labelling and c not in named}
    kept = {g: tuple(c for c in cols if c not in unfit) for g, cols in groups.items()}
    roles = _roles(problem, columns)
    unused = {
        str(c): unfit.get(c) or roles.get(c) or "not in features"
        for c in frame.columns
        if c not in features or c in unfit
    }
    return kept, unused


def _echoes(
    problem: Problem,
    frame: pd.DataFrame,
    groups: dict[str, tuple[str, ...]],
    made: tuple[Derivation, ...],
) -> dict[str, str]:
    """The derived calendar columns that a feature column of the table already holds (the
    births table's own wday, month and year), and that column; those the spec names (a
    slice, a baseline's group or expression) are kept."""
    derived = {c for d in made for c in d.columns}
    features = list(dict.fromkeys(c for cols in groups.values() for c in cols))
    named = set(problem.slices or []) | {c for b in problem.baselines for c in b.group_by or []}
    said = " ".join(b.expression for b in problem.baselines if b.expression is not None)
    calendar = [
        c
        for d in made
        if d.kind == "calendar"
        for c in d.columns
        if c in features and c not in named and not re.search(rf"\b{re.escape(c)}\b", said)
    ]
    own = [c for c in features if c not in derived]
    return echoes(frame[calendar], frame[own]) if calendar and own else {}


Groups = dict[str, tuple[str, ...]]


def _without(groups: Groups, left: dict[str, str]) -> Groups:
    return {g: tuple(c for c in cols if c not in left) for g, cols in groups.items()}


def _derived_parts(
    problem: Problem,
    groups: dict[str, tuple[str, ...]],
    made: tuple[Derivation, ...],
    held: dict[str, str],
) -> dict[str, tuple[str, ...]]:
    """The groups without a derived one left with no columns (the calendar of yearly dates,
    or of monthly ones over less than two years, or one the table `held` already): nothing
    to measure, and a hypothesis the spec states on it is refused."""
    empty = {d.group: d for d in made if not groups.get(d.group)}
    for i, h in enumerate(problem.hypotheses):
        if h.group not in empty:
            continue
        d = empty[h.group]
        why = (
            "has no columns on these dates (a cyclic part needs two of its cycles, yearly "
            "dates have none); test another group"
        )
        if any(c in held for c in d.columns):
            same = ", ".join(f"{c} is {held[c]}" for c in d.columns if c in held)
            why = f"adds no column the table does not hold ({same}); test a group of those"
        raise SpecError(
            f"{problem.source}: hypotheses[{i}].group", f"the {d.kind} of {d.source} {why}"
        )
    return {g: cols for g, cols in groups.items() if g not in empty}


def _ordered(
    problem: Problem, frame: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series | None, NDArray[np.intp]]:
    """The labeled rows, in time order when there is a time column, their times read as
    dates (read once: inferring a text column's format is not free), and their positions."""
    time = problem.data.time
    times = None
    if time is not None:
        times = dates.time_of(problem, frame[time])
        order = times.argsort(kind="stable").to_numpy()
        frame, times = frame.iloc[order], times.iloc[order]
    labeled = label.present(frame[problem.label.column]).to_numpy()
    frame = frame[labeled]
    if frame.empty:
        raise DataError(
            f"{problem.source}: label.column", f"column {problem.label.column!r} has no values"
        )
    origin = frame.index.to_numpy(np.intp)
    times = None if times is None else times[labeled].reset_index(drop=True)
    return frame.reset_index(drop=True), times, origin


def bind(problem: Problem, frame: pd.DataFrame) -> Dataset:
    """Check a table against the spec and give it roles; raises SpecError/DataError."""
    if frame.empty:
        raise DataError(f"{problem.source}: data", "the table has no rows")
    frame = plain(frame).reset_index(drop=True)  # positions, for `origin`
    labelling = {str(c): why for c in frame.columns if (why := _row_label(frame[c]))}
    frame, lagged = lags.add(problem, frame)
    made = _derivations(problem, frame)
    _check_roles(problem, frame, made)
    columns = [str(c) for c in frame.columns]
    raw, times, origin = _ordered(problem, frame)
    places = {d.group: _derive_place(problem, d.group) for d in made}
    derived = Featurizer(made).derive(raw, places)
    time = problem.data.time
    if time is not None:
        derived[time] = times
    y, codec = label.learn(problem, raw[problem.label.column])
    groups, unused = _usable(
        problem, derived, columns, _feature_groups(problem, columns, made, lagged), labelling
    )
    held = _echoes(problem, derived, groups, made)
    unused |= {c: f"same as {column}" for c, column in held.items()}
    groups = _derived_parts(problem, _without(groups, held), made, held)
    made = tuple(replace(d, columns=tuple(c for c in d.columns if c not in held)) for d in made)
    features = list(dict.fromkeys(c for cols in groups.values() for c in cols))
    if not features:
        hint = " (row numbers and names are features only when features names them)"
        raise SpecError(
            f"{problem.source}: features",
            "no usable feature columns are left: "
            + ", ".join(f"{c} ({why})" for c, why in list(unused.items())[:6])
            + (hint if set(labelling.values()) & set(unused.values()) else ""),
        )
    conversions = tuple((c, how) for c in features if (how := conversion(derived[c])) is not None)
    featurizer = Featurizer(made, conversions)
    inputs = [c for c in columns if c != problem.label.column]
    return Dataset(
        featurizer.convert(derived),
        raw,
        y,
        codec,
        featurizer,
        InputSchema.learn(raw, inputs, problem.data.unseen, date_columns(problem)),
        groups,
        time,
        problem.data.entity,
        problem.label.column,
        len(frame) - len(raw),
        unused,
        origin,
    )


def as_pandas(data: Any, place: str) -> pd.DataFrame:
    """A pandas frame from a pandas, polars or Arrow table or record batch, its nullable
    number columns (Int64, Float64: how pandas keeps integers with gaps, and writes them to
    Parquet) as float64 with NaN for a missing value: scikit-learn refuses pandas' NA."""
    if isinstance(data, pd.DataFrame):
        return plain(data)
    if hasattr(data, "to_pandas"):
        return as_pandas(data.to_pandas(), place)
    raise DataError(place, f"expected a pandas, polars or Arrow table; found {type(data).__name__}")


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its nullable number columns (Int64, Float64) as numpy's: float64 with NaN
    where one has gaps, int64 where a whole-number one has none (class names stay `1`, not
    `1.0`)."""
    types = {
        c: "int64" if pd.api.types.is_integer_dtype(t) and not frame[c].hasnans else "float64"
        for c, t in frame.dtypes.items()
        if isinstance(t, pd.api.extensions.ExtensionDtype)
        and pd.api.types.is_numeric_dtype(t)
        and not pd.api.types.is_bool_dtype(t)
    }
    return frame.astype(types) if types else frame


def load(problem: Problem, data: Any = None) -> Dataset:
    """The problem's data (from `data` if given, else from `data.path` or `data.sql`) bound
    to the spec.

    `data` may be a pandas DataFrame, a polars DataFrame or a pyarrow Table.
    """
    if data is None and problem.data.sql is not None:
        from gonogo.data import sql

        data = sql.read(problem)
    elif data is None:
        if problem.data.path is None:
            raise SpecError(
                f"{problem.source}: data.path", "required (or data.sql) when no frame is passed"
            )
        path = problem.base_dir / problem.data.path
        data = read_table(path, f"{problem.source}: data.path", dialect.training(problem))
    return bind(problem, as_pandas(data, "data"))
