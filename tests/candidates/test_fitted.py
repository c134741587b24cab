"""The fitted candidate: raw rows in, exactly the run's predictions out; saved and loaded
without pickle, and refused when changed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.dummy import DummyRegressor

import gonogo
from gonogo.candidates.candidate import assemble
from gonogo.candidates.fitted import fit
from gonogo.candidates.store import as_files, load, save
from gonogo.data.dataset import load as load_data
from gonogo.errors import DataError
from gonogo.metrics import METRICS
from gonogo.pipeline.train import train
from tests.conftest import PENGUINS_GROUP, ROOT, bound, noise_frame, penguins

KINDS = {"constant", "simple-rule", "expression", "group", "column", "linear", "gbm"}


def _assert_the_run_is_reproduced(result: gonogo.Result, raw: pd.DataFrame) -> set[str]:
    """Every candidate of every outer split, on its test rows as they were read."""
    seen = set()
    for fits in result.fits:
        rows = raw.iloc[fits.test]
        batch = pa.Table.from_pandas(rows, preserve_index=False).to_batches()[0]
        for name, fitted in fits.candidates.items():
            expected = fits.predictions[name]
            np.testing.assert_allclose(fitted.predict(rows), expected, rtol=0, atol=1e-12)
            np.testing.assert_allclose(fitted.predict(batch), expected, rtol=0, atol=1e-12)
            seen.add(name)
    return seen


def test_raw_rows_give_the_runs_predictions_on_chicago(chicago_problem, chicago_result):
    raw = load_data(chicago_problem).raw
    seen = _assert_the_run_is_reproduced(chicago_result, raw)
    assert seen == {"constant", "simple-rule", "two-weeks-ago", "weekday-median", "linear", "gbm"}
    # The weekday median reads the day of week derived from the date: it takes the date.
    assert chicago_result.fitted("weekday-median").schema.names == ["date"]
    assert chicago_result.fitted("two-weeks-ago").schema.names == ["Clark_Lake"]


def test_raw_rows_give_the_runs_predictions_on_churn(churn_problem, churn_result):
    raw = load_data(churn_problem).raw
    seen = _assert_the_run_is_reproduced(churn_result, raw)
    assert {"many-service-calls", "plan-rate", "gbm", "linear", "constant"} <= seen


@PENGUINS_GROUP
def test_raw_rows_give_the_runs_predictions_on_penguins_for_every_kind(penguins_result):
    problem, frame = penguins()
    result = penguins_result
    seen = _assert_the_run_is_reproduced(result, load_data(problem, frame).raw)
    assert seen == {"constant", "simple-rule", "per-island", "flippers", "guide", "linear", "gbm"}
    gbm = result.fitted("gbm")
    assert gbm.codec.classes == ("Adelie", "Chinstrap", "Gentoo")
    assert gbm.codec.decode(gbm.predict(frame.head(3))) == ["Adelie"] * 3


def test_saved_candidates_load_and_predict_the_same(chicago_problem, chicago_result, tmp_path):
    rows = load_data(chicago_problem).raw.tail(200)
    for name in ("gbm", "linear", "simple-rule", "weekday-median", "two-weeks-ago", "constant"):
        fitted = chicago_result.fitted(name)
        back = load(save(fitted, tmp_path / name))
        assert back.schema == fitted.schema and back.featurizer == fitted.featurizer
        assert back.provenance == fitted.provenance
        np.testing.assert_array_equal(back.predict(rows), fitted.predict(rows))


def test_a_fit_saved_twice_gives_the_same_bytes(chicago_problem, chicago_result):
    """skops names arrays after object ids and dates its archive; gonogo's files do not vary."""
    ds = load_data(chicago_problem)
    chosen = {c.name: c.config for c in chicago_result.candidates}
    for name in ("gbm", "simple-rule", "weekday-median"):
        first, second = (train(chicago_problem, name, chosen[name], ds=ds) for _ in range(2))
        assert first.estimator is not second.estimator
        assert as_files(first) == as_files(second)


