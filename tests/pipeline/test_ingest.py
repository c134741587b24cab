"""The ingest step names each file of a run by its absolute path, with its digest."""

from __future__ import annotations

import yaml

from gonogo.pipeline.ingest import ingest
from gonogo.pipeline.store import file_digest
from gonogo.problem import load_problem
from tests.conftest import noise_frame


def test_files_given_relative_to_the_working_folder_are_named_absolutely(tmp_path, monkeypatch):
    (tmp_path / "spans").mkdir()
    for i in (1, 2):
        noise_frame(n=50, seed=i).to_parquet(tmp_path / "spans" / f"part-{i}.parquet")
    spec = tmp_path / "noise.yaml"
    spec.write_text(yaml.safe_dump({"name": "noise", "label": {"column": "y"}}))
    monkeypatch.chdir(tmp_path)
    found = ingest(load_problem(spec), "spans/*.parquet", tmp_path / "snapshots")
    expected = [tmp_path / "spans" / f"part-{i}.parquet" for i in (1, 2)]
    assert found.files == tuple((str(p), file_digest(p)) for p in expected)


def test_a_query_s_snapshot_in_a_store_given_relatively_is_named_absolutely(tmp_path, monkeypatch):
    from pathlib import Path

    from gonogo.problem import parse_problem

    noise_frame(n=50).to_parquet(tmp_path / "noise.parquet")
    raw = {"name": "noise", "label": {"column": "y"}, "data": {"sql": "FROM 'noise.parquet'"}}
    monkeypatch.chdir(tmp_path)
    (kept,) = ingest(parse_problem(raw, tmp_path, "q.yaml"), None, Path("snapshots")).files
    assert Path(kept[0]).is_absolute() and Path(kept[0]).parent == tmp_path / "snapshots"
