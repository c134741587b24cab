"""The featurizer: every transform from raw rows to model inputs, as data rather than code.

Binding a table derives the calendar and trend groups and turns dates, durations, booleans and
text into what the models read; the featurizer records exactly which, so the same transform
runs on the rows a server or a batch job receives. Each transform is a function of one row, so
a model's inputs for a row are the same whichever table the row arrives in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from gonogo.data import dates
from gonogo.data.derive import calendar, trend
from gonogo.data.schema import kind_of
from gonogo.errors import DataError

Conversion = Literal["datetime", "duration", "boolean", "text"]


@dataclass(frozen=True)
class Derivation:
    """A derived group: `kind` of column `source`, giving `columns` (named with `prefix`);
    a trend counts from `origin` (ISO 8601), learned when the group was, as were the `format`
    the source's text dates are read with and the `zone` they were written in (whose clock
    the calendar and the trend read)."""

    group: str
    kind: Literal["calendar", "trend"]
    source: str
    country: str | None
    prefix: str
    columns: tuple[str, ...]
    origin: str | None = None
    format: str | None = None
    zone: str | None = None

    def make(self, dates: pd.Series, place: str) -> pd.DataFrame:
        if self.kind == "trend":
            assert self.origin is not None, "a trend is learned with its origin"
            made = trend(dates, pd.Timestamp(self.origin), self.prefix)
        else:
            made = calendar(dates, self.country, place, self.prefix)
        return made[list(self.columns)]


def beside(frame: pd.DataFrame, made: list[pd.DataFrame]) -> pd.DataFrame:
    """A copy of `frame` with the columns of `made` (computed from its rows, in its order)
    added by position: joined on the index, a frame whose index repeats (tables concatenated
    as they came) would get every repeated row several times."""
    return frame.assign(**{c: m[c].to_numpy() for m in made for c in m.columns})


def conversion(values: pd.Series) -> Conversion | None:
    """How a feature column becomes a model input, or None when it is one already (numbers,
    and categories that binding or a derivation made)."""
    kind = kind_of(values)
    if kind == "number" or isinstance(values.dtype, pd.CategoricalDtype):
        return None
    return kind


def _text(values: pd.Series) -> pd.Categorical:
    # Missing as NaN, not pd.NA: scikit-learn's encoders reject pd.NA.
    return pd.Categorical(values.astype("string").to_numpy(dtype=object, na_value=np.nan))


EPOCH = "1970-01-01"  # a date column as a model input: the whole days since this one
# on UTC's clock for a date written with a zone, so an offset a client writes moves no day
FEATURE_ZONE = "UTC"
_CONVERT: dict[Conversion, Any] = {
    "datetime": lambda s: (dates.on_clock(s, FEATURE_ZONE) - pd.Timestamp(EPOCH)).dt.days.astype(
        "float64"
    ),
    "duration": lambda s: s.dt.total_seconds() / 86400.0,
    "boolean": lambda s: s.astype("float64"),
    "text": _text,
}


def _derivation(d: dict[str, Any]) -> Derivation:
    """A saved derivation. Saved before the zone was kept, a trend's origin carries it
    (`2013-01-01T06:00:00+00:00`): its dates are read on that clock, as they were learned."""
    origin, zone = d["origin"], d.get("zone")
    when = pd.Timestamp(origin) if origin is not None and zone is None else None
    if when is not None and when.tz is not None:
        origin, zone = when.tz_localize(None).isoformat(), dates.zone_of(pd.Series([when]))
    columns = tuple(d["columns"])
    return Derivation(
        d["group"], d["kind"], d["from"], d["country"], d["prefix"], columns, origin,
        d.get("format"), zone,
    )  # fmt: skip


@dataclass(frozen=True)
class Featurizer:
    """Derived groups to add, then conversions of feature columns to model inputs."""

    derivations: tuple[Derivation, ...] = ()
    conversions: tuple[tuple[str, Conversion], ...] = ()

    @property
    def derived(self) -> dict[str, str]:
        """Each derived column and the raw column it comes from."""
        return {c: d.source for d in self.derivations for c in d.columns}

    @property
    def day_counts(self) -> dict[str, tuple[str, str]]:
        """Each model input that counts days (a trend, a date column read as a number), with
        the date column it counts and the day it counts from."""
        trends = {
            d.columns[0]: (d.source, str(d.origin)) for d in self.derivations if d.kind == "trend"
        }
        return trends | {c: (c, EPOCH) for c, how in self.conversions if how == "datetime"}

    def inputs(self, columns: list[str]) -> list[str]:
        """The raw columns needed to give `columns`, in order."""
        derived = self.derived
        return list(dict.fromkeys(derived.get(c, c) for c in columns))

    def restrict(self, columns: list[str]) -> Featurizer:
        """Only what giving `columns` takes."""
        wanted = set(columns)
        return Featurizer(
            tuple(d for d in self.derivations if wanted & set(d.columns)),
            tuple((c, how) for c, how in self.conversions if c in wanted),
        )

    def derive(self, frame: pd.DataFrame, places: dict[str, str] | None = None) -> pd.DataFrame:
        """A copy of `frame` with the derived columns; errors name `places[group]` if given."""
        made: list[pd.DataFrame] = []
        for d in self.derivations:
            place = (places or {}).get(d.group, "rows")
            if d.source not in frame.columns:
                raise DataError(place, f"column {d.source!r} is missing")
            values = frame[d.source]
            read = (
                dates.value_by_value(values, place)
                if d.format == dates.MIXED
                else dates.parse(values, place, d.format)[0]
            )
            made.append(d.make(dates.on_clock(read, d.zone), place))
        return beside(frame, made)

    def convert(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` with its feature columns as model inputs."""
        if not self.conversions:
            return frame
        out = frame.copy()
        for column, how in self.conversions:
            out[column] = _CONVERT[how](out[column])
        return out

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Raw rows as model inputs."""
        return self.convert(self.derive(frame))

    def to_dict(self) -> dict[str, Any]:
        return {
            "derivations": [
                {
                    "group": d.group,
                    "kind": d.kind,
                    "from": d.source,
                    "country": d.country,
                    "prefix": d.prefix,
                    "columns": list(d.columns),
                    "origin": d.origin,
                    "format": d.format,
                    "zone": d.zone,
                }
                for d in self.derivations
            ],
            "conversions": dict(self.conversions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Featurizer:
        derivations = tuple(_derivation(d) for d in data["derivations"])
        return cls(derivations, tuple(data["conversions"].items()))
