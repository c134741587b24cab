"""`gonogo predict`: the production version's predictions for files of any size, streamed in
Arrow batches, equal to the fitted candidate's own, locally and on a Dask cluster; bad input is
one line, exit 2, and no output folder."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gonogo.errors import DataError, InputError
from gonogo.pipeline.train import train
from gonogo.serving.batch import Piece, Predictor, plan, predict, processes
from gonogo.serving.runtime import Runtime, load
from tests.conftest import penguins
from tests.stores import gonogo

CHICAGO = pytest.mark.xdist_group("chicago-pipeline")
HAWKS = pytest.mark.xdist_group("hawks-pipeline")


def _read(out):
    """The parts in name order (input order), and each part's metadata."""
    parts = sorted(out.glob("part-*.parquet"))
    metas = [pq.read_schema(p).metadata for p in parts]
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True), metas


@pytest.fixture(scope="module")
def later_years(chicago_spans, tmp_path_factory):
    """The years production never saw: 2005-2008 a file each, 2009-2016 in one file of small
    row groups, which two workers share."""
    folder = tmp_path_factory.mktemp("later")
    years = sorted(chicago_spans.glob("chicago-20*.parquet"))[4:]
    for path in years[:4]:
        shutil.copy(path, folder / path.name)
    rows = pd.concat([pd.read_parquet(p) for p in years[4:]], ignore_index=True)
    pq.write_table(pa.Table.from_pandas(rows), folder / "chicago-2009-2016.parquet", 90)
    return folder


@CHICAGO
def test_the_model_in_production_predicts_every_row_as_its_candidate_does(
    chicago_story, later_years, tmp_path
):
    out = tmp_path / "predictions"
    done = gonogo(
        "predict", "chicago-ridership@production", "--input", later_years / "*.parquet",
        "--output", out, "--keep", "date", "--batch-size", "50", "--workers", "2",
        "--store", chicago_story.root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "chicago-ridership@2 (model" in done.stdout
    got, metas = _read(out)
    rows = pd.concat([pd.read_parquet(p) for p in sorted(later_years.glob("*.parquet"))])
    tracker = chicago_story.tracker()
    expected = tracker.candidate(tracker.version(2)).predict(rows)
    assert list(got.columns) == ["date", "prediction"]
    assert len(got) == len(rows) and (got["date"].to_numpy() == rows["date"].to_numpy()).all()
    np.testing.assert_allclose(got["prediction"], expected, rtol=0, atol=1e-12)
    assert len(metas) == 6  # the last file cut in two
    assert {(m[b"gonogo.version"], m[b"gonogo.role"]) for m in metas} == {(b"2", b"model")}
    assert {m[b"gonogo.input"].decode().rsplit("/", 1)[-1] for m in metas} == {
        p.name for p in later_years.glob("*.parquet")
    }


@CHICAGO
def test_the_same_predictions_on_a_dask_cluster(chicago_story, later_years, tmp_path):
    from distributed import LocalCluster

    runtime = load("chicago-ridership", str(chicago_story.root))  # as the README's snippets
    local = predict(runtime, later_years / "*.parquet", tmp_path / "local", workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        on_dask = predict(
            runtime, later_years / "*.parquet", tmp_path / "dask", engine="dask",
            address=cluster.scheduler_address, workers=2,
        )  # fmt: skip
    assert (on_dask.rows, on_dask.engine) == (local.rows, "dask")
    pd.testing.assert_frame_equal(_read(tmp_path / "dask")[0], _read(tmp_path / "local")[0])


@HAWKS
def test_a_heuristic_in_production_is_served_by_the_same_path(hawks_story, tmp_path):
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet")
    rows.drop(columns="Species").to_csv(tmp_path / "hawks.csv", index=False)
    written = predict(load("hawks", hawks_story.root), tmp_path / "hawks.csv", tmp_path / "out")
    assert (written.role, written.rows, written.parts) == ("heuristic", len(rows), 1)
    got, _ = _read(tmp_path / "out")
    tracker = hawks_story.tracker()
    expected = tracker.candidate(tracker.production()).predict(rows)
    assert list(got.columns) == ["CH"]
    np.testing.assert_allclose(got["CH"], expected, rtol=0, atol=1e-12)


@HAWKS
def test_levels_training_never_held_are_counted_and_said(hawks_story, tmp_path):
    """Written in another case, a category is a level the model never saw and is read as
    missing (the spec's default): the predictions change, so the job says how often."""
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet").head(100)
    rows["Age"] = rows["Age"].str.lower().where(rows.index < 40, rows["Age"])
    rows.loc[5, "Age"] = None  # a missing value is no unseen level
    rows.to_parquet(tmp_path / "hawks.parquet")
    done = gonogo(
        "predict", "hawks@production", "--input", tmp_path / "hawks.parquet",
        "--output", tmp_path / "out", "--store", hawks_story.root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = rows["Age"].iloc[0]
    assert (
        f"Age: 39 of 100 rows (39%) hold a level training never held, e.g. {first!r}, read as a "
        "missing value" in done.stdout
    )
    written = predict(load("hawks", hawks_story.root), tmp_path / "hawks.parquet", tmp_path / "o")
    assert written.unseen == {"Age": (39, first)}


@HAWKS
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "nowhere"], "--keep: column 'nowhere' is not in the input"),
        (["--keep", "CH"], "--keep: 'CH' is also a prediction's name"),
        (["--engine", "spark"], "--engine: expected one of local, dask; got 'spark'"),
        (["--address", "tcp://127.0.0.1:9"], "--address: is needed by --engine dask"),
        (["--engine", "dask", "--address", "tcp://127.0.0.1:9"], "--address: no Dask scheduler"),
        (["--batch-size", "0"], "--batch-size: expected a positive number of rows; got 0"),
        (["--workers", "0"], "--workers: expected a positive number of processes; got 0"),
    ],
)
def test_bad_options_are_one_line_and_leave_nothing(hawks_story, tmp_path, args, message):
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet")
    rows.to_parquet(tmp_path / "in.parquet")
    done = gonogo(
        "predict", "hawks", "--input", tmp_path / "in.parquet", "--output", tmp_path / "out",
        "--store", hawks_story.root, *args,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"gonogo: {message}") and done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


