"""The prediction log: buffered, written whole as Parquet, bounded in files."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from gonogo.pipeline.train import train
from gonogo.serving.predlog import PredictionLog
from gonogo.serving.runtime import Runtime
from tests.conftest import penguins, spec


@pytest.fixture(scope="module")
def runtime():
    problem, frame = penguins()
    return Runtime("penguins", 4, "heuristic", train(problem, "flippers", data=frame)), frame


def _batch(frame):
    return pa.RecordBatch.from_pandas(frame, preserve_index=False)


def test_rows_are_written_once_the_buffer_is_full_and_files_are_bounded(runtime, tmp_path):
    rt, frame = runtime
    log = PredictionLog(tmp_path / "log", flush_rows=10, max_files=2)
    for i in range(4):
        rows = _batch(frame.iloc[i * 6 : i * 6 + 6])
        log.record(rt, f"r{i}", rows, rt.predict(rows))
    assert log.flush() is None  # the buffer was written by the writer, which flush waits for
    files = sorted((tmp_path / "log").glob("*"))
    assert len(files) == 2 and all(f.suffix == ".parquet" for f in files)  # 12 rows, then 12
    kept = pd.read_parquet(files[-1])
    assert list(kept["request_id"]) == ["r2"] * 6 + ["r3"] * 6
    assert list(kept.columns[:4]) == ["request_id", "time", "model", "version"]
    assert {"output:Adelie", "output:Gentoo", "input:flipper_length_mm"} <= set(kept)
    assert "input:island" not in kept  # only what the version reads
    for i in range(2):
        rows = _batch(frame.iloc[:1])
        log.record(rt, f"s{i}", rows, rt.predict(rows))
    assert log.flush() is not None and log.flush() is None
    assert len(list((tmp_path / "log").glob("*.parquet"))) == 2  # the oldest went


def test_requests_of_different_types_share_one_file(runtime, tmp_path):
    rt, frame = runtime
    log = PredictionLog(tmp_path / "log")
    whole = frame.iloc[:2].assign(flipper_length_mm=[181, 186])  # integers in one request
    rows = _batch(whole)
    log.record(rt, "ints", rows, rt.predict(rows))
    rows = _batch(frame.iloc[2:3].assign(flipper_length_mm=[195.5]))
    log.record(rt, "floats", rows, rt.predict(rows))
    kept = pd.read_parquet(log.flush())
    assert list(kept["input:flipper_length_mm"]) == [181.0, 186.0, 195.5]


def test_numbers_sent_as_text_are_logged_as_the_model_read_them(runtime, tmp_path):
    rt, frame = runtime
    log = PredictionLog(tmp_path / "log")
    rows = _batch(frame.iloc[:1])
    log.record(rt, "number", rows, rt.predict(rows))
    text = pa.RecordBatch.from_pydict(
        {"bill_length_mm": pa.array([" 40.1"]), "flipper_length_mm": pa.array(["195.5"])}
    )
    log.record(rt, "text", text, rt.predict(text))
    kept = pd.read_parquet(log.flush())
    assert kept["input:flipper_length_mm"].tolist() == [frame["flipper_length_mm"].iloc[0], 195.5]
    assert kept["input:bill_length_mm"].tolist() == [frame["bill_length_mm"].iloc[0], 40.1]


def test_a_log_that_cannot_be_written_says_so_and_fails_no_request(runtime, tmp_path, caplog):
    rt, frame = runtime
    (tmp_path / "log").write_text("a file where the folder should be")
    log = PredictionLog(tmp_path / "log", flush_rows=1)
    rows = _batch(frame.iloc[:3])
    with caplog.at_level("ERROR", logger="gonogo.serve"):
        log.record(rt, "r", rows, rt.predict(rows))  # full: written by the writer, which cannot
        assert log.flush() is None
    assert "prediction log: 3 rows not written to" in caplog.text


def test_values_that_do_not_convert_cost_only_their_own_request(runtime, tmp_path, caplog):
    """Requests of the same columns are converted together when the log is written; one
    request's unreadable value must not take the others' values with it."""
    rt, frame = runtime
    log = PredictionLog(tmp_path / "log")
    predicted = rt.predict(_batch(frame.iloc[:1]))  # what the log is given is not re-checked
    for rid, value in (("a", "195.5"), ("b", "tall"), ("c", "181")):
        text = pa.RecordBatch.from_pydict({"flipper_length_mm": pa.array([value])})
        log.record(rt, rid, text, predicted)
    with caplog.at_level("WARNING", logger="gonogo.serve"):
        kept = pd.read_parquet(log.flush())
    assert kept["request_id"].tolist() == ["a", "b", "c"]
    values = kept["input:flipper_length_mm"].tolist()
    assert values[0] == 195.5 and pd.isna(values[1]) and values[2] == 181.0
    assert "flipper_length_mm not kept" in caplog.text


def test_inputs_named_like_the_logs_own_columns_leave_them_alone(tmp_path):
    """A version reading columns named `time` and `model`: the log keeps when and what served."""
    frame = penguins()[1].rename(columns={"island": "time", "sex": "model"}).dropna()
    problem = spec(
        label={"column": "species"},
        baselines=[{"name": "per-place", "group_by": ["time", "model"]}],
    )
    rt = Runtime("penguins", 2, "heuristic", train(problem, "per-place", data=frame))
    log = PredictionLog(tmp_path / "log")
    rows = _batch(frame.head(3))
    log.record(rt, "r", rows, rt.predict(rows))
    kept = pd.read_parquet(log.flush())
    assert kept["input:time"].tolist() == frame["time"].head(3).tolist()
    assert kept["input:model"].tolist() == frame["model"].head(3).tolist()
    assert kept["model"].tolist() == ["penguins"] * 3 and kept["time"].notna().all()
