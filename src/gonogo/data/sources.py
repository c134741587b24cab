"""Reading tables from disk: Parquet or CSV, through Arrow; whole, or batch by batch."""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gonogo.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def read_table(path: Path, place: str) -> pd.DataFrame:
    """The table at `path` as a pandas frame; `place` names the spec field in errors."""
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise DataError(place, f"expected a .csv or .parquet file; found {path.name!r}")
    if not path.is_file():
        raise DataError(place, f"file not found: {path}")
    import pyarrow as pa

    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(path)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise DataError(place, f"cannot read {path.name} as {kind}: {first_line(err)}") from None
    frame: pd.DataFrame = table.to_pandas()
    if frame.empty or frame.shape[1] == 0:
        raise DataError(place, f"{path.name} has no rows")
    return frame


def first_line(err: BaseException) -> str:
    """An error's message, its first line (its type when it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def files(pattern: str | Path, place: str) -> list[Path]:
    """The Parquet or CSV files a path or a glob names, in sorted order."""
    found = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not found:
        raise DataError(place, f"no file matches {str(pattern)!r}")
    return found


def form_of(paths: Sequence[Path], place: str) -> str:
    """`parquet` or `csv`: the one format of `paths`."""
    kinds = {p.suffix.lower() for p in paths}
    if len(kinds) != 1 or kinds - {".parquet", ".csv"}:
        raise DataError(
            place, f"expected .parquet or .csv files of one kind; found {sorted(kinds)}"
        )
    return kinds.pop().lstrip(".")


def batches(
    path: Path, form: str, place: str, batch_size: int, row_groups: Sequence[int] | None = None
) -> Iterator[pa.RecordBatch]:
    """One file's record batches (of a Parquet file, only `row_groups` if given), read as
    they are consumed: a Parquet file row group by row group, since a dataset scanner reads
    ahead of a slow consumer and its memory grows with the file."""
    import pyarrow as pa

    try:
        if form == "parquet":
            import pyarrow.parquet as pq

            yield from pq.ParquetFile(path).iter_batches(batch_size, row_groups=row_groups)
        else:
            import pyarrow.dataset as pads

            yield from pads.dataset(str(path), format=form).to_batches(batch_size=batch_size)
    except (pa.ArrowException, OSError) as err:
        raise DataError(place, f"cannot read {path.name}: {first_line(err)}") from None
