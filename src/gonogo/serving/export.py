"""On-device export: a registered version as one ONNX file, checked against gonogo itself.

The file holds the featurizer and the model in one graph (`candidates.onnxgraph`), so a
phone, a browser or a C++ service needs only ONNX Runtime and the raw columns. Before anything
is written, the graph predicts rows of the version's own data (or rows given) and must agree
with the native predictions to the parity tolerance; the file is written whole or not at all.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gonogo.candidates.onnxgraph.check import TOLERANCE, ParityError, checked, inputs, session
from gonogo.data import lags
from gonogo.data.dialect import predicting
from gonogo.data.sources import batches, files, form_of
from gonogo.errors import InputError
from gonogo.problem import Problem, lagged, parse_problem
from gonogo.serving.runtime import Runtime, resolve

PARITY_ROWS = 20_000
_TIMED = 300  # single-row predictions timed for the latency


@dataclass(frozen=True)
class Exported:
    """What an export wrote and measured."""

    path: str
    model: str
    version: int
    candidate: str
    bytes: int
    rows_checked: int
    largest_difference: float
    onnx_ms: float  # one row, median
    native_ms: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        return [
            f"exported {self.model}@{self.version} ({self.candidate}) to {self.path}",
            f"size: {self.bytes / 1024:.0f} KiB",
            f"parity: {self.rows_checked} rows, largest difference {self.largest_difference:.1e}"
            f" (tolerance {TOLERANCE:g} relative)",
            f"one row: {self.onnx_ms:.3f} ms with ONNX Runtime, {self.native_ms:.3f} ms native",
        ]


def load(ref: str, root: Path, data: str | None) -> tuple[Runtime, pa.Table]:
    """The version `ref` names, and rows to check its export on: of the files `data` names,
    or else of the files the version was trained on. Files without the lags the version
    reads, but with what they are made of (as training's are), get them made."""
    from gonogo.pipeline.registry import parse, tracker

    name, at = parse(ref)
    registry = tracker(name, root)
    rt = resolve(registry, at)
    lineage = registry.run_json(registry.version(at).run_id, "lineage.json")
    if data is not None:
        paths = files(data, "--data")
    else:
        paths = [Path(d["path"]) for d in lineage["data"]]
        absent = [p for p in paths if not p.is_file()]
        if absent:
            raise InputError(
                "--data", f"the data {rt.ref} was trained on is not at {absent[0]}; give --data"
            )
    return rt, rows_of(paths, rt, trained=lagging(paths, rt, lineage["spec_body"]))


def lagging(paths: list[Path], rt: Runtime, body: dict[str, Any]) -> Problem | None:
    """The version's recorded spec when it derives lags and `paths` hold what they are made
    of, not the lags (as its training files do); None when it derives none or they are there."""
    from gonogo.data.statistics import file_schemas

    derive = body.get("derive") or {}
    if not any(isinstance(d, dict) and d.get("kind") == "lags" for d in derive.values()):
        return None
    if set(rt.candidate.schema.names) <= set(file_schemas(paths[:1], "--data")[0].names):
        return None
    return parse_problem(body)


def rows_of(
    paths: list[Path], rt: Runtime, limit: int = PARITY_ROWS, trained: Problem | None = None
) -> pa.Table:
    """Up to `limit` rows of `paths`, in the version's trained types. `trained`: the spec of
    a version that derives lags, whose training files hold what the lags are made of, not
    the lags: they are made here, as training made them."""
    place = "--data"
    form = form_of(paths, place)
    read = rt.candidate.schema.names
    columns = read if trained is None else _unlagged(read, trained)
    given = predicting(rt.candidate.schema)
    found: Iterable[pa.RecordBatch] = (
        b for p in paths for b in batches(p, form, place, 4096, columns=columns, given=given)
    )
    if trained is None:  # a lag reads every earlier row of its series, not only those checked
        found = islice(found, limit // 4096 + 1)
    frame = pa.Table.from_batches(list(found)).to_pandas()
    if trained is not None:
        frame = lags.add(trained, frame)[0]
    return inputs(rt.candidate, frame.head(limit), place)  # conform names a missing column


def _unlagged(read: list[str], trained: Problem) -> list[str]:
    """The columns to read for `read`: its lags' sources in place of the lags."""
    made = lagged(trained)
    kept = [c for c in read if c not in made]
    return kept + [c for c in lags.sources(trained) if c not in kept]


def export(rt: Runtime, out: Path, rows: pa.Table) -> Exported:
    """Write `rt` as ONNX to `out` once its predictions of `rows` match the native ones."""
    from gonogo.candidates.onnxgraph.check import predict

    described = rt.metadata | {"gonogo.inputs": json.dumps(rt.candidate.schema.to_dict())}
    try:
        model, difference = checked(rt.candidate, rows, described)
    except ParityError as err:
        raise ParityError(
            f"{rt.ref} ({err.place})", f"{err.problem}; nothing was written"
        ) from None
    _write(out, model)
    run, one = session(model), rows.slice(0, 1)
    return Exported(
        str(out),
        rt.model,
        rt.version,
        rt.candidate.name,
        len(model),
        rows.num_rows,
        difference,
        _median_ms(lambda: predict(run, rt.candidate, one)),
        _median_ms(lambda: rt.candidate.predict(one)),
    )


def _median_ms(call: Any) -> float:
    """The median time of `call`, over _TIMED calls or a second, whichever ends first."""
    call()  # warm: first calls allocate
    taken: list[float] = []
    until = time.perf_counter() + 1.0
    while len(taken) < _TIMED and (len(taken) < 10 or time.perf_counter() < until):
        start = time.perf_counter()
        call()
        taken.append(time.perf_counter() - start)
    return float(np.median(taken) * 1000)


def _write(out: Path, model: bytes) -> None:
    """The file whole or not at all: written aside, then renamed over."""
    if out.is_dir():
        raise InputError("--out", f"{out} is a folder; expected a file such as model.onnx")
    if not out.parent.is_dir():
        raise InputError("--out", f"folder {out.parent} does not exist")
    aside = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        aside.write_bytes(model)
        aside.replace(out)
    finally:
        aside.unlink(missing_ok=True)
