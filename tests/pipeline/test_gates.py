"""The data gate names every anomaly of a new span, and lets an ordinary span through."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from gonogo.data.schema import InputSchema
from gonogo.data.statistics import compute
from gonogo.pipeline.gates import data_gate, missing_in_files, passes
from gonogo.pipeline.steps import validate
from tests.conftest import spec


def _stats(frame: pd.DataFrame):
    inputs = frame.drop(columns=["rownames"])  # an id, excluded by the spec
    return compute(pa.Table.from_pandas(inputs, preserve_index=False).to_batches(500))


def _schema(frame: pd.DataFrame) -> InputSchema:
    return _stats(frame).schema()


def _random_span(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame.sample(frac=0.8, random_state=0)
    return train, frame.drop(index=train.index)


def test_an_ordinary_span_passes(churn_frame):
    train, span = _random_span(churn_frame)
    found = data_gate(_schema(train), _stats(train), _stats(span))
    assert passes(found), [f.message for f in found]
    # Only the smaller row count is mentioned, and how the expected count was reckoned.
    assert [f.check for f in found] == ["data.row_count"]
    assert "training's rows a file times the new files" in found[0].message


def test_a_real_shift_in_the_last_accounts_is_found(churn_frame):
    # The table's last 1,000 accounts have fewer voice-mail plans (21.8% against 27.6%;
    # KS p = 0.009): the message count moved beyond what chance gives a span of that size.
    train, span = churn_frame.iloc[:4000], churn_frame.iloc[4000:]
    found = data_gate(_schema(train), _stats(train), _stats(span))
    drifted = [f for f in found if f.check == "data.drift"]
    assert [f.columns for f in drifted] == [("number_vmail_messages",)]
    assert drifted[0].evidence["distance"] > 1.5 * drifted[0].evidence["chance"]


def test_a_new_category_a_dropped_column_and_a_drift_are_all_named(churn_frame):
    train, span = _random_span(churn_frame)
    schema = _schema(train)
    span.loc[span.index[:100], "state"] = "PR"  # a territory training never saw
    span = span.drop(columns=["total_eve_calls"])
    span["total_day_minutes"] = span["total_day_minutes"] * 1.3
    found = data_gate(schema, _stats(train), _stats(span))
    assert not passes(found)
    by = {(f.check, f.columns): f for f in found}
    assert by[("data.missing_column", ("total_eve_calls",))].severity == "block"
    unseen = by[("data.unseen_categories", ("state",))]
    assert unseen.evidence["categories"] == ["PR"] and unseen.evidence["share"] == 0.1
    assert (
        unseen.message
        == "state has 1 category the schema has not seen ('PR') in 10.0% of its values"
    )
    rare = train.copy()
    rare.loc[rare.index[0], "state"] = "GU"  # one row in thousands: not "0.0%"
    [said] = [f for f in data_gate(schema, _stats(train), _stats(rare)) if f.columns == ("state",)]
    assert len(rare) > 1000 and said.message.endswith("('GU') in under 0.1% of its values")
    drifted = by[("data.drift", ("total_day_minutes",))]
    assert drifted.evidence["distance"] > 0.1 and drifted.severity == "block"
    assert ("data.drift", ("total_night_minutes",)) not in by  # untouched columns stay quiet


def test_a_column_dropped_from_one_of_the_new_files_is_named_with_that_file(churn_frame):
    """Over the new files together, a column one of them lacks reads as missing values."""
    schema = _schema(churn_frame)
    columns = list(schema.names)
    files = {"may.csv": columns, "june.csv": [c for c in columns if c != "total_eve_calls"]}
    (found,) = missing_in_files(schema, files)
    assert (found.check, found.severity, found.columns) == (
        "data.missing_column",
        "block",
        ("total_eve_calls",),
    )
    assert found.message == "total_eve_calls is missing from june.csv"
    # Missing from every new file, it is the union's missing column, said once by data_gate.
    assert missing_in_files(schema, {"june.csv": files["june.csv"]}) == []


def test_missing_values_where_training_had_none_block(churn_frame):
    train, span = _random_span(churn_frame)
    schema = _schema(train)
    span.loc[span.index[:3], "account_length"] = None
    found = data_gate(schema, _stats(train), _stats(span))
    missing = [f for f in found if f.check == "data.missing_rising"]
    assert [f.columns for f in missing] == [("account_length",)]


def test_the_spec_sets_how_much_drift_passes(churn_frame):
    from gonogo.problem import GateSpec
    from tests.conftest import spec

    train, span = _random_span(churn_frame)
    span["total_day_minutes"] = span["total_day_minutes"] * 1.1
    strict = data_gate(_schema(train), _stats(train), _stats(span))
    loose = spec(gate={"drift": 0.5}).gate
    assert isinstance(loose, GateSpec)
    assert "data.drift" in {f.check for f in strict}
    assert "data.drift" not in {
        f.check for f in data_gate(_schema(train), _stats(train), _stats(span), loose)
    }


def test_dates_written_as_text_are_no_new_categories_when_read_as_dates():
    days = pd.date_range("2017-01-01", periods=240).strftime("%Y-%m-%d")  # text, as Parquet held it
    frame = pd.DataFrame(
        {"rownames": range(240), "day": days, "y": [float(i % 9) for i in range(240)]}
    )
    train, span = frame.iloc[:120], frame.iloc[120:]
    schema, ref, cur = _schema(train), _stats(train), _stats(span)
    as_text = {f.check for f in data_gate(schema, ref, cur) if "day" in f.columns}
    assert as_text == {"data.unseen_categories", "data.drift"}  # every new day, and all of them
    found = data_gate(schema, ref, cur, dates=frozenset({"day"}))
    assert not [f for f in found if "day" in f.columns] and passes(found)
    # The pipeline's step knows them from the spec: the time column, its calendar's source.
    assert validate(spec(data={"time": "day"}), schema, ref, cur) == found


def test_a_column_gets_limits_of_its_own_and_the_label_only_warns(churn_frame):
    """A column that follows time leaves its range by design: its own limits let it through
    while every other column keeps the problem's. The label moving is the world the model
    gate judges in, not an input gone wrong: said, not blocked (a retrain was blocked on
    every span of a trending count)."""
    train, span = _random_span(churn_frame)
    span = span.assign(total_day_minutes=span["total_day_minutes"] * 1.1)
    span = span.assign(total_eve_minutes=span["total_eve_minutes"] * 1.1)
    own = spec(gate={"columns": {"total_day_minutes": {"drift": 0.5, "out_of_range": 1}}}).gate
    assert own.of("total_day_minutes").drift == 0.5 and own.of("total_eve_minutes").drift == 0.1
    drifted = [f.columns for f in data_gate(_schema(train), _stats(train), _stats(span), own)]
    assert ("total_eve_minutes",) in drifted and ("total_day_minutes",) not in drifted
    churners = pd.concat([span, train[train["churn"] == "yes"].head(300)])
    found = data_gate(_schema(train), _stats(train), _stats(churners), label="churn")
    [moved] = [f for f in found if f.columns == ("churn",)]
    assert moved.severity == "warn" and "it is the label: the model gate judges" in moved.message
    as_input = data_gate(_schema(train), _stats(train), _stats(churners))
    assert next(f for f in as_input if f.columns == ("churn",)).severity == "block"


def test_limits_for_a_column_the_problem_does_not_read_are_refused():
    from gonogo.errors import SpecError
    from gonogo.pipeline.steps import gate_columns

    problem = spec(gate={"columns": {"total_dya_minutes": {"drift": 2}}})
    with pytest.raises(SpecError, match=r"gate.columns.total_dya_minutes: is not a column"):
        gate_columns(problem, ["total_day_minutes", "churn"])
    assert gate_columns(spec(), ["total_day_minutes", "churn"]) == ["total_day_minutes", "churn"]


def test_a_limit_the_gate_never_applies_to_dates_is_refused():
    from gonogo.errors import SpecError
    from gonogo.pipeline.steps import gate_columns

    columns = ["day", "x", "y"]
    drifting = spec(data={"time": "day"}, gate={"columns": {"day": {"drift": 5}}})
    with pytest.raises(SpecError, match=r"gate.columns.day.drift: is a limit the gate never"):
        gate_columns(drifting, columns)
    missing = spec(
        data={"time": "day"}, gate={"columns": {"day": {"drift": None, "missing_rise": 0.5}}}
    )
    assert gate_columns(missing, columns) == columns
    # A column typed as a date in the data, read as a plain feature: its drift is never
    # compared either.
    stamped = spec(gate={"columns": {"x": {"unseen": 0.5}}})
    with pytest.raises(SpecError, match=r"gate.columns.x.unseen: is a limit the gate never"):
        gate_columns(stamped, columns, ["x"])
    assert gate_columns(stamped, columns, ["y"]) == columns
