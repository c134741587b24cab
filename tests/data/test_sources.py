from pathlib import Path

import pandas as pd
import pytest

from gonogo import DataError
from gonogo.data.sources import read_table


def test_csv_and_parquet_read_the_same(tmp_path: Path, churn_frame):
    csv = tmp_path / "churn.csv"
    churn_frame.to_csv(csv, index=False)
    frame = read_table(csv, "data.path")
    assert frame.shape == churn_frame.shape
    assert list(frame.columns) == list(churn_frame.columns)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.xlsx", b"x", "expected a .csv or .parquet file; found 'data.xlsx'"),
        ("broken.parquet", b"this is not parquet", "cannot read broken.parquet as parquet"),
        ("empty.csv", b"a,b\n", "empty.csv has no rows"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(path, "data.path")


def test_a_missing_file(tmp_path: Path):
    with pytest.raises(DataError, match="data.path: file not found"):
        read_table(tmp_path / "gone.parquet", "data.path")


def test_a_frame_is_returned(tmp_path: Path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    assert read_table(path, "data.path")["a"].tolist() == [1, 2]