def test_the_provenance_names_the_data_and_the_rows(chicago_result):
    first, last = (fits.candidates["gbm"].provenance for fits in chicago_result.fits[::2])
    assert first["data"] == last["data"] and len(first["data"]) == 64
    assert first["rows"] < last["rows"]  # rolling origins: the later one has more history
    assert last["candidate"] == "gbm" and last["metric"] == "mae" and "loss" in last["config"]


@pytest.fixture
def saved(chicago_result: gonogo.Result, tmp_path: Path) -> Path:
    return save(chicago_result.fitted("two-weeks-ago"), tmp_path / "model")


def test_a_changed_file_is_refused(saved):
    data = bytearray((saved / "estimator.skops").read_bytes())
    data[-40] ^= 1
    (saved / "estimator.skops").write_bytes(bytes(data))
    with pytest.raises(DataError, match="does not match its digest: changed after it was saved"):
        load(saved)


def test_a_changed_description_is_refused(saved):
    manifest = json.loads((saved / "candidate.json").read_text())
    manifest["columns"] = ["Austin"]
    (saved / "candidate.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="does not match its digest"):
        load(saved)


def test_a_load_under_other_versions_says_which(saved, monkeypatch, caplog):
    from gonogo.candidates import store

    made_with = json.loads((saved / "candidate.json").read_text())["versions"]
    assert set(made_with) == {"gonogo", "scikit-learn", "numpy"}
    with caplog.at_level("WARNING", logger="gonogo.candidates"):
        load(saved)
    assert not caplog.records
    later = {**made_with, "scikit-learn": "9.0.0"}
    monkeypatch.setattr(store, "_versions", lambda: later)
    with caplog.at_level("WARNING", logger="gonogo.candidates"):
        assert load(saved).name == "two-weeks-ago"
    [record] = caplog.records
    expected = f"saved with scikit-learn {made_with['scikit-learn']} (now 9.0.0): its predictions"
    assert expected in record.getMessage()


def test_a_foreign_file_is_refused(tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "candidate.json").write_text('{"format": "something else"}')
    (folder / "estimator.skops").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(DataError, match="is not a saved gonogo candidate"):
        load(folder)
    with pytest.raises(DataError, match="is not a saved gonogo candidate"):
        load(tmp_path / "nowhere")
    # One saved before the calendar changed derives other inputs: refit, not misread.
    (folder / "candidate.json").write_text('{"format": "gonogo.fitted-candidate/1"}')
    with pytest.raises(DataError, match=r"saved by another gonogo \(format gonogo.fitted-cand"):
        load(folder)


class Halved(DummyRegressor):  # type: ignore[misc]
    """An estimator from outside gonogo and scikit-learn, as a spec may name one."""


def test_an_estimator_of_an_untrusted_type_loads_only_when_trusted(tmp_path, chicago_result):
    fitted = chicago_result.fitted("constant")
    odd = Halved().fit(pd.DataFrame(index=range(2)), [1.0, 2.0])
    path = save(replace(fitted, estimator=odd), tmp_path / "odd")
    name = f"{__name__}.Halved"
    with pytest.raises(DataError, match=f"holds types gonogo does not trust: {name}"):
        load(path)
    assert load(path, trusted=[name]).predict(pd.DataFrame(index=range(3))).tolist() == [1.5] * 3


def test_rows_missing_a_column_or_of_the_wrong_type_are_named(chicago_result):
    gbm = chicago_result.fitted("gbm")
    rows = pd.DataFrame({c: [1.0] for c in gbm.schema.names if c != "date"})
    with pytest.raises(DataError, match="rows: column 'date' is missing"):
        gbm.predict(rows)
    rows["date"] = ["the day after"]
    with pytest.raises(DataError, match="rows: column 'date' has 1 missing or unparsable dates"):
        gbm.predict(rows)
    rows["date"] = ["2016-09-01"]
    rows["temp"] = ["warm"]
    with pytest.raises(DataError, match="rows: column 'temp' expects numbers; found 'warm'"):
        gbm.predict(rows)


def test_rows_from_a_json_request_are_read_in_their_trained_types(chicago_result):
    gbm = chicago_result.fitted("gbm")
    raw = pd.read_parquet(ROOT / "examples" / "chicago" / "data" / "chicago.parquet").tail(3)
    as_text = raw.astype({"date": str}).astype(object)  # what a JSON body decodes to
    np.testing.assert_array_equal(gbm.predict(as_text), gbm.predict(raw))


def test_a_saved_folder_is_written_whole_or_not_at_all(saved, chicago_result):
    with pytest.raises(DataError, match="exists and is not a saved candidate"):
        save(chicago_result.fitted("gbm"), saved / "estimator.skops")
    assert sorted(p.name for p in saved.iterdir()) == ["candidate.json", "estimator.skops"]


def test_rows_under_a_repeated_index_get_one_prediction_each(chicago_result):
    gbm = chicago_result.fitted("gbm")
    raw = pd.read_parquet(ROOT / "examples" / "chicago" / "data" / "chicago.parquet")
    stacked = pd.concat([raw.head(4), raw.tail(3)])  # index 0..3 then n-3..n-1, and again
    twice = pd.concat([stacked, stacked])
    assert not twice.index.is_unique
    np.testing.assert_array_equal(gbm.predict(twice), np.tile(gbm.predict(stacked), 2))


@pytest.mark.parametrize(
    "models",
    [None, [{"name": "gb", "estimator": "sklearn.ensemble.GradientBoostingClassifier"}]],
)
def test_a_few_rows_of_three_classes_fit_whatever_the_model(models):
    """The learning curve's tenth of 171 glass fragments: 17 rows of 3 classes. Histogram
    gradient boosting's early stopping cannot hold out a stratified tenth of them (scikit-learn
    raised); a model without that tenth is left as it is (GradientBoostingClassifier refuses
    the setting that stands in for it)."""
    frame = noise_frame(300).assign(y=np.array(["a", "b", "c"])[np.arange(300) % 3])
    problem, ds, _ = bound(frame, models=models)
    model = assemble(problem, ds, METRICS["log_loss"], False)[-1]
    fitted = fit(model, model.configs[0], ds, np.arange(17), list(ds.features), METRICS["log_loss"])
    assert fitted.predict(frame.head(5)).shape == (5, 3)


def test_a_column_without_a_value_in_the_rows_fitted_on_is_left_out_of_that_fit():
    """A panel's lag has no value in its first year: inner cross-validation's fold of that
    year alone stopped the run in gradient boosting's binning (COUNT::rwm5yr, as init wrote
    its spec; measurements begun later, in dplyr::storms)."""
    from tests.conftest import spec
    from tests.fixtures.make_fixtures import HERE, SPECS

    history = {"column": "lwage", "periods": [1], "by": "nr"}
    lagged = {"data": {"time": "year"}, "derive": {"history": history}}
    problem = spec(**SPECS["wagepan"], **lagged)
    ds = load_data(problem, pd.read_parquet(HERE / "wagepan.parquet"))
    first, later = (np.flatnonzero(ds.frame["year"].dt.year == y) for y in (1980, 1981))
    assert "lwage_lag_1" in ds.features and ds.frame["lwage_lag_1"].iloc[first].isna().all()
    metric = METRICS["mae"]
    for c in assemble(problem, ds, metric, True):
        fitted = fit(c, c.configs[0], ds, first, list(ds.features), metric)
        assert "lwage_lag_1" not in fitted.columns
        assert np.isfinite(fitted.predict_inputs(ds.frame.iloc[later])).all()
