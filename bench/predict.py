"""Benchmark: `gonogo predict` over a large Parquet file, against the in-process predict floor.

    python bench/predict.py [MILLIONS ...]    (default: 2 8)

The model is Chicago's gradient boosting, registered by two pipeline runs (2001-2003, then
2001-2004) into a store of its own. The input is the Chicago table (51 columns) repeated to
MILLIONS million rows, in row groups of 131,072. For each size, in fresh processes:

- **floor**: what one process does with the whole table in memory: read it, then one
  `FittedCandidate.predict` call; the predict call alone is timed (the floor), the read apart.
- **gonogo**: `gonogo predict chicago-ridership --input FILE --output DIR` (2 workers, batches
  of 65,536 rows, Parquet out); the job's own seconds (as `--json` reports them) and the wall
  time of the whole command, imports and MLflow's model load included.

Peak memory is the resident set of the command's whole process tree (workers included),
sampled every 50 ms. Bounded means it does not grow with the file.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
from pipeline import GONOGO, SPEC, spans
from run import OUT

STORE = OUT / "predict-store"
MODEL = "chicago-ridership"
GROUP = 131_072  # rows per row group of the input


def store() -> Path:
    """A store whose production is the Chicago model (built once, then reused)."""
    if not (STORE / "mlflow.db").exists():
        folder = spans()
        run = [*GONOGO, "pipeline", "run", str(SPEC), "--store", str(STORE), "--data"]
        for last in (3, 4):
            subprocess.run([*run, str(folder / f"chicago-200[1-{last}].parquet")], check=True)
    return STORE


def big(millions: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = OUT / f"chicago-{millions}m.parquet"
    if not path.exists():
        table = pq.read_table(Path(SPEC).parent / "data" / "chicago.parquet")
        group = pa.concat_tables([table] * math.ceil(GROUP / table.num_rows)).slice(0, GROUP)
        rows = millions * 1_000_000
        with pq.ParquetWriter(path, table.schema) as writer:
            for start in range(0, rows, GROUP):
                writer.write_table(group.slice(0, rows - start))
        assert pq.ParquetFile(path).metadata.num_rows == rows
    return path


def tree_peak(proc: subprocess.Popen[str]) -> float:
    """Wait for `proc`; the peak of its process tree's summed resident memory, in MB."""
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.05)
    return peak / 2**20


def measured(args: list[str]) -> dict[str, object]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    peak = tree_peak(proc)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args)} exited {proc.returncode}")
    return {"wall_s": wall, "peak_mb": peak, **json.loads(out)}


def child_floor(path: str) -> None:
    import pyarrow.parquet as pq

    from gonogo.serving.runtime import load

    runtime = load(MODEL, STORE)
    start = time.perf_counter()
    table = pq.read_table(path, columns=runtime.candidate.schema.names)
    read = time.perf_counter() - start
    start = time.perf_counter()
    values = runtime.candidate.predict(table)
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": len(values), "seconds": seconds, "read_s": read}))


def main(sizes: list[int]) -> None:
    store()
    for millions in sizes:
        path = big(millions)
        floor = measured([sys.executable, __file__, "--floor", str(path)])
        out = OUT / f"predictions-{millions}m"
        shutil.rmtree(out, ignore_errors=True)
        ours = measured(
            [*GONOGO, "predict", MODEL, "--input", str(path), "--output", str(out),
             "--store", str(STORE), "--workers", "2", "--json"]
        )  # fmt: skip
        assert ours["rows"] == floor["rows"], (ours, floor)
        f_s, o_s = float(str(floor["seconds"])), float(str(ours["seconds"]))
        row = {
            "rows": ours["rows"],
            "input_mb": round(path.stat().st_size / 2**20),
            "floor_predict_s": round(f_s, 2),
            "floor_read_s": round(float(str(floor["read_s"])), 2),
            "floor_peak_mb": round(float(str(floor["peak_mb"]))),
            "gonogo_job_s": round(o_s, 2),
            "gonogo_wall_s": round(float(str(ours["wall_s"])), 2),
            "gonogo_peak_mb": round(float(str(ours["peak_mb"]))),
            "throughput_vs_floor": round(f_s / o_s, 2),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--floor"]:
        child_floor(sys.argv[2])
    else:
        main([int(a) for a in sys.argv[1:]] or [2, 8])
