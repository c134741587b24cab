"""A fitted candidate as one ONNX model, and rows as that model's inputs.

The model's inputs are the raw columns the candidate reads (see `features`), its outputs the
candidate's predictions, one [n] double tensor each, named as `FittedCandidate.outputs` names
them: what `FittedCandidate.predict` gives for the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from onnx import ModelProto

from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.featurize import as_datetime
from gonogo.data.schema import Field
from gonogo.errors import InputError
from gonogo.serving.onnxgraph.builder import Graph
from gonogo.serving.onnxgraph.features import Features, inputs, is_text
from gonogo.serving.onnxgraph.models import parts, scores

_IDENTITY_LOSSES = {"squared_error", "absolute_error", "quantile"}


def convert(candidate: FittedCandidate, doc: dict[str, str]) -> ModelProto:
    """The candidate's featurizer and model in one graph; an InputError names what has no
    ONNX form (a heuristic, an estimator gonogo does not convert)."""
    place = f"candidate {candidate.name!r}"
    if candidate.kind != "model":
        raise InputError(
            place, f"has no ONNX form: only models (linear, gbm) convert; it is a {candidate.kind}"
        )
    g = Graph()
    prep, model, levels = parts(candidate.estimator, place)
    made = Features(g, candidate.schema, candidate.featurizer, levels)
    raw = scores(g, prep, model, levels, made.column, place)
    predicted = _link(g, raw, model, candidate, place)
    outputs = dict(zip(candidate.outputs, predicted, strict=True))
    return g.model(inputs(candidate.schema, candidate.featurizer), outputs, doc)


def _link(g: Graph, raw: str, model: Any, candidate: FittedCandidate, place: str) -> list[str]:
    """Raw scores as predictions: values, or probabilities of each class in code order."""
    codec = candidate.codec
    if codec.task == "regression":
        loss = getattr(model, "loss", "squared_error")
        if isinstance(loss, str) and loss not in _IDENTITY_LOSSES and hasattr(model, "_loss"):
            raise InputError(place, f"has no ONNX form: loss {loss!r} is not converted")
        return [_take(g, raw, 0)]
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    if not isinstance(model, HistGradientBoostingClassifier | LogisticRegression):
        raise InputError(place, f"has no ONNX form: {type(model).__name__} is not converted")
    if [int(c) for c in model.classes_] != list(range(len(codec))):
        raise InputError(place, "has no ONNX form: it was fitted without every class")
    if codec.task == "binary":
        return [_take(g, g.op("Sigmoid", raw), 0)]
    proba = g.op("Softmax", raw, axis=1)
    return [_take(g, proba, j) for j in range(len(codec))]


def _take(g: Graph, matrix: str, j: int) -> str:
    """Column j of an [n, k] matrix, as an [n] tensor."""
    return g.op("Gather", matrix, g.const(np.int64(j), "index"), axis=1)


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
