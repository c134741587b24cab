"""The embedded store's database follows the store: a copy elsewhere names its own artifacts,
and a file that is not a database is one line naming it."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from gonogo.errors import InputError
from gonogo.pipeline.tracking import relocate


def _locations(db):
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, artifact_location FROM experiments"))


def test_a_copy_in_a_folder_with_a_space_names_its_own_artifacts(new_store, tmp_path):
    from mlflow import MlflowClient

    root = new_store()
    MlflowClient(f"sqlite:///{root}/mlflow.db").create_experiment(
        "remote", artifact_location="s3://bucket/artifacts"
    )
    copy = tmp_path / "a store %20 copy"
    copy.mkdir()
    shutil.copy(root / "mlflow.db", copy / "mlflow.db")
    relocate(copy / "mlflow.db", copy)
    found = _locations(copy / "mlflow.db")
    assert found["template"] == (copy / "artifacts").as_uri()
    assert found["remote"] == "s3://bucket/artifacts"  # not a store's own: left alone


def test_a_store_reached_by_another_path_is_left_as_it_is(new_store, tmp_path):
    """A symbolic link (or a bind mount) to the same folder is no move: rewriting the database
    on each open through either path would flip it back and forth."""
    root = new_store()
    relocate(root / "mlflow.db", root)
    link = tmp_path / "linked"
    link.symlink_to(root, target_is_directory=True)
    relocate(link / "mlflow.db", link)
    assert _locations(root / "mlflow.db")["template"] == (root / "artifacts").as_uri()


def test_a_file_that_is_no_database_is_named(tmp_path):
    (tmp_path / "mlflow.db").write_text("not a database, " * 100)
    with pytest.raises(InputError, match=r"mlflow.db: cannot be opened as gonogo's MLflow"):
        relocate(tmp_path / "mlflow.db", tmp_path)
    (tmp_path / "empty.db").write_bytes(b"")
    relocate(tmp_path / "empty.db", tmp_path)  # nothing made yet: nothing to move
