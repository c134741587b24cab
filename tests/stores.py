"""Stores for the pipeline's and the serving's tests.

Creating an MLflow database costs seconds (its migrations), so each test process migrates one
and every store starts from a copy. A pipeline run on Chicago costs about 25 s, most of it the
PoC; the stories below run once per session (their tests share one xdist group, so one
process builds them), and a test that changes a store replays a story into a store of its
own, reusing the finished train steps of the story's cache.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gonogo.pipeline.outcome import Outcome
from gonogo.pipeline.runner import run
from gonogo.pipeline.store import Store, slug
from gonogo.pipeline.tracking import Tracker
from gonogo.problem import Problem, load_problem
from tests.conftest import EXAMPLES, ROOT

os.environ.pop("MLFLOW_TRACKING_URI", None)  # the tests' stores are their own, embedded
CHICAGO = EXAMPLES / "chicago" / "problem.yaml"
HAWKS = ROOT / "tests" / "fixtures" / "strong_measurement.parquet"


@pytest.fixture(scope="session")
def mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mlflow-template")
    Tracker(Store(root, "template"))
    return root / "mlflow.db"


@pytest.fixture(scope="session")
def new_store(mlflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A maker of empty stores, each with its own copy of the migrated database."""

    def make() -> Path:
        root = tmp_path_factory.mktemp("store")
        shutil.copy(mlflow_db, root / "mlflow.db")
        return root

    return make


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def gonogo(*args: str | Path, env: dict[str, str] | None = None) -> Done:
    """The command line, run in this process (a fresh one costs seconds of imports; the
    tests that need one, kill -9 and concurrency, start their own)."""
    from typer.testing import CliRunner

    from gonogo.cli import app

    done = CliRunner().invoke(app, [str(a) for a in args], env=env)
    return Done(done.exit_code, done.stdout, done.stderr)


@dataclass(frozen=True)
class Story:
    """A problem's store after a sequence of runs, with what each run returned."""

    problem: Problem
    root: Path
    data: tuple[str | None, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def name(self) -> str:
        return slug(self.problem.name)

    def tracker(self, root: Path | None = None) -> Tracker:
        return Tracker(Store(root or self.root, self.problem.name), create=False)

    def replay(self, new_store: Callable[[], Path], upto: int | None = None) -> Path:
        """A store of its own with the same runs, from the story's cached train steps."""
        root = new_store()
        cache = self.root / self.name / "cache"
        shutil.copytree(cache, root / self.name / "cache", ignore=shutil.ignore_patterns("run"))
        for data in self.data[:upto]:
            run(self.problem, data, root)
        return root


@pytest.fixture(scope="session")
def chicago_spans(tmp_path_factory: pytest.TempPathFactory, chicago_frame: pd.DataFrame) -> Path:
    """The Chicago table as yearly files, as they would arrive."""
    folder = tmp_path_factory.mktemp("chicago-spans")
    years = chicago_frame["date"].astype(str).str[:4]
    for year, rows in chicago_frame.groupby(years):
        rows.to_parquet(folder / f"chicago-{year}.parquet", index=False)
    return folder


@pytest.fixture(scope="session")
def chicago_story(new_store: Callable[[], Path], chicago_spans: Path) -> Story:
    """2001-2003, then 2001-2004, then the same again."""
    problem = load_problem(CHICAGO)
    root = new_store()
    data = tuple(str(chicago_spans / f"chicago-200[1-{last}].parquet") for last in (3, 4, 4))
    return Story(problem, root, data, tuple(run(problem, d, root) for d in data))


@pytest.fixture(scope="session")
def hawks_story(new_store: Callable[[], Path], tmp_path_factory: pytest.TempPathFactory) -> Story:
    """A no-go problem (one measurement sorts the hawks as well as a model): one run."""
    folder = tmp_path_factory.mktemp("hawks")
    pd.read_parquet(HAWKS).to_parquet(folder / "hawks-1.parquet", index=False)
    spec = {"name": "hawks", "label": {"column": "Species", "task": "binary", "positive": "CH"}}
    path = folder / "hawks.yaml"
    path.write_text(yaml.safe_dump(spec | {"data": {"path": "hawks-1.parquet"}}))
    problem = load_problem(path)
    root = new_store()
    return Story(problem, root, (None,), (run(problem, None, root),))
