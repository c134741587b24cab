"""The ingest step: the run's data files and their digests, and the spec's digest. Light on
purpose: a rerun that changes nothing stops after it, without loading the rest.

A spec whose data is a query (`data.sql`) is ingested as a snapshot of its result, a Parquet
file in the store named by its digest: the data a version was trained on stays at hand for
lineage, and a query that returns the same rows as before is a rerun with nothing to do."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from gonogo.data.sources import files, first_line
from gonogo.errors import DataError
from gonogo.files import write_file
from gonogo.pipeline.store import digest, file_digest
from gonogo.problem import Problem


@dataclass(frozen=True)
class Ingested:
    """The files of a run's data, each with the digest of its bytes."""

    files: tuple[tuple[str, str], ...]

    @property
    def digests(self) -> list[str]:
        return sorted(d for _, d in self.files)

    def new(self, known: set[str]) -> Ingested:
        """The files not among the `known` digests."""
        return Ingested(tuple((p, d) for p, d in self.files if d not in known))

    def paths(self) -> list[Path]:
        return [Path(p) for p, _ in self.files]


def spec_digest(problem: Problem) -> str:
    """The spec's content, whatever its comments and key order."""
    return digest(problem.model_dump(mode="json", by_alias=True))


def ingest(problem: Problem, data: str | None, snapshots: Path) -> Ingested:
    """The files of `data` (a path or glob), or of the spec's data.path, or the spec's query's
    result as a Parquet snapshot kept in the folder `snapshots`."""
    if data is None and problem.data.sql is not None:
        return Ingested((snapshot(problem, snapshots),))
    if data is None:
        if problem.data.path is None:
            raise DataError(f"{problem.source}: data.path", "required when --data is not given")
        found = files(problem.base_dir / problem.data.path, f"{problem.source}: data.path")
    else:
        found = files(data, "--data")
    # Absolute: the lineage names the files wherever it is read from (an export from another
    # folder looked for `--data spans/*.parquet` there).
    return Ingested(tuple((str(p.absolute()), file_digest(p)) for p in found))


def snapshot(problem: Problem, folder: Path) -> tuple[str, str]:
    """The spec's query's result written to `folder` as a Parquet file named by the digest of
    its content (its rows in their order, as one Arrow stream: the same whatever the batches
    or the Parquet writer's version), and that digest. Nothing is written when the query
    fails or its result does not fit Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gonogo.data import sql

    place = f"{problem.source}: data.sql"
    table = sql.read(problem).combine_chunks().replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    found = hashlib.sha256(sink.getvalue()).hexdigest()
    kept = (folder / f"{found[:32]}.parquet").absolute()  # named as the data files are
    if kept.is_file():
        return str(kept), found
    buffer = pa.BufferOutputStream()
    try:
        pq.write_table(table, buffer)
    except pa.ArrowException as err:
        raise DataError(place, f"its result cannot be kept as Parquet: {first_line(err)}") from None
    write_file(kept, buffer.getvalue().to_pybytes())
    return str(kept), found
