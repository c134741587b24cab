"""Reading tables from disk: Parquet, or delimited text in its dialect, through Arrow; whole, or
batch by batch."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from gonogo.data import dialect
from gonogo.data.dialect import SNIFF, Given
from gonogo.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads

T = TypeVar("T")
_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv"}


def unreadable() -> tuple[type[BaseException], ...]:
    """What reading a file raises when it cannot be read: Arrow's errors, the system's, and a
    text encoding that does not decode it (a binary file sniffed as cp1252)."""
    import pyarrow as pa

    return (pa.ArrowException, OSError, UnicodeDecodeError)


def read_table(path: Path, place: str, given: Given = SNIFF) -> pd.DataFrame:
    """The table at `path` as a pandas frame; `place` names the spec field in errors, `given`
    what the spec says of a text file's dialect (the rest is sniffed)."""
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(place, f"expected a .csv, .tsv or .parquet file; found {path.name!r}")
    if not path.is_file():
        raise DataError(place, f"file not found: {path}")
    import pyarrow as pa

    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            _distinct(pq.read_schema(path).names, path, place)
            table = pq.read_table(path)
        except (pa.ArrowException, OSError, ValueError) as err:
            raise DataError(
                place, f"cannot read {path.name} as parquet: {first_line(err)}"
            ) from None
    else:
        table = _read_text(path, place, dialect.of(path, place, given))
        _distinct(table.column_names, path, place)
    frame: pd.DataFrame = table.to_pandas()
    if frame.empty or frame.shape[1] == 0:
        raise DataError(place, f"{path.name} has no rows")
    return frame


def _distinct(names: list[str], path: Path, place: str) -> None:
    """A DataError naming the first column name the file repeats: which of the two a spec
    means cannot be told."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(
                place, f"{path.name} names two columns {name!r}; expected each name once"
            )
        seen.add(name)


def _read_text(path: Path, place: str, how: dialect.Dialect) -> pa.Table:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read, parse, convert = how.options()
    try:
        table = pacsv.read_csv(path, read, parse, convert)
        # Text that is not UTF-8 past the sniffed start comes back as bytes, not an error.
        if how.encoding == "utf8" and any(pa.types.is_binary(t) for t in table.schema.types):
            return _read_text(path, place, dialect.windows(how))
        return table
    except (pa.ArrowException, OSError, ValueError) as err:
        raise DataError(
            place, f"cannot read {path.name} as {how.describe()}: {first_line(err)}{_hint(how)}"
        ) from None


def _hint(how: dialect.Dialect) -> str:
    fields = " and ".join(f"data.{part}" for part in how.sniffed)
    return f"; set {fields} if that is wrong" if fields else ""


def file_format(path: Path, form: str, place: str, given: Given = SNIFF) -> str | pads.FileFormat:
    """How Arrow's datasets read the file: Parquet, or text in its dialect."""
    if form == "parquet":
        return form
    import pyarrow.dataset as pads

    read, parse, convert = dialect.of(path, place, given).options()
    return pads.CsvFileFormat(parse, convert_options=convert, read_options=read)


def first_line(err: BaseException) -> str:
    """An error's message, its first line (its type when it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def files(pattern: str | Path, place: str) -> list[Path]:
    """The Parquet or delimited text files a path or a glob names, in sorted order."""
    found = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not found:
        raise DataError(place, f"no file matches {str(pattern)!r}")
    return found


def form_of(paths: Sequence[Path], place: str) -> str:
    """`parquet` or `csv` (delimited text): the one format of `paths`."""
    kinds = {_READERS.get(p.suffix.lower()) for p in paths}
    if len(kinds) != 1 or None in kinds:
        found = sorted({p.suffix.lower() for p in paths})
        raise DataError(
            place, f"expected .parquet files, or .csv/.tsv files, not both; found {found}"
        )
    return str(kinds.pop())


def batches(
    path: Path,
    form: str,
    place: str,
    batch_size: int,
    row_groups: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    given: Given = SNIFF,
) -> Iterator[pa.RecordBatch]:
    """One file's record batches (of a Parquet file, only `row_groups` if given; only those of
    `columns` the file has, if given: a missing one is for the caller to name), read as they
    are consumed. A Parquet file is read a few row groups at a time, about a batch: asked for
    many, Arrow buffers all of them ahead (8M rows took 1.05 GB against 0.15 GB), and a
    dataset scanner reads ahead of a slow consumer too."""

    try:
        if form == "parquet":
            import pyarrow.parquet as pq

            file = pq.ParquetFile(path)
            wanted = _present(columns, file.schema_arrow)
            groups = range(file.num_row_groups) if row_groups is None else row_groups
            for run in _runs(file.metadata, groups, batch_size):
                yield from file.iter_batches(batch_size, row_groups=run, columns=wanted)
        else:
            import pyarrow.dataset as pads

            found = pads.dataset(str(path), format=file_format(path, form, place, given))
            yield from found.to_batches(
                columns=_present(columns, found.schema), batch_size=batch_size
            )
    except unreadable() as err:
        raise DataError(place, f"cannot read {path.name}: {first_line(err)}") from None


def _present(columns: Sequence[str] | None, schema: pa.Schema) -> list[str] | None:
    return None if columns is None else [c for c in columns if c in schema.names]


def _runs(meta: Any, groups: Iterable[int], rows: int) -> Iterator[list[int]]:
    """Consecutive row groups, together up to `rows` rows (a larger group alone): small groups
    make full batches, and no more than a batch is buffered."""
    run: list[int] = []
    count = 0
    for group in groups:
        n = meta.row_group(group).num_rows
        if run and count + n > rows:
            yield run
            run, count = [], 0
        run.append(group)
        count += n
    if run:
        yield run


def ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced by a thread at most `depth` ahead of the consumer: reading and
    decoding the next batch (Arrow works without the GIL) overlaps the work on this one, and
    memory stays bounded by `depth` + 2 batches (the queue's, the one being made, the one
    being used). The producer's error is raised here, and a
    consumer that stops early stops the producer."""
    import queue
    import threading

    made: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def offer(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                made.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(("item", item)):
                    return
            offer(("end", None))
        except BaseException as err:  # handed to the consumer, who raises it
            offer(("error", err))

    worker = threading.Thread(target=produce, name="gonogo-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = made.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()
