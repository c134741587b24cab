"""The featurizer as ONNX nodes: raw columns in, the model's input columns out.

A graph's inputs are the raw columns the candidate reads, each of shape [n]: text as strings
(a missing value as the empty string), everything else as doubles, NaN when missing: numbers,
booleans as 0 or 1, dates as seconds since 1970-01-01 (of the dates' own clock, as the data
holds them), durations as seconds. The calendar is computed from the seconds with whole-day
arithmetic (the proleptic Gregorian calendar, as pandas has it), and public holidays are a
table of days for the years `HOLIDAY_YEARS`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from onnx import TensorProto, ValueInfoProto, helper

from gonogo.candidates.encode import codes
from gonogo.candidates.onnxgraph.builder import Graph
from gonogo.candidates.onnxgraph.feeds import is_text
from gonogo.data.featurize import Derivation, Featurizer
from gonogo.data.schema import InputSchema
from gonogo.errors import InputError

HOLIDAY_YEARS = range(1950, 2101)
DAY = 86_400.0
_EPOCH = pd.Timestamp("1970-01-01")
_DAY_NAMES = list(pd.date_range("2024-01-01", periods=7).day_name())  # Monday first
_MONTH_NAMES = list(pd.date_range("2024-01-01", periods=12, freq="MS").month_name())

# Each category column's levels and whether rarer levels share the last code, as the models'
# CategoryCodes learned them.
Levels = dict[str, tuple[list[Any], bool]]


def inputs(schema: InputSchema, featurizer: Featurizer) -> list[ValueInfoProto]:
    """The graph's inputs: one [n] tensor per raw column, strings for text, else doubles."""
    return [
        helper.make_tensor_value_info(
            f.name, TensorProto.STRING if is_text(f, featurizer) else TensorProto.DOUBLE, ["n"]
        )
        for f in schema.fields
    ]


def code_table(names: list[str], levels: list[Any], pooled: bool) -> Any:
    """The code of each of `names` among `levels`: NaN when unseen, unless rare levels were
    pooled into the last code."""
    found = codes(pd.Series(names, dtype=object), levels)
    if pooled:
        found[np.isnan(found)] = len(levels)
    return found


class _Dates:
    """The calendar of one date column, each quantity made when first asked for."""

    def __init__(self, g: Graph, seconds: str) -> None:
        self.g, self.seconds = g, seconds

    @cached_property
    def days(self) -> str:
        return self.g.floor_div(self.seconds, DAY)

    @cached_property
    def weekday(self) -> str:  # Monday 0; 1970-01-01 was a Thursday
        return self.g.mod(self.g.affine(self.days, 1.0, 3.0), 7.0)

    @cached_property
    def civil(self) -> tuple[str, str]:
        """Year and month, by the days-to-civil algorithm of H. Hinnant."""
        g = self.g
        z = g.affine(self.days, 1.0, 719_468.0)
        era = g.floor_div(z, 146_097.0)
        doe = g.op("Sub", z, g.affine(era, 146_097.0, 0.0))
        leaps = g.op(
            "Add",
            g.op("Sub", g.floor_div(doe, 1460.0), g.floor_div(doe, 36_524.0)),
            g.floor_div(doe, 146_096.0),
        )
        yoe = g.floor_div(g.op("Sub", doe, leaps), 365.0)
        doy = g.op("Sub", doe, self._year_start(yoe))
        mp = g.floor_div(g.affine(doy, 5.0, 2.0), 153.0)
        month = g.op("Sub", g.affine(mp, 1.0, 3.0), g.affine(self._at_least(mp, 10.0), 12.0, 0.0))
        year = g.op(
            "Add",
            g.op("Add", yoe, g.affine(era, 400.0, 0.0)),
            g.flag(g.op("LessOrEqual", month, g.number(2.0))),
        )
        return year, month

    def _year_start(self, yoe: str) -> str:
        """365 * yoe + yoe // 4 - yoe // 100: days from March 1 of year 0 of the era."""
        g = self.g
        return g.op(
            "Sub",
            g.op("Add", g.affine(yoe, 365.0, 0.0), g.floor_div(yoe, 4.0)),
            g.floor_div(yoe, 100.0),
        )

    def _at_least(self, x: str, bound: float) -> str:
        return self.g.flag(self.g.op("GreaterOrEqual", x, self.g.number(bound)))

    @cached_property
    def day_of_year(self) -> str:
        """Days since January 1 of the date's year, plus one."""
        g = self.g
        before = g.affine(self.civil[0], 1.0, -1.0)  # January is month 11 of the year before
        era = g.floor_div(before, 400.0)
        yoe = g.op("Sub", before, g.affine(era, 400.0, 0.0))
        doe = g.affine(self._year_start(yoe), 1.0, 306.0)
        first = g.op("Add", g.affine(era, 146_097.0, -719_468.0), doe)
        return g.affine(g.op("Sub", self.days, first), 1.0, 1.0)

    @cached_property
    def hour(self) -> str:
        g = self.g
        minutes = g.floor_div(g.op("Sub", self.seconds, g.affine(self.days, DAY, 0.0)), 60.0)
        return g.op("Div", minutes, g.number(60.0))

    def holiday(self, country: str) -> str:
        import holidays

        days_off = holidays.country_holidays(country, years=HOLIDAY_YEARS)
        keys = [float((pd.Timestamp(d) - _EPOCH).days) for d in days_off]
        g = self.g
        as_float = g.op("Cast", self.days, to=TensorProto.FLOAT)
        found = g.op(
            "LabelEncoder",
            as_float,
            domain="ai.onnx.ml",
            keys_floats=keys,
            values_floats=[1.0] * len(keys),
            default_float=0.0,
        )
        return g.op("Cast", found, to=TensorProto.DOUBLE)


