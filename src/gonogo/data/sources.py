"""Reading a table from disk: Parquet or CSV, through Arrow."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gonogo.errors import DataError

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
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(place, f"cannot read {path.name} as {kind}: {first}") from None
    frame: pd.DataFrame = table.to_pandas()
    if frame.empty or frame.shape[1] == 0:
        raise DataError(place, f"{path.name} has no rows")
    return frame
