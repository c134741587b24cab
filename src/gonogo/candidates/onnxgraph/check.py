"""Parity: a candidate's ONNX model is used only when it predicts what the candidate does.

`checked` converts a candidate, runs the graph on rows and compares with the candidate's own
predictions: within `TOLERANCE` (relative, absolute below 1) it gives the model's bytes,
otherwise a ParityError. Export checks on the version's data before writing a file; the
pipeline checks on the holdout before it logs the model beside the candidate for serving.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from gonogo.candidates.fitted import FittedCandidate
from gonogo.data.sources import first_line
from gonogo.errors import InputError

TOLERANCE = 1e-9  # |onnx - native| <= TOLERANCE * max(1, |native|)


class ParityError(InputError):
    """The ONNX model's predictions differ from the candidate's."""


def session(model: bytes) -> Any:
    """An ONNX Runtime session on one thread: a request of a few rows gains nothing from
    more, and a server runs one per worker."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def build(candidate: FittedCandidate, doc: dict[str, str]) -> bytes:
    """The candidate as a checked ONNX model, serialized; an InputError names what has no
    ONNX form."""
    import onnx

    from gonogo.candidates.onnxgraph.convert import convert

    model = convert(candidate, doc)
    onnx.checker.check_model(model, full_check=True)
    made: bytes = model.SerializeToString()
    return made


def inputs(candidate: FittedCandidate, rows: pd.DataFrame, place: str) -> pa.Table:
    """Raw rows in the candidate's trained types, as the graph's inputs are made from."""
    conformed = candidate.schema.conform(rows.reset_index(drop=True), place)
    return pa.Table.from_pandas(conformed, preserve_index=False)


def predict(run: Any, candidate: FittedCandidate, rows: pa.Table | pa.RecordBatch) -> Any:
    """The graph's predictions for `rows`, an [n, outputs] matrix."""
    from gonogo.candidates.onnxgraph.feeds import feeds, unfed

    fed = feeds(candidate, rows)
    if fed is None:
        name = unfed(candidate, rows)
        kind = rows.schema.field(name).type if name in rows.schema.names else "absent"
        raise InputError(
            f"rows: {name}",
            f"holds values ({kind}) the ONNX model cannot take as they are: a missing value "
            "of a date or a date it cannot read, text where a number is read, or an infinite "
            "number",
        )
    return np.column_stack(run.run(None, fed))


def _runtime_errors() -> tuple[type[Exception], ...]:
    """What ONNX Runtime raises on a graph it cannot load or run (none is a RuntimeError)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = ("Fail", "InvalidArgument", "InvalidGraph", "NotImplemented", "RuntimeException")
    return tuple(getattr(state, name) for name in names)


def largest(got: Any, want: Any) -> float:
    """The largest difference, relative to the value (absolute below 1); both missing is
    no difference, one missing is an infinite one."""
    both_missing = np.isnan(got) & np.isnan(want)
    gap = np.where(both_missing, 0.0, np.abs(got - want) / np.maximum(1.0, np.abs(want)))
    return float(np.max(gap, initial=0.0)) if not np.isnan(gap).any() else float("inf")


def checked(candidate: FittedCandidate, rows: pa.Table, doc: dict[str, str]) -> tuple[bytes, float]:
    """The candidate's ONNX model and its largest difference on `rows` (made by `inputs`)."""
    model = build(candidate, doc)
    try:
        got = predict(session(model), candidate, rows)
    except _runtime_errors() as err:
        raise ParityError(
            f"candidate {candidate.name!r}", f"ONNX Runtime cannot run its graph: {first_line(err)}"
        ) from None
    difference = largest(got, candidate.predict(rows).reshape(rows.num_rows, -1))
    if not difference <= TOLERANCE:
        raise ParityError(
            f"candidate {candidate.name!r}",
            f"ONNX predictions differ from gonogo's by up to {difference:.3g} relative "
            f"(tolerance {TOLERANCE:g})",
        )
    return model, difference


def attempt(
    candidate: FittedCandidate, rows: pd.DataFrame, doc: dict[str, str]
) -> tuple[bytes | None, str]:
    """The candidate's ONNX model checked on raw `rows`, and a line on it; or None and why
    not: the `onnx` extra missing, no ONNX form, a failed check."""
    from importlib.util import find_spec

    if find_spec("onnx") is None or find_spec("onnxruntime") is None:
        return None, "none: the onnx extra is not installed"
    try:
        model, difference = checked(candidate, inputs(candidate, rows, "rows"), doc)
    except InputError as err:
        return None, f"none: {err}"
    return model, f"parity {difference:.1e} on {len(rows)} rows"