class Features:
    """The model's input columns of a candidate, made from the graph's raw inputs; category
    columns come out as the codes the models' encoder gives them."""

    def __init__(
        self, g: Graph, schema: InputSchema, featurizer: Featurizer, levels: Levels
    ) -> None:
        self.g, self.featurizer, self.levels = g, featurizer, levels
        self.text = {f.name for f in schema.fields if is_text(f, featurizer)}
        self.conversions = dict(featurizer.conversions)
        self._dates: dict[str, _Dates] = {}

    def column(self, name: str) -> str:
        """The [n] double tensor of the model input `name`."""
        for d in self.featurizer.derivations:
            if name in d.columns:
                return self._derived(d, name[len(d.prefix) :])
        return self._raw(name)

    def dates(self, source: str) -> _Dates:
        if source not in self._dates:
            self._dates[source] = _Dates(self.g, source)
        return self._dates[source]

    def _derived(self, d: Derivation, quantity: str) -> str:
        dates, g, name = self.dates(d.source), self.g, d.prefix + quantity
        if quantity == "trend":
            assert d.origin is not None, "a trend is learned with its origin"
            origin = (pd.Timestamp(d.origin) - _EPOCH).total_seconds()
            return g.affine(d.source, 1.0 / DAY, -origin / DAY)
        if quantity == "day_of_week":
            return g.lookup(self._table(name, _DAY_NAMES), dates.weekday)
        if quantity == "month":  # month 1 is the table's second entry
            return g.lookup(self._table(name, ["", *_MONTH_NAMES]), dates.civil[1])
        if quantity == "holiday":
            assert d.country is not None, "holidays are derived for a country"
            return dates.holiday(d.country)
        made = {
            "day_of_year": lambda: dates.day_of_year,
            "year": lambda: dates.civil[0],
            "hour": lambda: dates.hour,
        }
        return made[quantity]()

    def _table(self, column: str, names: list[str]) -> Any:
        levels, pooled = self._levels(column)
        return code_table(names, levels, pooled)

    def _levels(self, column: str) -> tuple[list[Any], bool]:
        if column not in self.levels:
            raise InputError(column, "is a category column the model does not encode")
        return self.levels[column]

    def _raw(self, name: str) -> str:
        g, how = self.g, self.conversions.get(name)
        if name in self.text:
            return self._text(name)
        if how == "datetime":
            return g.floor_div(name, DAY)
        if how == "duration":
            return g.affine(name, 1.0 / DAY, 0.0)
        return name

    def _text(self, name: str) -> str:
        """Text as codes: a level's code, NaN when missing (the empty string) or unseen."""
        levels, pooled = self._levels(name)
        keys = [str(v) for v in levels]
        values = [float(i) for i in range(len(keys))]
        if "" not in keys:
            keys, values = [*keys, ""], [*values, float("nan")]
        default = float(len(levels)) if pooled else float("nan")
        found = self.g.op(
            "LabelEncoder",
            name,
            domain="ai.onnx.ml",
            keys_strings=keys,
            values_floats=values,
            default_float=default,
        )
        return self.g.op("Cast", found, to=TensorProto.DOUBLE)
