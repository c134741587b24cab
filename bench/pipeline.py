"""Benchmark: `gonogo pipeline run` on the Chicago table arriving year by year, and what a
rerun that has nothing to do costs.

    python bench/pipeline.py

Each command runs in a fresh process, as CI would run it, timed wall clock from start to exit.
A first run (2001-2003: the heuristic ships), a second (2001-2004: the model is gated and
registered), then the second again: a rerun of the same spec and data, which must stop after
hashing the files (goal: at most 2 s). The peers, measured in the same run: the interpreter
starting `gonogo --help`, and a fresh process that only opens the same MLflow store and lists
its experiments — what any command touching MLflow pays before doing anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SPEC = ROOT / "examples" / "chicago" / "problem.yaml"
GONOGO = [sys.executable, "-m", "gonogo"]
MLFLOW_TOUCH = (
    "import sys; from mlflow import MlflowClient; MlflowClient(sys.argv[1]).search_experiments()"
)


def spans() -> Path:
    import pandas as pd

    folder = OUT / "chicago-spans"
    if not folder.exists():
        frame = pd.read_parquet(ROOT / "examples" / "chicago" / "data" / "chicago.parquet")
        folder.mkdir(parents=True)
        for year, rows in frame.groupby(frame["date"].astype(str).str[:4]):
            rows.to_parquet(folder / f"chicago-{year}.parquet", index=False)
    return folder


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return seconds


def main() -> None:
    folder = spans()
    store = OUT / "pipeline-store"
    shutil.rmtree(store, ignore_errors=True)
    run = [*GONOGO, "pipeline", "run", str(SPEC), "--store", str(store), "--data"]
    row = {
        "first_s": timed([*run, str(folder / "chicago-200[1-3].parquet")]),
        "second_s": timed([*run, str(folder / "chicago-200[1-4].parquet")]),
        "cached_s": timed([*run, str(folder / "chicago-200[1-4].parquet")]),
        "help_s": timed([*GONOGO, "--help"]),
        "mlflow_touch_s": timed(
            [sys.executable, "-c", MLFLOW_TOUCH, f"sqlite:///{store.resolve()}/mlflow.db"]
        ),
    }
    row = {k: round(v, 2) for k, v in row.items()}
    row["cached_vs_mlflow_touch"] = round(row["cached_s"] / row["mlflow_touch_s"], 2)
    print(json.dumps(row))


if __name__ == "__main__":
    main()