@HAWKS
def test_bad_input_names_the_file_and_column_and_leaves_nothing(hawks_story, tmp_path):
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet")
    rows.iloc[:40].to_parquet(tmp_path / "a.parquet")
    rows.iloc[40:].drop(columns="Wing").to_parquet(tmp_path / "b.parquet")
    done = gonogo(
        "predict", "hawks", "--input", tmp_path / "*.parquet", "--output", tmp_path / "out",
        "--store", hawks_story.root, "--workers", "2",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"gonogo: {tmp_path / 'b.parquet'}: column 'Wing' is missing; " + (
        "expected columns ['Age', 'Sex', 'Wing', 'Weight', 'Culmen', 'Hallux', 'Tail']\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]


@HAWKS
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "out").mkdir() or (d / "out" / "x").write_text(""), "out: exists"),
        (lambda d: (d / "in.parquet").write_bytes(b"not parquet"), "--input: cannot read in.pa"),
        (lambda d: None, "--input: no file matches"),
    ],
)
def test_unusable_files_are_refused(hawks_story, tmp_path, make, message):
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet")
    if message.startswith("out"):
        rows.to_parquet(tmp_path / "in.parquet")
    make(tmp_path)
    with pytest.raises(InputError, match=message):
        predict(load("hawks", hawks_story.root), tmp_path / "in.parquet", tmp_path / "out")


@HAWKS
def test_an_unknown_version_is_refused_before_any_file_is_read(hawks_story, tmp_path):
    done = gonogo(
        "predict", "hawks@7", "--input", tmp_path / "none.parquet", "--output", tmp_path / "o",
        "--store", hawks_story.root,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        2,
        "gonogo: hawks@7: no such version or alias in the registry\n",
    )


def test_pieces_cut_a_file_at_row_groups_to_give_every_worker_a_share(tmp_path):
    table = pa.table({"x": np.arange(1000.0)})
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=100)
    pq.write_table(table.slice(0, 50), tmp_path / "b.parquet")
    pieces = plan([tmp_path / "a.parquet", tmp_path / "b.parquet"], "parquet", workers=4)
    assert [p.row_groups for p in pieces] == [(0, 1, 2), (3, 4, 5), (6, 7, 8), (9,), (0,)]
    assert [p.rows for p in pieces] == [300, 300, 300, 100, 50]
    assert plan([tmp_path / "a.parquet"], "parquet", workers=1) == [
        Piece(tmp_path / "a.parquet", "parquet", tuple(range(10)), 1000)
    ]


def test_the_predictor_keeps_columns_and_passes_empty_batches():
    problem, frame = penguins()
    fitted = train(problem, "flippers", data=frame)
    rows = pa.RecordBatch.from_pandas(frame, preserve_index=False)
    predictor = Predictor(Runtime("penguins", 3, "heuristic", fitted), ("island",))
    batches = list(predictor([rows.slice(0, 5), rows.slice(0, 0), rows.slice(5, 3)]))
    assert [b.num_rows for b in batches] == [5, 0, 3]
    assert batches[0].schema.names == ["island", "Adelie", "Chinstrap", "Gentoo"]
    assert batches[0].schema.metadata[b"gonogo.version"] == b"3"
    np.testing.assert_array_equal(
        np.column_stack([batches[2].column(c) for c in fitted.outputs]),
        fitted.predict(frame.iloc[5:8]),
    )
    with pytest.raises(DataError, match="rows: column 'bill_length_mm' is missing"):
        list(predictor([rows.drop_columns(["bill_length_mm"]).slice(0, 0)]))


def test_a_small_input_is_predicted_in_this_process(tmp_path):
    pieces = [Piece(tmp_path / f"{i}.parquet", "parquet", (0,), 365) for i in range(6)]
    assert processes(pieces, workers=2, batch_size=65_536) == 1
    assert processes(pieces, workers=2, batch_size=50) == 2  # 44 batches
    assert processes([Piece(tmp_path / "a.csv", "csv")] * 3, workers=8, batch_size=10) == 3
