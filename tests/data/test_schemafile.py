"""The schema file: inferred, written, edited, read back; nonsense named by its line."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gonogo.data.schemafile import read, write
from gonogo.data.statistics import compute
from gonogo.errors import DataError
from gonogo.pipeline.gates import data_gate, passes


@pytest.fixture
def written(tmp_path, churn_frame):
    stats = compute(pa.Table.from_pandas(churn_frame, preserve_index=False).to_batches(1000))
    path = tmp_path / "schema.yaml"
    write(stats.schema(), path)
    return path, stats.schema()


def test_the_schema_reads_back_as_written(written, churn_frame):
    path, schema = written
    assert read(path) == schema
    state = next(f for f in schema.fields if f.name == "state")
    assert state.kind == "text" and len(state.categories or ()) == churn_frame["state"].nunique()
    minutes = next(f for f in schema.fields if f.name == "total_day_minutes")
    assert minutes.kind == "number" and (minutes.minimum, minutes.maximum) == (None, None)
    assert path.read_text().startswith("# gonogo schema")


def _edit(path, old: str, new: str, count: int = 1) -> int:
    """Replace text in the file; the line (1-based) of the first replacement."""
    text = path.read_text()
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count))
    return line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("type: number", "type: numbr", "columns.0.type: Input should be 'number'"),
        ("optional: false", "optionl: false", "columns.0.optionl: Extra inputs are not permitted"),
        ("version: 1", "version: 2", "version: Input should be 1"),
    ],
)
def test_a_schema_edited_into_nonsense_names_the_line(written, old, new, message):
    path, _ = written
    line = _edit(path, old, new)
    with pytest.raises(DataError, match=f"schema.yaml:{line}: {message}"):
        read(path)


def test_a_range_turned_upside_down_is_named(written):
    path, _ = written
    text = path.read_text()
    start = text.index("name: total_day_minutes")
    column = text[:start].count("\n") + 1  # the column's entry starts on this line
    end = text.index("\n", text.index("optional:", start)) + 1
    path.write_text(text[:end] + "  minimum: 1.0e9\n  maximum: 10\n" + text[end:])
    with pytest.raises(
        DataError, match=f"schema.yaml:{column}: columns.\\d+: Value error, minimum"
    ):
        read(path)


def test_a_file_that_is_not_yaml_or_not_a_schema_is_named(tmp_path):
    bad = tmp_path / "schema.yaml"
    bad.write_text("version: 1\ncolumns: [\n")
    with pytest.raises(DataError, match=r"schema.yaml:\d+: not valid YAML"):
        read(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(DataError, match="schema.yaml:1: expected a schema"):
        read(bad)
    with pytest.raises(DataError, match="nowhere.yaml: cannot read"):
        read(tmp_path / "nowhere.yaml")


def test_a_bound_written_into_the_schema_replaces_the_training_range(written, churn_frame):
    path, _ = written
    ref = compute(pa.Table.from_pandas(churn_frame, preserve_index=False).to_batches(1000))
    span = churn_frame.copy()
    span.loc[span.index[:200], "number_vmail_messages"] = 80  # above the training maximum
    cur = compute(pa.Table.from_pandas(span, preserve_index=False).to_batches(1000))
    found = data_gate(read(path), ref, cur)
    assert "data.out_of_range" in {f.check for f in found} and not passes(found)
    text = path.read_text()
    start = text.index("name: number_vmail_messages")
    end = text.index("\n", text.index("optional:", start)) + 1
    path.write_text(text[:end] + "  maximum: 100\n" + text[end:])
    widened = data_gate(read(path), ref, cur)
    assert "data.out_of_range" not in {f.check for f in widened}
    path.write_text(text[:end] + "  maximum: 20\n" + text[end:])
    narrowed = data_gate(read(path), ref, ref)
    assert "data.out_of_range" in {f.check for f in narrowed}
