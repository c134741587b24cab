"""Benchmark: per-column statistics over a large Parquet file, against a plain pyarrow pass.

    python bench/column_stats.py [COPIES]

The file is nycflights13::flights ten times over (3.4M rows, 21 columns: real values, real
types). gonogo's pass (`gonogo.data.statistics`) streams record batches and keeps, besides
counts, missing values, ranges and sums, a bounded uniform sample per numeric column and the
level counts of text columns. The peer is the plain pass a data engineer would write: the same
batches, pyarrow.compute's min/max, sum, null count and value counts per column, nothing kept
but the totals. Each runs in a fresh process; wall time and peak memory as in bench/run.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from run import OUT, measure, prepare_flights

COPIES = 10  # the file is flights this many times over; twice as many shows memory stays flat


def big(job: str) -> Path:
    return OUT / f"{job}.parquet"


def prepare(copies: int) -> str:
    prepare_flights()
    job = f"flights{copies}"
    if not big(job).exists():
        import pyarrow.parquet as pq

        table = pq.read_table(OUT / "flights.parquet")
        with pq.ParquetWriter(big(job), table.schema) as writer:
            for _ in range(copies):
                writer.write_table(table, row_group_size=131_072)
        assert pq.ParquetFile(big(job)).metadata.num_rows == copies * table.num_rows
    return job


def child_gonogo(job: str) -> dict[str, object]:
    from gonogo.data.statistics import compute, scan

    stats = compute(scan([big(job)], "bench"))
    return {"rows": stats.rows, "columns": len(stats.columns)}


def child_pyarrow(job: str) -> dict[str, object]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    totals: dict[str, list[object]] = {}
    rows = 0
    for batch in pads.dataset(str(big(job)), format="parquet").to_batches(batch_size=65_536):
        rows += batch.num_rows
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            kept = totals.setdefault(name, [])
            kept.append(column.null_count)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                kept.append(pc.value_counts(column))
            else:
                kept.append(pc.min_max(column))
                if not pa.types.is_timestamp(column.type):
                    kept.append(pc.sum(column))
    return {"rows": rows, "columns": len(totals)}


def main(copies: int) -> None:
    job = prepare(copies)
    script = str(Path(__file__).resolve())
    ours = measure("gonogo", job, script=script)
    peer = measure("pyarrow", job, script=script)
    assert ours["rows"] == peer["rows"]
    seconds = {"gonogo": float(str(ours["seconds"])), "pyarrow": float(str(peer["seconds"]))}
    peaks = {"gonogo": float(str(ours["peak_mb"])), "pyarrow": float(str(peer["peak_mb"]))}
    row = {"rows": ours["rows"], "columns": ours["columns"]}
    for who in ("gonogo", "pyarrow"):
        row |= {f"{who}_s": round(seconds[who], 2), f"{who}_peak_mb": round(peaks[who])}
    row["ratio"] = round(seconds["gonogo"] / seconds["pyarrow"], 2)
    print(json.dumps(row))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child = {"gonogo": child_gonogo, "pyarrow": child_pyarrow}[sys.argv[2]]
        print(json.dumps(child(sys.argv[3])))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else COPIES)
