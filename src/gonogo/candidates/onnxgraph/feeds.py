"""Rows as the inputs of a candidate's ONNX model, from Arrow, without pandas on the way.

Each raw column the candidate reads becomes the tensor the graph takes (see `features`): text
as strings (a missing value as the empty string), everything else as doubles, dates as
seconds. `feeds` gives None for a batch whose columns do not convert as they are: text where
a number is read, a missing date or one in neither ISO 8601 nor the format the dates were
learned in, an infinite number. Such a batch goes the native
way, which converts what it can and names what it cannot, so both ways accept and refuse the
same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.dates import ISO
from gonogo.data.featurize import FEATURE_ZONE, Featurizer
from gonogo.data.schema import Field

Values: TypeAlias = "pa.Array | pa.ChunkedArray"
_NUMBERS = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean)
_DATES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_timestamp, pa.types.is_date)


def is_text(f: Field, featurizer: Featurizer) -> bool:
    """Whether a raw column goes in as strings: text that no calendar or trend reads as
    dates (those go in as seconds, however the data holds them)."""
    return f.kind == "text" and f.name not in {d.source for d in featurizer.derivations}


def feeds(candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> dict[str, Any] | None:
    """The graph's inputs for `rows`, or None when a column does not convert as it is."""
    made: dict[str, Any] = {}
    for name, value in _each(candidate, rows):
        if value is None:
            return None
        made[name] = value
    # Infinities checked once over every numeric tensor: a check per column was a tenth of a
    # single-row request's conversion.
    numeric = [v for v in made.values() if v.dtype != object]
    return None if numeric and np.isinf(np.concatenate(numeric)).any() else made


def _feed(f: Field, values: Values, featurizer: Featurizer) -> Any:
    if pa.types.is_dictionary(values.type):  # a pandas categorical: its values, not its codes
        values = values.cast(values.type.value_type)
    kind = values.type
    if is_text(f, featurizer):
        if pa.types.is_null(kind):
            return np.full(len(values), "", dtype=object)
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return None
        filled = pc.fill_null(values, "") if values.null_count else values
        return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=object)
    if f.kind in ("text", "datetime"):
        return (
            _dates(values, _learned(featurizer, f.name)) if any(t(kind) for t in _DATES) else None
        )
    if f.kind == "duration":
        if not pa.types.is_duration(kind) or values.null_count:
            return None
        return _seconds(values.cast(pa.duration("ns")).to_numpy(zero_copy_only=False))
    return _numbers(values)


def _numbers(values: Values) -> Any:
    if pa.types.is_null(values.type):
        return np.full(len(values), np.nan)
    if not any(t(values.type) for t in _NUMBERS):
        return None
    # Nulls of a number column come out as NaN; booleans as 0 and 1.
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def _learned(featurizer: Featurizer, column: str) -> tuple[str | None, str | None]:
    """The format a calendar or trend learned to read the column's text dates in, and the
    zone on whose clock it reads them (a date feature's: UTC's)."""
    d = next((d for d in featurizer.derivations if d.source == column), None)
    return (d.format, d.zone) if d is not None else (None, FEATURE_ZONE)


def _dates(values: Values, learned: tuple[str | None, str | None]) -> Any:
    """Dates (ISO 8601 text, text in the format they were learned in, timestamps, days) as
    seconds on the clock of the zone they were learned in (a date with a zone or offset is
    converted to it; one without, or any when none was learned, is taken as written); None
    when one is missing or in neither (the native way reads a batch that mixes the two, or
    names the bad value)."""
    if values.null_count:
        return None
    fmt, zone = learned
    values = _zoned(values, zone)
    kind = values.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        values = pc.local_timestamp(
            values if zone is None else values.cast(pa.timestamp(kind.unit, zone))
        )
    try:
        stamps = values.cast(pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        stamps = _strptime(values, fmt)
        if stamps is None:
            return None
    return _seconds(stamps.to_numpy(zero_copy_only=False))


def _zoned(values: Values, zone: str | None) -> Values:
    """ISO text dates written with a zone or offset as timestamps in `zone`; other values as
    they are (text without one is read as written)."""
    text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    if zone is None or not text:
        return values
    try:
        return values.cast(pa.timestamp("ns", tz=zone))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return values


def _strptime(values: Values, fmt: str | None) -> Any:
    """Text dates in `fmt` (day-first, say), or None when one is not in it as written back
    (Arrow reads 31 February as 3 March, which pandas refuses; an unpadded day goes the
    native way too), or when Arrow has no reading of the format (a quarter's)."""
    text = pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    if fmt is None or fmt == ISO or not text:
        return None
    try:
        stamps = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
        same = not stamps.null_count and pc.all(pc.equal(pc.strftime(stamps, fmt), values))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return stamps if same and same.as_py() else None


def _each(candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> Iterator[tuple[str, Any]]:
    """Each raw column the candidate reads, and its tensor (None when it does not convert)."""
    names = set(rows.schema.names)
    for f in candidate.schema.fields:
        yield (
            f.name,
            _feed(f, rows.column(f.name), candidate.featurizer) if f.name in names else None,
        )


def unfed(candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> str | None:
    """The first column `feeds` cannot take as it is, for an error to name."""
    for name, value in _each(candidate, rows):
        if value is None or (value.dtype != object and np.isinf(value).any()):
            return name
    return None


def _seconds(times: Any) -> Any:
    # Whole seconds and their fraction apart: nanoseconds since 1970 exceed a double's 53 bits.
    ns = np.asarray(times).view(np.int64)
    return (ns // 10**9).astype(np.float64) + (ns % 10**9) / 1e9
