from pathlib import Path

import pandas as pd
import pytest

from gonogo import DataError
from gonogo.data.sources import ahead, batches, read_table


def test_csv_and_parquet_read_the_same(tmp_path: Path, churn_frame):
    csv = tmp_path / "churn.csv"
    churn_frame.to_csv(csv, index=False)
    frame = read_table(csv, "data.path")
    assert frame.shape == churn_frame.shape
    assert list(frame.columns) == list(churn_frame.columns)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.xlsx", b"x", "expected a .csv, .tsv or .parquet file; found 'data.xlsx'"),
        ("broken.parquet", b"this is not parquet", "cannot read broken.parquet as parquet"),
        ("empty.csv", b"a,b\n", "empty.csv has no rows"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(path, "data.path")


def test_a_column_name_given_twice_is_refused_in_either_format(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv = tmp_path / "calls.csv"
    csv.write_text("when,calls,calls\n2003-03-03,1,2\n")
    with pytest.raises(DataError, match="calls.csv names two columns 'calls'; expected each"):
        read_table(csv, "data.path")
    parquet = tmp_path / "calls.parquet"
    pq.write_table(pa.table([[1], [2]], names=["x", "x"]), parquet)
    with pytest.raises(DataError, match="calls.parquet names two columns 'x'"):
        read_table(parquet, "data.path")


def test_the_specs_date_columns_are_read_as_written(tmp_path: Path):
    """Arrow would read these as dates itself, ignoring the spec's date format and turning
    offsets from UTC into UTC; gonogo's own date reader gets them as written."""
    from gonogo.data.dialect import Given

    path = tmp_path / "t.csv"
    path.write_text("when,at,y\n2003-01-12,2003-01-01T07:00+02:00,1\n")
    frame = read_table(path, "data.path", Given(text=frozenset({"when", "at", "absent"})))
    assert frame["when"].tolist() == ["2003-01-12"] and frame["at"].tolist() == [
        "2003-01-01T07:00+02:00"
    ]
    assert pd.api.types.is_datetime64_any_dtype(read_table(path, "data.path")["at"])


def test_rows_to_predict_are_read_as_the_model_was_trained(tmp_path: Path):
    """A time column a run read as text is read as text for batch prediction too: Arrow
    turned 07:00+02:00 into 05:00 UTC, and the model's hour of day with it."""
    from gonogo.data.dialect import predicting
    from gonogo.data.schema import Field, InputSchema

    path = tmp_path / "t.csv"
    path.write_text("when,x\n2003-01-01T07:00+02:00,1\n")
    schema = InputSchema((Field("when", "text", False), Field("x", "number", False)))
    (batch,) = batches(path, "csv", "--input", 10, given=predicting(schema))
    assert batch.column("when").to_pylist() == ["2003-01-01T07:00+02:00"]
    assert batch.column("x").to_pylist() == [1]


def test_a_missing_file(tmp_path: Path):
    with pytest.raises(DataError, match="data.path: file not found"):
        read_table(tmp_path / "gone.parquet", "data.path")


def test_a_frame_is_returned(tmp_path: Path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    assert read_table(path, "data.path")["a"].tolist() == [1, 2]


def _parquet(path: Path, rows: int, group: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"a": range(rows), "b": [str(i) for i in range(rows)], "c": [0.5] * rows})
    pq.write_table(table, path, row_group_size=group)
    return path


def test_small_row_groups_make_full_batches_in_order(tmp_path: Path):
    path = _parquet(tmp_path / "t.parquet", 1000, 30)
    got = list(batches(path, "parquet", "--input", 100))
    assert [b.num_rows for b in got][:3] == [90, 90, 90]  # three groups of 30 fit in 100
    assert sum(b.num_rows for b in got) == 1000
    assert [v for b in got for v in b.column("a").to_pylist()] == list(range(1000))


def test_only_the_row_groups_and_columns_asked_for_are_read(tmp_path: Path):
    path = _parquet(tmp_path / "t.parquet", 1000, 100)
    got = list(batches(path, "parquet", "--input", 64, row_groups=[2, 3], columns=["c", "a", "x"]))
    assert {tuple(b.schema.names) for b in got} == {("c", "a")}  # as asked; x absent
    assert [v for b in got for v in b.column("a").to_pylist()] == list(range(200, 400))
    assert max(b.num_rows for b in got) == 64


def test_csv_batches_and_a_broken_file(tmp_path: Path):
    pd.DataFrame({"a": range(10), "b": list("abcdefghij")}).to_csv(tmp_path / "t.csv", index=False)
    got = list(batches(tmp_path / "t.csv", "csv", "--input", 4, columns=["b"]))
    assert [v for b in got for v in b.column("b").to_pylist()] == list("abcdefghij")
    (tmp_path / "bad.parquet").write_bytes(b"nope")
    with pytest.raises(DataError, match=r"--input: cannot read bad.parquet: "):
        list(batches(tmp_path / "bad.parquet", "parquet", "--input", 4))


def test_read_ahead_keeps_the_order_raises_the_readers_error_and_stops_with_the_consumer():
    import threading

    assert list(ahead(iter(range(100)), depth=2)) == list(range(100))

    def failing():
        yield 1
        raise DataError("f.parquet", "cannot read row group 2")

    with pytest.raises(DataError, match="cannot read row group 2"):
        list(ahead(failing()))
    produced = []

    def counted():
        for i in range(1000):
            produced.append(i)
            yield i

    stream = ahead(counted(), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # the consumer stops: the producer ends instead of reading on
    assert len(produced) <= 3 + 2 + 1
    assert not [t for t in threading.enumerate() if t.name == "gonogo-read-ahead"]

    def consume():
        for i in ahead(counted(), depth=2):
            if i == 2:
                raise ValueError("the consumer's own error")

    with pytest.raises(ValueError, match="the consumer's own error"):
        consume()  # a consumer's error stops the producer as well
    assert not [t for t in threading.enumerate() if t.name == "gonogo-read-ahead"]


def test_a_binary_file_named_csv_is_an_input_error_wherever_it_is_read(tmp_path: Path):
    """Random bytes under a .csv name are sniffed as a single-byte encoding that then fails to
    decode: `gonogo predict` and the pipeline's gate read files their own ways, and each
    ended in a traceback."""
    import numpy as np

    from gonogo.data.statistics import file_schemas, scan

    path = tmp_path / "garbage.csv"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(DataError, match=r"^--input: cannot read garbage.csv: "):
        list(batches(path, "csv", "--input", 100))
    with pytest.raises(DataError, match=r"^data: cannot read garbage.csv: "):
        file_schemas([path], "data")
    with pytest.raises(DataError, match=r"^data: cannot read"):
        list(scan([path], "data"))
