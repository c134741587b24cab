"""The prediction log: what was served, as Parquet files in the store, the input of monitoring.

Each row is one predicted row: the request's id, when, the model and version, the inputs the
model read (named `input:<name>`) and the outputs (`output:<name>`): prefixed, so an input
named `time` or `model` leaves the log's own columns alone. Rows are buffered and written as one
file when the buffer holds `flush_rows` rows, when it is older than `flush_seconds` at the next
request, and at shutdown. A file is written whole, under a temporary name first. At most
`max_files` are kept; the oldest go first, so the log is bounded.

A request only appends its batches to the buffer: they are converted into the log's columns
when the log is written, a run of requests with the same columns at once, by a writer thread
rather than by the request that fills the buffer (which waits only when the writer is a whole
buffer behind, so memory stays bounded). Built per request, the log's table cost a
single-row request about a sixth of its time in the server; written by the request that filled
the buffer, 10,000 rows cost it about 180 ms.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from gonogo.data.schema import Field
from gonogo.errors import DataError
from gonogo.files import write_file
from gonogo.serving.runtime import Runtime

log = logging.getLogger("gonogo.serve")
# Inputs are logged as the model reads them, so every file (and every request within one) has
# one schema whatever types the clients sent: numbers as doubles, booleans, the rest as text.
_LOGGED = {"number": pa.float64(), "boolean": pa.bool_()}


def _as_read(f: Field, values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """`values` as the model read them, None when they do not convert."""
    kind = _LOGGED.get(f.kind, pa.string())
    try:
        return values.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # read as the model reads them
        pass
    try:
        read = f.conform(values.to_pandas(), "prediction log")
        return pa.chunked_array([pa.array(read, from_pandas=True).cast(kind)])
    except (DataError, pa.ArrowException, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class _Served:
    """One request's predictions as they came: converted only when the log is written."""

    time: dt.datetime
    request_id: str
    model: str
    version: int
    fields: tuple[Field, ...]
    rows: pa.RecordBatch
    predicted: pa.RecordBatch

    @property
    def kind(self) -> tuple[object, ...]:
        """What a run of requests converted together shares."""
        return (self.model, self.version, self.rows.schema, self.predicted.schema)


def _table(served: list[_Served]) -> pa.Table:
    """The log's rows of a run of requests of one kind, each column converted at once; a
    column that does not convert is converted request by request, and only the requests
    whose values do not are kept without it (said in the server's log)."""
    first, sizes = served[0], [s.rows.num_rows for s in served]
    rows = pa.Table.from_batches([s.rows for s in served], first.rows.schema)
    have = set(first.rows.schema.names)
    inputs = {}
    for f in (f for f in first.fields if f.name in have):
        read = _as_read(f, rows.column(f.name))
        inputs[f"input:{f.name}"] = read if read is not None else _one_by_one(f, served)
    predicted = pa.Table.from_batches([s.predicted for s in served], first.predicted.schema)
    return pa.table(
        {
            "request_id": pa.array(_each([s.request_id for s in served], sizes), pa.string()),
            "time": pa.array(_each([s.time for s in served], sizes), pa.timestamp("us", tz="UTC")),
            "model": pa.array([first.model] * sum(sizes), pa.string()),
            "version": pa.array([first.version] * sum(sizes), pa.int64()),
        }
        | inputs
        | {f"output:{o}": predicted.column(o) for o in predicted.schema.names}
    )


def _each(values: list[Any], sizes: list[int]) -> list[Any]:
    """Each request's value once for each of its rows."""
    return [v for v, n in zip(values, sizes, strict=True) for _ in range(n)]


def _one_by_one(f: Field, served: list[_Served]) -> pa.ChunkedArray:
    """Column `f` of each request converted alone: a request's values that do not convert
    are kept as missing ones, said in the server's log; the others' as they were read."""
    kind, chunks = _LOGGED.get(f.kind, pa.string()), []
    for s in served:
        read = _as_read(f, pa.chunked_array([s.rows.column(f.name)]))
        if read is None:
            log.warning("prediction log: %s not kept, its values do not cast to %s", f.name, kind)
            read = pa.chunked_array([pa.nulls(s.rows.num_rows, kind)])
        chunks += read.chunks
    return pa.chunked_array(chunks, kind)


class PredictionLog:
    """Served predictions, appended to `folder` as Parquet files."""

    def __init__(
        self,
        folder: Path,
        flush_rows: int = 10_000,
        flush_seconds: float = 60.0,
        max_files: int = 1_000,
    ) -> None:
        self.folder = folder
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.max_files = max_files
        self._served: list[_Served] = []
        self._rows = 0
        self._since: dt.datetime | None = None
        self._count = itertools.count()
        self._lock = threading.Lock()  # REST answers in its event loop, gRPC in threads
        # One writer, so files are written in the order their rows were served; at most one
        # write waits behind the one it is doing.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="gonogo-prediction-log")
        self._pending: Future[Path | None] | None = None

    def record(
        self, rt: Runtime, request_id: str, rows: pa.RecordBatch, predicted: pa.RecordBatch
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        fields = rt.candidate.schema.fields
        served = _Served(now, request_id, rt.model, rt.version, fields, rows, predicted)
        with self._lock:
            self._served.append(served)
            self._rows += rows.num_rows
            self._since = self._since or now
            full = self._rows >= self.flush_rows
            old = (now - self._since).total_seconds() > self.flush_seconds
            if not (full or old):
                return
            # Submitted under the lock: files in the order their rows were served.
            ahead, self._pending = (
                self._pending,
                self._writer.submit(self._write_served, self._take()),
            )
        if ahead is not None:  # a writer that falls behind slows the requests, not memory
            ahead.result()

    def flush(self) -> Path | None:
        """Write the buffered rows as one file, once the writes already due are done; its path
        (None when there were none, or when the file could not be written: logged, and never
        the failure of a request)."""
        with self._lock:
            served = self._take()
        return self._writer.submit(self._write_served, served).result()

    def _take(self) -> list[_Served]:
        """The buffered requests, leaving the buffer empty; the caller holds the lock."""
        served, self._served, self._rows, self._since = self._served, [], 0, None
        return served

    def _write_served(self, served: list[_Served]) -> Path | None:
        if not served:
            return None
        try:
            runs = [list(run) for _, run in itertools.groupby(served, lambda s: s.kind)]
            tables = [_table(run) for run in runs]
            return self._write(pa.concat_tables(tables, promote_options="permissive"))
        except Exception as err:  # converted here, not per request: still no request's failure
            rows = sum(s.rows.num_rows for s in served)
            log.error("prediction log: %d rows not written to %s: %s", rows, self.folder, err)
            return None

    def _write(self, table: pa.Table) -> Path:
        import pyarrow.parquet as pq

        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"predictions-{stamp}-{os.getpid()}-{next(self._count)}.parquet"
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        write_file(path, buffer.getvalue().to_pybytes())
        self._bound()
        return path

    def _bound(self) -> None:
        files = sorted(self.folder.glob("predictions-*.parquet"))
        for old in files[: max(0, len(files) - self.max_files)]:
            old.unlink(missing_ok=True)
