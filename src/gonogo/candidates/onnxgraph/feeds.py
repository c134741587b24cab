"""Rows as the inputs of a candidate's ONNX model, from Arrow, without pandas on the way.

Each raw column the candidate reads becomes the tensor the graph takes (see `features`): text
as strings, everything else as doubles; dates as seconds. `ready` says whether a batch's
columns already have types that convert as they are; any other batch (text where a number is
read, a missing date, an infinite number) goes the native way, which converts what it can and
names what it cannot, so both ways accept and refuse the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.featurize import Featurizer, as_datetime
from gonogo.data.schema import Field

_DATES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_timestamp, pa.types.is_date)
_NUMBERS = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_null)


def is_text(f: Field, featurizer: Featurizer) -> bool:
    """Whether a raw column goes in as strings: text that no calendar or trend reads as
    dates (those go in as seconds, however the data holds them)."""
    return f.kind == "text" and f.name not in {d.source for d in featurizer.derivations}


def ready(candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> bool:
    """Whether every column the candidate reads converts as it is."""
    return all(
        f.name in rows.schema.names and _ready(f, rows.column(f.name), candidate)
        for f in candidate.schema.fields
    )


def _ready(f: Field, values: pa.Array | pa.ChunkedArray, candidate: FittedCandidate) -> bool:
    kind = values.type
    if is_text(f, candidate.featurizer):
        return bool(pa.types.is_string(kind) or pa.types.is_null(kind))
    if f.kind in ("text", "datetime"):
        return any(t(kind) for t in _DATES) and values.null_count == 0
    if f.kind == "duration":
        return bool(pa.types.is_duration(kind))
    if not any(t(kind) for t in _NUMBERS):
        return False
    return not (pa.types.is_floating(kind) and bool(pc.any(pc.is_inf(values)).as_py()))


def feeds(candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> dict[str, Any]:
    """Rows as the model's inputs: each column the candidate reads, in the type the graph
    takes (see `features`), from columns of the schema's types; dates may be strings."""
    return {
        f.name: _feed(f, rows.column(f.name), is_text(f, candidate.featurizer))
        for f in candidate.schema.fields
    }


def _feed(f: Field, values: pa.Array | pa.ChunkedArray, text: bool) -> Any:
    if text:
        strings = pc.fill_null(values.cast(pa.string()), "")
        return np.asarray(strings.to_numpy(zero_copy_only=False), dtype=object)
    if f.kind in ("text", "datetime", "duration"):
        return _seconds(f, values)
    return values.cast(pa.float64()).to_numpy(zero_copy_only=False)


def _seconds(f: Field, values: pa.Array | pa.ChunkedArray) -> Any:
    """Dates as seconds since 1970-01-01 on their own clock; durations as seconds."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = _dates(f, values)
    elif pa.types.is_date(kind):
        values = values.cast(pa.timestamp("ns"))
    elif pa.types.is_timestamp(kind) and kind.tz is not None:
        values = pc.local_timestamp(values)
    unit = pa.timestamp("ns") if pa.types.is_timestamp(values.type) else pa.duration("ns")
    ns = values.cast(unit).cast(pa.int64())
    whole = pc.fill_null(ns, 0).to_numpy(zero_copy_only=False)
    # Whole seconds and their fraction apart: nanoseconds since 1970 exceed a double's 53 bits.
    seconds = (whole // 10**9).astype(np.float64) + (whole % 10**9) / 1e9
    seconds[pc.is_null(ns).to_numpy(zero_copy_only=False)] = np.nan
    return seconds


def _dates(f: Field, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Date strings parsed: ISO 8601 by Arrow, other forms as the featurizer parses them."""
    try:
        return values.cast(pa.timestamp("ns"))
    except pa.ArrowInvalid:
        parsed = as_datetime(values.to_pandas(), f.name)
        return pa.array(parsed.dt.tz_localize(None) if parsed.dt.tz else parsed)
