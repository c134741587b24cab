"""The input schema: which raw columns something reads, of which type, and what was seen.

Learned from the rows a candidate was fitted on, so a new table (a server's request, a batch)
can be checked against it before anything predicts: a missing column or a wrong type is a
one-line error naming the column, never a wrong number. Types are the few a spec's data can
hold; `optional` says whether a column held missing values in training (the data gate
blocks a column that starts missing; a prediction reads a missing value in any column).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gonogo.errors import DataError
from gonogo.problem import lag_of

Kind = Literal["number", "boolean", "text", "datetime", "duration"]
Unseen = Literal["missing", "refuse"]
MAX_CATEGORIES = 1_000  # text columns with more levels keep no list of them


@dataclass(frozen=True)
class Field:
    """One raw column: its type, whether it held missing values, its levels (text), and what
    a level outside them is when rows are predicted (`unseen`)."""

    name: str
    kind: Kind
    optional: bool
    categories: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unseen: Unseen = "missing"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "optional": self.optional}
        if self.categories is not None:
            out["categories"] = list(self.categories)
        bounds = {"minimum": self.minimum, "maximum": self.maximum}
        out |= {k: v for k, v in bounds.items() if v is not None}
        return out | ({"unseen": self.unseen} if self.unseen != "missing" else {})

    def conform(self, values: pd.Series, place: str) -> pd.Series:
        """`values` in this field's type, as the model reads them; DataError naming the first
        value it cannot read."""
        return _conform(self, values, place)


def kind_of(values: pd.Series) -> Kind:
    """The type of a column's values, as a schema names it."""
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(values):
        return "duration"
    if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        return "number"
    return "text"


def _field(name: str, values: pd.Series, unseen: Unseen, dated: bool) -> Field:
    kind, optional = kind_of(values), bool(values.isna().any())
    if kind != "text" or dated:  # dates written as text: every new day is a new value
        return Field(name, kind, optional)
    seen = values.dropna().astype("string").unique()
    if len(seen) > MAX_CATEGORIES:  # too many to list: nothing to refuse against
        return Field(name, kind, optional)
    return Field(name, kind, optional, tuple(sorted(str(v) for v in seen)), unseen=unseen)


