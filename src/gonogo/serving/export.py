"""On-device export: a registered version as one ONNX file, checked against gonogo itself.

The file holds the featurizer and the model in one graph (`onnxgraph`), so a phone, a browser
or a C++ service needs only ONNX Runtime and the raw columns. Before anything is written, the
graph predicts rows of the version's own data (or rows given) and must agree with the native
predictions to `TOLERANCE`; the file is written whole or not at all.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gonogo.data.sources import batches, files, form_of
from gonogo.errors import InputError
from gonogo.serving.runtime import Runtime, resolve

TOLERANCE = 1e-9  # |onnx - native| <= TOLERANCE * max(1, |native|)
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


def session(model: bytes) -> Any:
    """An ONNX Runtime session on one thread: a request of a few rows gains nothing from
    more, and a server runs one per worker."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def build(rt: Runtime) -> bytes:
    """The version's candidate as a checked ONNX model, serialized."""
    import onnx

    from gonogo.serving.onnxgraph.convert import convert

    described = rt.metadata | {"gonogo.inputs": json.dumps(rt.candidate.schema.to_dict())}
    model = convert(rt.candidate, described)
    onnx.checker.check_model(model, full_check=True)
    made: bytes = model.SerializeToString()
    return made


def load(ref: str, root: Path, data: str | None) -> tuple[Runtime, pa.Table]:
    """The version `ref` names, and rows to check its export on: of the files `data` names,
    or else of the files the version was trained on."""
    from gonogo.pipeline.registry import parse, tracker

    name, at = parse(ref)
    registry = tracker(name, root)
    rt = resolve(registry, at)
    if data is not None:
        return rt, rows_of(files(data, "--data"), rt)
    trained = registry.run_json(registry.version(at).run_id, "lineage.json")["data"]
    paths = [Path(d["path"]) for d in trained]
    absent = [p for p in paths if not p.is_file()]
    if absent:
        raise InputError(
            "--data", f"the data {rt.ref} was trained on is not at {absent[0]}; give --data"
        )
    return rt, rows_of(paths, rt)


def rows_of(paths: list[Path], rt: Runtime, limit: int = PARITY_ROWS) -> pa.Table:
    """Up to `limit` rows of `paths`, in the version's trained types."""
    place = "--data"
    form = form_of(paths, place)
    read = rt.candidate.schema.names
    found = (b for p in paths for b in batches(p, form, place, 4096, columns=read))
    table = pa.Table.from_batches(list(islice(found, limit // 4096 + 1))).slice(0, limit)
    conformed = rt.candidate.schema.conform(table.to_pandas(), place)
    return pa.Table.from_pandas(conformed, preserve_index=False)


def export(rt: Runtime, out: Path, rows: pa.Table) -> Exported:
    """Write `rt` as ONNX to `out` once its predictions of `rows` match the native ones."""
    from gonogo.serving.onnxgraph.convert import feeds

    model = build(rt)
    run = session(model)
    onnx_out = np.column_stack(run.run(None, feeds(rt.candidate, rows)))
    native = np.column_stack([c.to_numpy() for c in rt.predict(rows).columns])
    difference = _largest(onnx_out, native)
    if not difference <= TOLERANCE:
        raise InputError(
            f"{rt.ref} ({rt.candidate.name})",
            f"ONNX predictions differ from gonogo's by up to {difference:.3g} relative "
            f"(tolerance {TOLERANCE:g}); nothing was written",
        )
    _write(out, model)
    one = rows.slice(0, 1)
    return Exported(
        str(out),
        rt.model,
        rt.version,
        rt.candidate.name,
        len(model),
        rows.num_rows,
        difference,
        _median_ms(lambda: run.run(None, feeds(rt.candidate, one))),
        _median_ms(lambda: rt.predict(one)),
    )


def _largest(got: Any, want: Any) -> float:
    """The largest difference, relative to the value (absolute below 1)."""
    both_missing = np.isnan(got) & np.isnan(want)
    scale = np.maximum(1.0, np.abs(want))
    gap = np.where(both_missing, 0.0, np.abs(got - want) / scale)
    return float(np.max(gap, initial=0.0)) if not np.isnan(gap).any() else float("inf")


def _median_ms(call: Any) -> float:
    call()  # warm: first calls allocate
    taken = []
    for _ in range(_TIMED):
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
