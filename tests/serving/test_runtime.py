"""The runtime's fast path: a version registered with its ONNX model predicts with ONNX
Runtime what the candidate predicts, and rows it cannot take as they are go the native way,
so both ways accept and refuse the same rows."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from gonogo.candidates.onnxgraph.check import attempt
from gonogo.candidates.onnxgraph.feeds import feeds
from gonogo.data.dataset import load as load_data
from gonogo.errors import DataError, RequestError
from gonogo.serving.dataplane import DataPlane
from gonogo.serving.runtime import Runtime

CHICAGO = pytest.mark.xdist_group("chicago-pipeline")


@pytest.fixture(scope="module")
def churn_runtimes(churn_problem, churn_result):
    holdout = load_data(churn_problem).raw.iloc[churn_result.fits[-1].test]
    candidate = churn_result.fitted("gbm")
    onnx, said = attempt(candidate, holdout, {})
    assert onnx is not None and said.startswith("parity ")
    fast = Runtime("churn", 1, "model", candidate, onnx)
    return fast, Runtime("churn", 1, "model", candidate), holdout


def _batch(frame: pd.DataFrame) -> pa.RecordBatch:
    return pa.RecordBatch.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def test_the_fast_path_predicts_what_the_candidate_does(churn_runtimes):
    fast, native, holdout = churn_runtimes
    assert (fast.engine, native.engine) == ("onnxruntime", "native")
    got, want = fast.predict(_batch(holdout)), native.predict(_batch(holdout))
    assert got.schema.names == want.schema.names == ["yes"]
    np.testing.assert_allclose(got.column(0), want.column(0), rtol=1e-9, atol=1e-9)


def test_rows_of_other_types_go_the_native_way_and_are_refused_alike(churn_runtimes):
    fast, native, holdout = churn_runtimes
    as_text = holdout.head(3).astype({"total_day_minutes": str})  # numbers sent as text
    np.testing.assert_allclose(
        fast.predict(_batch(as_text)).column(0), native.predict(_batch(as_text)).column(0)
    )
    wrong = holdout.head(3).assign(total_day_minutes=["warm", "1", "2"])
    for rt in (fast, native):
        with pytest.raises(DataError, match="'total_day_minutes' expects numbers; found 'warm'"):
            rt.predict(_batch(wrong))


def test_an_infinite_number_is_predicted_the_native_way(churn_runtimes):
    fast, native, holdout = churn_runtimes
    rows = _batch(holdout.head(3).assign(total_day_minutes=[np.inf, -np.inf, 100.0]))
    assert feeds(fast.candidate, rows) is None
    assert feeds(fast.candidate, _batch(holdout.head(3))) is not None
    np.testing.assert_array_equal(fast.predict(rows).column(0), native.predict(rows).column(0))


def test_an_infinite_number_a_model_refuses_is_a_bad_request_naming_the_input(
    churn_problem, churn_result
):
    """Gradient boosting reads an infinity; a linear model refuses it, and the client was
    told only that "Input X contains infinity", not which input held it."""
    holdout = load_data(churn_problem).raw.iloc[churn_result.fits[-1].test].head(3)
    linear = Runtime("churn", 1, "model", churn_result.fitted("linear"))
    rows = _batch(holdout.assign(total_day_minutes=[100.0, np.inf, 100.0]))
    with pytest.raises(
        RequestError,
        match=r"^input 'total_day_minutes': the model cannot read its infinite number: Input X contains infinity",
    ):
        DataPlane(linear).predict(linear, rows, "r1")


def test_a_runtime_crosses_to_a_worker_without_its_session(churn_runtimes):
    fast, _, holdout = churn_runtimes
    fast.predict(_batch(holdout.head(2)))  # the session exists now
    again = pickle.loads(pickle.dumps(fast))
    assert "fast" not in again.__dict__ and again.engine == "onnxruntime"
    np.testing.assert_array_equal(
        again.predict(_batch(holdout.head(2))).column(0),
        fast.predict(_batch(holdout.head(2))).column(0),
    )


def test_a_heuristic_gets_no_onnx_model_and_says_why(churn_problem, churn_result):
    holdout = load_data(churn_problem).raw.head(20)
    onnx, said = attempt(churn_result.fitted("plan-rate"), holdout, {})
    assert onnx is None and "no ONNX form" in said


@CHICAGO
def test_the_pipeline_registers_a_model_with_its_checked_onnx_model(chicago_story):
    tracker = chicago_story.tracker()
    production = tracker.production()
    candidate, onnx = tracker.loaded(production)
    assert production.role == "model" and onnx is not None
    tags = tracker.client.get_run(production.run_id).data.tags
    assert tags["gonogo.onnx.model"].startswith("parity ")
    first = tracker.version(1)  # the first run ships the heuristic, which has no ONNX form
    assert first.role == "heuristic" and tracker.loaded(first)[1] is None
    assert "no ONNX form" in tracker.client.get_run(first.run_id).data.tags["gonogo.onnx.heuristic"]
    # A missing date is refused on the fast path as natively: the date is read, not guessed.
    rows = pd.DataFrame({n: [1.0] for n in candidate.schema.names}).assign(date=[None])
    with pytest.raises(DataError, match="'date' has 1 missing or unparsable dates"):
        Runtime("chicago", production.number, "model", candidate, onnx).predict(_batch(rows))


def test_an_unseen_category_is_missing_or_refused_as_the_spec_says(
    churn_problem, churn_frame, tmp_path
):
    from gonogo.candidates.store import load, save
    from gonogo.pipeline.train import train

    refusing = churn_problem.model_copy(
        update={"data": churn_problem.data.model_copy(update={"unseen": "refuse"})}
    )
    rows = churn_frame.head(4).drop(columns="churn").reset_index(drop=True)
    unseen = rows.assign(international_plan=["no", "maybe", None, "yes"])
    missing = rows.assign(international_plan=["no", None, None, "yes"])
    by_default = Runtime(
        "churn", 1, "heuristic", train(churn_problem, "plan-rate", data=churn_frame)
    )
    # By default an unseen level is read as a missing value, the models' own way.
    np.testing.assert_array_equal(
        by_default.predict(_batch(unseen)).column(0), by_default.predict(_batch(missing)).column(0)
    )
    strict = Runtime("churn", 1, "heuristic", train(refusing, "plan-rate", data=churn_frame))
    field = next(f for f in strict.candidate.schema.fields if f.name == "international_plan")
    assert field.unseen == "refuse" and field.to_dict()["unseen"] == "refuse"
    with pytest.raises(DataError, match=r"'international_plan': 'maybe' is a category"):
        strict.predict(_batch(unseen))
    # A server's client made the mistake: a 400 (INVALID_ARGUMENT) naming the input.
    with pytest.raises(RequestError, match=r"^inputs: column 'international_plan': 'maybe'"):
        DataPlane(strict).predict(strict, _batch(unseen), "r1")
    # Missing values and known levels pass; the policy survives saving the candidate.
    np.testing.assert_array_equal(
        strict.predict(_batch(missing)).column(0), by_default.predict(_batch(missing)).column(0)
    )
    saved = Runtime("churn", 1, "heuristic", load(save(strict.candidate, tmp_path / "c")))
    with pytest.raises(DataError, match="'maybe' is a category"):
        saved.predict(_batch(unseen))


def test_another_versions_inputs_are_the_datas_columns_and_their_lags(churn_runtimes):
    """After a rollback, clients still send the newer version's inputs: columns of the data
    and lags of them are ignored; a name the data never held is not."""
    from dataclasses import replace

    fast, _, _ = churn_runtimes
    rt = replace(fast, ignores=frozenset({"churn", "state"}))
    assert rt.ignored("state") and rt.ignored("churn_lag_1")
    assert rt.ignored("total_day_minutes_lag_7")  # a lag of a column the version reads
    assert not rt.ignored("stat") and not rt.ignored("stat_lag_1") and not rt.ignored("x_lag_")


@pytest.mark.xdist_group("hawks-pipeline")
def test_a_version_served_the_native_way_says_why(hawks_story):
    """A server going the native way said nothing of why (round 12: a zoned date had kept
    the model from its ONNX form); it says what registering the version said."""
    from gonogo.serving.runtime import load

    rt = load("hawks", hawks_story.root)
    assert (rt.role, rt.engine) == ("heuristic", "native")
    assert rt.served_by == (
        "native (candidate 'simple-rule': has no ONNX form: only models (linear, gbm) convert; "
        "it is a baseline)"
    )
