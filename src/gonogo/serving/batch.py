"""Batch prediction: Arrow record batches in, prediction batches out, memory bounded by the
batch whatever the input's size.

`Predictor` is the engine-neutral part: a picklable function from an iterator of record batches
to an iterator of prediction batches, which is what Spark's `mapInArrow` takes and what a
Dask, Ray or Beam task calls. `predict` runs it over Parquet or CSV files, on every local core
or on a Dask cluster: the input is cut into pieces (a file, or a run of a Parquet file's row
groups), each piece streams into a Parquet part of its own, and the parts are written in a
hidden folder that is moved into place only once all are done, so a failed job leaves nothing.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from gonogo.data.dialect import predicting
from gonogo.data.sources import batches, files, first_line, form_of, unreadable
from gonogo.errors import DataError, InputError
from gonogo.serving.runtime import Runtime

BATCH = 65_536
ENGINES = ("local", "dask")
PER_PROCESS = 8


@dataclass(frozen=True)
class Predictor:
    """The runtime's predictions for each batch, after the input columns in `keep` (an id to
    join the predictions back on, say). Every output batch carries the version in its schema's
    metadata."""

    runtime: Runtime
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clash = set(self.keep) & set(self.runtime.outputs)
        if clash:
            raise InputError("--keep", f"{sorted(clash)[0]!r} is also a prediction's name")

    @property
    def reads(self) -> list[str]:
        """The input columns used: the candidate's and those kept."""
        return list(dict.fromkeys([*self.runtime.candidate.schema.names, *self.keep]))

    def __call__(self, rows: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in rows:
            yield self.batch(batch)

    def batch(self, rows: pa.RecordBatch) -> pa.RecordBatch:
        missing = [c for c in self.keep if c not in rows.schema.names]
        if missing:
            raise DataError("--keep", f"column {missing[0]!r} is not in the input")
        predicted = self.runtime.predict(rows)
        fields = [rows.schema.field(c) for c in self.keep] + list(predicted.schema)
        return pa.RecordBatch.from_arrays(
            [rows.column(c) for c in self.keep] + predicted.columns,
            schema=pa.schema(fields, metadata=self.runtime.metadata),
        )


@dataclass(frozen=True)
class Piece:
    """A file, or a run of a Parquet file's row groups: what one task predicts (its rows,
    when the file says)."""

    path: Path
    form: str
    row_groups: tuple[int, ...] | None = None
    rows: int | None = None


def plan(paths: Sequence[Path], form: str, workers: int) -> list[Piece]:
    """Pieces in input order, at most one file each, of about a worker's share of the rows
    (whole row groups) so every worker has one."""
    if form != "parquet":
        return [Piece(p, form) for p in paths]
    metas = [(p, _metadata(p)) for p in paths]
    share = max(1, math.ceil(sum(m.num_rows for _, m in metas) / workers))
    pieces: list[Piece] = []
    for path, meta in metas:
        run: list[int] = []
        rows = 0
        for group in range(meta.num_row_groups):
            run.append(group)
            rows += meta.row_group(group).num_rows
            if rows >= share or group == meta.num_row_groups - 1:
                pieces.append(Piece(path, form, tuple(run), rows))
                run, rows = [], 0
    return pieces


def processes(pieces: Sequence[Piece], workers: int, batch_size: int) -> int:
    """How many local processes: no more than the pieces and, when the rows are known, one
    per `PER_PROCESS` batches (a process starts in about 3 s; a batch of Chicago's model takes
    0.4 s), so a small input is predicted in this process."""
    n = min(workers, len(pieces))
    if all(p.rows is not None for p in pieces):
        batches = math.ceil(sum(p.rows or 0 for p in pieces) / batch_size)
        n = min(n, math.ceil(batches / PER_PROCESS))
    return max(1, n)


Unseen = dict[str, tuple[int, str]]  # column: values of levels training never held, the first


def _metadata(path: Path) -> Any:
    """A Parquet file's metadata; a DataError naming the file when it is no Parquet file."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata
    except unreadable() as err:
        raise DataError("--input", f"cannot read {path.name}: {first_line(err)}") from None


def _counted(read: Iterable[pa.RecordBatch], predictor: Predictor, unseen: Unseen) -> Any:
    """The batches, each one's unseen levels added to `unseen` on the way."""
    schema = predictor.runtime.candidate.schema
    for rows in read:
        unseen.update(merged([unseen, schema.unseen(rows)]))
        yield rows


def merged(counts: Iterable[Unseen]) -> Unseen:
    """Pieces' unseen levels as one count a column, with the first piece's example."""
    out: Unseen = {}
    for unseen in counts:
        for column, (n, first) in unseen.items():
            had, example = out.get(column, (0, first))
            out[column] = (had + n, example)
    return out


def write_piece(
    piece: Piece, target: Path, predictor: Predictor, batch_size: int
) -> tuple[int, Unseen]:
    """Predict one piece into the Parquet file `target`, batch by batch; the rows written and
    the levels training never held (read as the spec's `data.unseen` says). Its metadata
    names the version and the input file."""
    import pyarrow.parquet as pq

    place = str(piece.path)
    writer = None
    rows = 0
    unseen: Unseen = {}
    try:
        given = predicting(predictor.runtime.candidate.schema)
        read = batches(
            piece.path, piece.form, place, batch_size, piece.row_groups, predictor.reads, given
        )
        for out in predictor(_counted(read, predictor, unseen)):
            if writer is None:
                meta = (out.schema.metadata or {}) | {b"gonogo.input": place.encode()}
                writer = pq.ParquetWriter(target, out.schema.with_metadata(meta))
            writer.write_batch(out)
            rows += out.num_rows
    except DataError as err:
        raise DataError(err.place if err.place == "--keep" else place, err.problem) from None
    finally:
        if writer is not None:
            writer.close()
    return rows, unseen


def _part(i: int) -> str:
    return f"part-{i:05d}.parquet"


Done = list[tuple[int, Unseen]]


def _local(jobs: list[tuple[Piece, Path]], predictor: Predictor, batch_size: int, n: int) -> Done:
    from joblib import Parallel, delayed

    run = Parallel(n_jobs=processes([p for p, _ in jobs], n, batch_size))
    return list(run(delayed(write_piece)(p, t, predictor, batch_size) for p, t in jobs))


def _dask(jobs: list[tuple[Piece, Path]], predictor: Predictor, batch_size: int, at: str) -> Done:
    """The pieces as tasks of the Dask cluster at `at`; its workers write the parts, so the
    output folder must be one they share (a local or network file system)."""
    from distributed import Client

    try:
        client = Client(at, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError("--address", f"no Dask scheduler at {at}: {first_line(err)}") from None
    with client:
        shared = client.scatter(predictor, broadcast=True)
        pieces, targets = zip(*jobs, strict=True)
        # `batch_size` is also an argument of `Client.map`: bound here so it reaches the task.
        task = partial(write_piece, batch_size=batch_size)
        done = client.map(task, pieces, targets, predictor=shared, pure=False)
        return list(client.gather(done))


@dataclass(frozen=True)
class Written:
    """What a batch job wrote: which version, how many rows, where."""

    ref: str
    role: str
    candidate: str
    engine: str
    rows: int
    parts: int
    output: str
    seconds: float
    unseen: Unseen

    def lines(self) -> list[str]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return [
            f"{self.ref} ({self.role}, {self.candidate}) predicted {self.rows:,} rows "
            f"in {self.seconds:.1f} s ({rate:,.0f} rows/s, {self.engine})",
            f"wrote {self.parts} Parquet file(s) to {self.output}",
            *(
                f"{column}: {n:,} of {self.rows:,} rows ({n / max(self.rows, 1):.0%}) hold a "
                f"level training never held, e.g. {first!r}, read as a missing value "
                "(data.unseen: refuse stops on them)"
                for column, (n, first) in self.unseen.items()
            ),
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _free(out: Path) -> None:
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise InputError(str(out), "exists; remove it or choose another --output")


def predict(
    runtime: Runtime,
    inputs: str | Path,
    out: Path,
    *,
    keep: Sequence[str] = (),
    batch_size: int = BATCH,
    workers: int | None = None,
    engine: str = "local",
    address: str | None = None,
) -> Written:
    """The runtime's predictions for every row of the Parquet or CSV files `inputs` (a path
    or a glob), as Parquet files in the new folder `out`: `part-00000.parquet`, ... in input
    order, each naming the version and the input it came from."""
    if engine not in ENGINES:
        raise InputError("--engine", f"expected one of {', '.join(ENGINES)}; got {engine!r}")
    if (engine == "dask") != (address is not None):
        raise InputError("--address", "is needed by --engine dask, and only by it")
    if batch_size < 1:
        raise InputError("--batch-size", f"expected a positive number of rows; got {batch_size}")
    if workers is not None and workers < 1:
        raise InputError("--workers", f"expected a positive number of processes; got {workers}")
    paths = files(inputs, "--input")
    _free(out)
    predictor = Predictor(runtime, tuple(keep))
    n = workers or os.cpu_count() or 1
    pieces = plan(paths, form_of(paths, "--input"), n)
    folder = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    start = time.perf_counter()
    try:
        jobs = [(p, folder / _part(i)) for i, p in enumerate(pieces)]
        if not jobs:
            done: Done = []
        elif address is None:
            done = _local(jobs, predictor, batch_size, n)
        else:
            done = _dask(jobs, predictor, batch_size, address)
        if out.exists():
            out.rmdir()
        folder.rename(out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    seconds = time.perf_counter() - start
    parts = len(list(out.glob("part-*.parquet")))
    c = runtime.candidate
    rows, unseen = sum(r for r, _ in done), merged(u for _, u in done)
    return Written(
        runtime.ref, runtime.role, c.name, engine, rows, parts, str(out), seconds, unseen
    )
