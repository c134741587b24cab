"""The prediction log: what was served, as Parquet files in the store, the input of monitoring.

Each row is one predicted row: the request's id, when, the model and version, the inputs the
model read, and the outputs (named `output:<name>`, apart from the inputs). Rows are buffered
and written as one file when the buffer holds `flush_rows` rows, when it is older than
`flush_seconds` at the next request, and at shutdown. A file is written whole, under a temporary
name first. At most `max_files` are kept; the oldest go first, so the log is bounded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
from pathlib import Path

import pyarrow as pa

from gonogo.data.schema import Field
from gonogo.errors import DataError
from gonogo.files import write_file
from gonogo.serving.runtime import Runtime

log = logging.getLogger("gonogo.serve")
# Inputs are logged as the model reads them, so every file (and every request within one) has
# one schema whatever types the clients sent: numbers as doubles, booleans, the rest as text.
_LOGGED = {"number": pa.float64(), "boolean": pa.bool_()}


def _as_read(f: Field, values: pa.Array) -> pa.Array:
    kind = _LOGGED.get(f.kind, pa.string())
    try:
        return values.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # read as the model reads them
        pass
    try:
        read = f.conform(values.to_pandas(), "prediction log")
        return pa.array(read, from_pandas=True).cast(kind)
    except (DataError, pa.ArrowException):
        log.warning("prediction log: %s not kept, its values do not cast to %s", f.name, kind)
        return pa.nulls(len(values), kind)


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
        self._tables: list[pa.Table] = []
        self._rows = 0
        self._since: dt.datetime | None = None
        self._count = itertools.count()
        self._lock = threading.Lock()  # REST answers in its event loop, gRPC in threads

    def record(
        self, rt: Runtime, request_id: str, rows: pa.RecordBatch, predicted: pa.RecordBatch
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        n = rows.num_rows
        have = set(rows.schema.names)
        read = [f for f in rt.candidate.schema.fields if f.name in have]
        table = pa.table(
            {
                "request_id": pa.array([request_id] * n, pa.string()),
                "time": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
                "model": pa.array([rt.model] * n, pa.string()),
                "version": pa.array([rt.version] * n, pa.int64()),
            }
            | {f.name: _as_read(f, rows.column(f.name)) for f in read}
            | {f"output:{o}": predicted.column(o) for o in predicted.schema.names}
        )
        self._tables.append(table)
        self._rows += n
        self._since = self._since or now
        if (
            self._rows >= self.flush_rows
            or (now - self._since).total_seconds() > self.flush_seconds
        ):
            self.flush()

    def flush(self) -> Path | None:
        """Write the buffered rows as one file; its path (None when there were none, or when
        the file could not be written: logged, and never the failure of a request)."""
        with self._lock:
            tables, self._tables, self._rows, self._since = self._tables, [], 0, None
        if not tables:
            return None
        try:
            return self._write(pa.concat_tables(tables, promote_options="permissive"))
        except (OSError, pa.ArrowException) as err:
            rows = sum(t.num_rows for t in tables)
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
