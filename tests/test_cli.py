"""The `gonogo` command as a user runs it: exit codes, one-line errors, nothing half-written."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import EXAMPLES

CHURN = EXAMPLES / "churn" / "data" / "churn.parquet"
GONOGO = [sys.executable, "-m", "gonogo"]


def _gonogo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GONOGO, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_the_same_spec_and_data_give_byte_identical_verdicts(tmp_path: Path, chicago_result):
    """A CLI run in a fresh process (worker processes and all) writes the very bytes of the
    same run made in this one."""
    spec = EXAMPLES / "chicago" / "problem.yaml"
    done = _gonogo("run", str(spec), "--out", str(tmp_path / "a"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "verdict.json").read_text() == chicago_result.to_json()
    assert (tmp_path / "a" / "report.html").read_text() == chicago_result.to_html()
    assert "GO · chicago-ridership" in done.stdout
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["report.html", "verdict.json"]


def _spec(tmp_path: Path, **changes) -> Path:
    raw = {
        "name": "churn",
        "data": {"path": str(CHURN)},
        "label": {"column": "churn"},
        "exclude": ["rownames"],
    }
    raw.update(changes)
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _table(tmp_path: Path, frame: pd.DataFrame) -> str:
    path = tmp_path / "table.parquet"
    frame.to_parquet(path)
    return str(path)


BAD = {
    "misspelled key": (
        lambda t: _spec(t, metirc="roc_auc"),
        "problem.yaml: metirc: unknown key (did you mean 'metric'?)",
    ),
    "missing column": (
        lambda t: _spec(t, label={"column": "chrun"}),
        "label.column: column 'chrun' not found in the data (did you mean 'churn'?)",
    ),
    "missing file": (
        lambda t: _spec(t, data={"path": "nowhere.parquet"}),
        "data.path: file not found",
    ),
    "empty table": (
        lambda t: _spec(t, data={"path": _table(t, pd.read_parquet(CHURN).iloc[:0])}),
        "has no rows",
    ),
    "non-numeric regression label": (
        lambda t: _spec(t, label={"column": "churn", "task": "regression"}),
        "regression needs a numeric label",
    ),
    "unknown metric": (lambda t: _spec(t, metric="auroc"), "metric: expected one of"),
    "unknown estimator": (
        lambda t: _spec(t, models=[{"name": "m", "estimator": "sklearn.nope.Model"}]),
        "models[0].estimator: cannot import 'sklearn.nope.Model'",
    ),
    "python in an expression": (
        lambda t: _spec(
            t,
            baselines=[
                {"name": "evil", "expression": f"__import__('os').system('touch {t / 'pwned'}')"}
            ],
        ),
        "baselines[0].expression: \"__import__('os')",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, case: str):
    make, expected = BAD[case]
    out = tmp_path / "out"
    done = _gonogo("run", str(make(tmp_path)), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("gonogo: ") and expected in done.stderr
    assert not out.exists() and not (tmp_path / "pwned").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_malformed_yaml(tmp_path: Path):
    path = tmp_path / "problem.yaml"
    path.write_text("name: x\nlabel:\n  column: [churn\n")
    done = _gonogo("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "malformed YAML at line" in done.stderr


def test_a_missing_spec_file(tmp_path: Path):
    done = _gonogo("run", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2 and done.stderr.strip().endswith("absent.yaml: file not found")


def test_an_out_folder_holding_other_files_is_refused(tmp_path: Path):
    (tmp_path / "mine.txt").write_text("keep me")
    done = _gonogo("run", str(_spec(tmp_path)), "--out", str(tmp_path))
    assert done.returncode == 2 and "exists and holds other files" in done.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    done = _gonogo("run", str(_spec(tmp_path)), "--out", str(tmp_path / "mine.txt"))
    assert done.returncode == 2 and done.stderr.strip().endswith("is a file; name a new folder")


def test_usage_errors_exit_2(tmp_path: Path):
    assert _gonogo("run").returncode == 2
    assert _gonogo("frobnicate").returncode == 2
    # An option given twice kept the last, and the first file was silently left out.
    twice = _gonogo("pipeline", "run", "p.yaml", "--data", "a.csv", "--data=b.csv")
    assert (twice.returncode, twice.stderr) == (
        2,
        "gonogo: --data: is given twice, and only the last would count; give it once\n",
    )
    store = str(tmp_path / "store")
    kept = _gonogo("predict", "p@1", "--input", "a", "--output", "o", "--keep", "a", "--keep", "b",
                   "--store", store)  # fmt: skip
    assert "given twice" not in kept.stderr  # --keep is repeatable


def test_init_writes_a_spec_that_loads(tmp_path: Path):
    out = tmp_path / "specs" / "problem.yaml"
    done = _gonogo(
        "init",
        "--data",
        str(EXAMPLES / "chicago" / "data" / "chicago.parquet"),
        "--label",
        "ridership",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    raw = yaml.safe_load(out.read_text())
    assert raw["data"]["time"] == "date" and raw["label"]["task"] == "regression"
    assert raw["exclude"] == ["rownames"] and raw["derive"] == {
        "calendar": {"from": "date"},
        "history": {"column": "ridership", "periods": [1, 7]},
    }
    assert raw["baselines"] == [
        {"name": "last-value", "column": "ridership_lag_1"},
        {"name": "same-day-last-week", "column": "ridership_lag_7"},
    ]
    again = _gonogo("init", "--data", str(CHURN), "--label", "churn", "--out", str(out))
    assert again.returncode == 2 and "exists already; pass --force" in again.stderr


def test_init_names_a_wrong_label(tmp_path: Path):
    done = _gonogo(
        "init", "--data", str(CHURN), "--label", "churned", "--out", str(tmp_path / "p.yaml")
    )
    assert done.returncode == 2 and "--label: column 'churned' not found" in done.stderr


def test_serving_options_out_of_range_are_one_line_and_exit_2(tmp_path):
    for args, message in [
        (["serve", "m", "--port", "99999"], "--port: expected a port from 1 to 65535; got 99999"),
        (["serve", "m", "--grpc-port", "-1"], "--grpc-port: expected a port from 1 to 65535"),
        (["serve", "m", "--max-batch", "0"], "--max-batch: expected a positive number of rows"),
        (
            ["serve", "m", "--port", "20811", "--grpc-port", "20811"],
            "--grpc-port: is the REST port too (20811); give gRPC its own",
        ),
    ]:
        done = _gonogo(*args, "--store", str(tmp_path))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(f"gonogo: {message}")


def test_a_store_that_is_a_file_is_one_line_and_exit_2(tmp_path: Path):
    taken = tmp_path / "notes.txt"
    taken.write_text("not a store\n")
    spec = EXAMPLES / "churn" / "problem.yaml"
    done = _gonogo("pipeline", "run", str(spec), "--data", str(CHURN), "--store", str(taken))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"gonogo: --store: cannot use the store {taken}: ")
    assert taken.read_text() == "not a store\n"


def test_sigterm_stops_the_run_its_worker_processes_and_writes_nothing(tmp_path: Path):
    """An orchestrator stops a job with SIGTERM: the run's worker processes stop with it (they
    idled on for minutes, holding their memory), and no output is left half-written."""
    import os
    import signal
    import time

    import psutil

    out = tmp_path / "out"
    spec = EXAMPLES / "churn" / "problem.yaml"
    env = os.environ | {"GONOGO_WORKERS": "2"}
    proc = subprocess.Popen(
        [*GONOGO, "run", str(spec), "--out", str(out)], stderr=subprocess.PIPE, text=True, env=env
    )
    parent, deadline = psutil.Process(proc.pid), time.monotonic() + 120
    while len(parent.children()) < 2 and time.monotonic() < deadline:  # the workers are up
        time.sleep(0.1)
    workers = parent.children(recursive=True)
    assert len(workers) >= 2, "the run started no worker processes"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, f"worker processes left running: {alive}"
    assert proc.stderr is not None and proc.stderr.read() == "gonogo: stopped (SIGTERM)\n"
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name != "out"]