@dataclass(frozen=True)
class InputSchema:
    """The raw columns read, in order."""

    fields: tuple[Field, ...]

    @classmethod
    def learn(
        cls,
        frame: pd.DataFrame,
        columns: list[str],
        unseen: Unseen = "missing",
        dates: frozenset[str] = frozenset(),
    ) -> InputSchema:
        """The schema of `columns`; those in `dates` are read as dates, so their text keeps
        no list of levels (none is refused as unseen)."""
        return cls(tuple(_field(c, frame[c], unseen, c in dates) for c in columns))

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def dated(self) -> list[str]:
        """The columns typed as dates and times."""
        return [f.name for f in self.fields if f.kind == "datetime"]

    def only(self, names: list[str]) -> InputSchema:
        """The fields of `names`, in that order."""
        by = {f.name: f for f in self.fields}
        return InputSchema(tuple(by[n] for n in names))

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [f.to_dict() for f in self.fields]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSchema:
        return cls(
            tuple(
                Field(
                    f["name"],
                    f["type"],
                    bool(f["optional"]),
                    tuple(f["categories"]) if f.get("categories") is not None else None,
                    f.get("minimum"),
                    f.get("maximum"),
                    f.get("unseen", "missing"),
                )
                for f in data["columns"]
            )
        )

    @cached_property
    def _levels(self) -> list[tuple[str, pa.Array, bool]]:
        """Each column with a list of levels, the levels, and whether it refuses others."""
        return [
            (f.name, pa.array(f.categories, pa.string()), f.unseen == "refuse")
            for f in self.fields
            if f.categories is not None
        ]

    def unseen(self, rows: pa.RecordBatch | pa.Table) -> dict[str, tuple[int, str]]:
        """Each column's values that are levels training never held (missing values are
        not): how many, and the first. Values of another type are read as text the way the
        model reads them (`conform`), so both agree on what is unseen."""
        out = {}
        for name, known, _ in self._levels:
            if name in rows.schema.names and len(outside := _outside(rows.column(name), known)):
                out[name] = (len(outside), str(outside[0].as_py()))
        return out

    def refuse_unseen(self, rows: pa.RecordBatch | pa.Table, place: str) -> None:
        """Raise DataError naming the first level of a refusing column that training never
        held (missing values pass)."""
        for name, known, refuse in self._levels:
            if not refuse or name not in rows.schema.names:
                continue
            outside = _outside(rows.column(name), known)
            if len(outside):
                raise DataError(
                    place,
                    f"column {name!r}: {outside[0].as_py()!r} is a category training never "
                    f"held, and the spec refuses unseen ones (data.unseen); known: "
                    f"{_shown(known.to_pylist())}",
                )

    def require(self, given: list[str], place: str) -> None:
        """A DataError naming the first column the schema reads that `given` lacks: a lag
        says it is one, and the column of `given` most like it is named (misspelt, it would
        otherwise go unread without a word)."""
        missing = [n for n in self.names if n not in given]
        if not missing:
            return
        lag = lag_of(missing[0])
        what = f" (a lag: {lag[0]} {lag[1]} steps before, which the rows carry)" if lag else ""
        strays = [n for n in given if n not in self.names]
        near = difflib.get_close_matches(missing[0], strays, n=1)
        hint = f" (the rows have {near[0]!r}: misspelt?)" if near else ""
        raise DataError(
            place, f"column {missing[0]!r}{what} is missing; expected columns {self.names}{hint}"
        )

    def conform(self, frame: pd.DataFrame, place: str) -> pd.DataFrame:
        """The schema's columns of `frame`, in their trained types; raises DataError naming
        the first missing column or a value of the wrong type."""
        self.require([str(c) for c in frame.columns], place)
        return pd.DataFrame(
            {f.name: f.conform(frame[f.name], place) for f in self.fields}, index=frame.index
        )


def _outside(values: Any, known: pa.Array) -> pa.Array:
    """The values (read as text as `conform` reads them) that are not among `known`."""
    if not pa.types.is_string(values.type):
        values = pa.array(_text(values.to_pandas()), pa.string(), from_pandas=True)
    return pc.drop_null(pc.filter(values, pc.invert(pc.is_in(values, known))))


def _shown(levels: list[str]) -> str:
    head = ", ".join(repr(v) for v in levels[:5])
    return head + (f" and {len(levels) - 5} more" if len(levels) > 5 else "")


def _booleans(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    return text.map({"true": True, "1": True, "false": False, "0": False})


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").to_numpy(dtype=object, na_value=np.nan)
    return pd.Series(text, index=values.index, name=values.name)


# How values of another type become the field's, and what the field expects, in words.
_PARSE: dict[Kind, tuple[Callable[[pd.Series], pd.Series], str]] = {
    "number": (lambda v: pd.to_numeric(v, errors="coerce"), "numbers"),
    "boolean": (_booleans, "true/false"),
    "datetime": (lambda v: pd.to_datetime(v, errors="coerce", format="ISO8601"), "ISO 8601 dates"),
    "duration": (lambda v: pd.to_timedelta(v, errors="coerce"), "durations"),
    "text": (_text, "text"),
}


def _conform(field: Field, values: pd.Series, place: str) -> pd.Series:
    """Values in the field's type; unchanged when they already have it. A column of only
    missing values (a JSON request's nulls) of a number, date or duration field is made
    missing values of that type: left as objects, a model would fail on it."""
    parse, what = _PARSE[field.kind]
    if values.isna().all():
        return parse(values) if field.kind in ("number", "datetime", "duration") else values
    if kind_of(values) == field.kind:
        return values
    made = parse(values)
    bad = made.isna() & values.notna()
    if bad.any():
        raise DataError(
            place, f"column {field.name!r} expects {what}; found {values[bad].iloc[0]!r}"
        )
    return made
