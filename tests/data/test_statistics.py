"""Statistics streamed over record batches equal the whole table's, whatever the batches."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gonogo.data.sources import files
from gonogo.data.statistics import Statistics, compute, scan, shown
from gonogo.errors import DataError


def _batches(frame: pd.DataFrame, size: int) -> list[pa.RecordBatch]:
    return pa.Table.from_pandas(frame, preserve_index=False).to_batches(max_chunksize=size)


def test_streamed_statistics_equal_the_whole_tables(churn_frame):
    whole = compute(_batches(churn_frame, len(churn_frame)))
    streamed = compute(_batches(churn_frame, 333))
    minutes = churn_frame["total_day_minutes"]
    for stats in (whole, streamed):
        day = stats.columns["total_day_minutes"]
        assert stats.rows == len(churn_frame) == day.rows
        assert (day.minimum, day.maximum) == (minutes.min(), minutes.max())
        assert day.mean == pytest.approx(minutes.mean(), rel=1e-12)
        assert day.std == pytest.approx(minutes.std(ddof=0), rel=1e-9)
        state = stats.columns["state"]
        assert (
            state.kind == "text" and state.counts == churn_frame["state"].value_counts().to_dict()
        )
    # The sample is bounded and uniform: its mean is near the column's.
    day = streamed.columns["total_day_minutes"]
    assert len(day.sample) == len(churn_frame)  # under the bound, every value is kept
    small = compute(_batches(churn_frame, 333), sample=500)
    kept = small.columns["total_day_minutes"].sample
    assert len(kept) == 500 and abs(kept.mean() - minutes.mean()) < 4 * minutes.std() / np.sqrt(500)


def test_dates_missing_values_and_booleans_are_counted():
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
            "flag": [True, False, None],
            "x": [1.0, np.nan, 3.0],
        }
    )
    stats = compute(_batches(frame, 2))
    when = stats.columns["when"]
    assert when.kind == "datetime" and when.missing == 1
    assert when.maximum - when.minimum == 2 * 86400
    assert stats.columns["flag"].kind == "boolean" and stats.columns["flag"].mean == 0.5
    assert stats.columns["x"].missing == 1 and stats.columns["x"].mean == 2.0


def test_files_are_read_in_batches_from_a_glob(tmp_path, churn_frame):
    for i in range(3):
        part = churn_frame.iloc[i::3]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / f"{i}.parquet")
    found = files(tmp_path / "*.parquet", "--data")
    stats = compute(scan(found, "--data", batch_size=500))
    assert stats.rows == len(churn_frame)
    with pytest.raises(DataError, match=r"--data: no file matches '.*\*\.csv'"):
        files(tmp_path / "*.csv", "--data")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="--data: cannot read"):
        compute(scan(files(tmp_path / "*.parquet", "--data"), "--data"))


def test_files_that_differ_are_read_with_one_widened_schema(tmp_path, churn_frame):
    first = churn_frame.iloc[:100]
    second = churn_frame.iloc[100:200].drop(columns=["state"])
    second = second.assign(account_length=second["account_length"] + 0.5)  # integers, then decimals
    first.to_parquet(tmp_path / "1.parquet", index=False)
    second.to_parquet(tmp_path / "2.parquet", index=False)
    stats = compute(scan(files(tmp_path / "*.parquet", "--data"), "--data"))
    assert stats.rows == 200
    assert (
        stats.columns["state"].missing == 100 and stats.columns["account_length"].kind == "number"
    )
    assert stats.columns["account_length"].maximum == second["account_length"].max()
    first.assign(account_length="long").to_parquet(tmp_path / "3.parquet", index=False)
    with pytest.raises(DataError) as refused:
        compute(scan(files(tmp_path / "*.parquet", "--data"), "--data"))
    assert str(refused.value) == (
        "--data: column 'account_length' is int64 in 1.parquet, double in 2.parquet, "
        "large_string in 3.parquet; expected one type in every file"
    )


def test_statistics_read_back_as_written(churn_frame):
    stats = compute(pa.Table.from_pandas(churn_frame, preserve_index=False).to_batches(700))
    back = Statistics.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert back.rows == stats.rows and back.schema() == stats.schema()
    for name, column in stats.columns.items():
        again = back.columns[name]
        assert (again.missing, again.minimum, again.counts) == (
            column.missing,
            column.minimum,
            column.counts,
        )
        np.testing.assert_array_equal(again.sample, column.sample)


def test_files_of_the_same_name_are_told_apart_by_their_folder(tmp_path):
    for month, value in (("may", 1), ("june", "one")):
        (tmp_path / month).mkdir()
        pd.DataFrame({"x": [value]}).to_parquet(tmp_path / month / "deliveries.parquet")
    paths = files(str(tmp_path / "*" / "deliveries.parquet"), "--data")
    assert shown(paths) == ["june/deliveries.parquet", "may/deliveries.parquet"]
    with pytest.raises(DataError, match="'x' is large_string in june/deliveries.parquet, int64"):
        compute(scan(paths, "--data"))
