"""Shared fixtures: the real examples, and small crafted tables for edge cases."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest

import gonogo
from gonogo.data.dataset import Dataset, bind
from gonogo.data.split import Split, make_split
from gonogo.problem import Problem, parse_problem

# pytest-xdist's processes already use the cores: a run inside one splitting its work over
# worker processes again costs a quarter more CPU on two cores (measured: 236 s against 176 s
# for six runs). The worker-process path has its own test (tests/test_poc.py).
os.environ.setdefault("GONOGO_WORKERS", "1")

# The registry's stores, for the pipeline's and the serving's tests.
pytest_plugins = ["tests.stores"]
ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
EXAMPLES = ROOT / "examples"


def spec(**fields: Any) -> Problem:
    """A problem from keyword fields, with a name and a label column `y` unless given."""
    raw: dict[str, Any] = {"name": "crafted", "label": {"column": "y"}, **fields}
    return parse_problem(raw, source="crafted.yaml")


def bound(frame: pd.DataFrame, **fields: Any) -> tuple[Problem, Dataset, Split]:
    problem = spec(**fields)
    ds = bind(problem, frame)
    return problem, ds, make_split(problem, ds)


def noise_frame(n: int = 600, seed: int = 0, k: int = 4) -> pd.DataFrame:
    """k independent numeric features and a binary label that depends on x0 only."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    y = (X[:, 0] + rng.normal(scale=1.0, size=n) > 0).astype(int)
    return pd.DataFrame({f"x{i}": X[:, i] for i in range(k)} | {"y": y})


@pytest.fixture(scope="session", autouse=True)
def _one_thread_per_process() -> Iterator[None]:
    """Tests run in parallel processes (pytest-xdist) and many call checks and candidates
    directly, outside gonogo.run's own limit: each process keeps to one BLAS and OpenMP thread,
    so that spin-waiting threads of two processes do not starve each other on two cores."""
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime that threadpoolctl limits)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def chicago_frame() -> pd.DataFrame:
    return pd.read_parquet(EXAMPLES / "chicago" / "data" / "chicago.parquet")


@pytest.fixture(scope="session")
def churn_frame() -> pd.DataFrame:
    return pd.read_parquet(EXAMPLES / "churn" / "data" / "churn.parquet")


@pytest.fixture(scope="session")
def chicago_problem() -> Problem:
    return gonogo.load_problem(EXAMPLES / "chicago" / "problem.yaml")


@pytest.fixture(scope="session")
def churn_problem() -> Problem:
    return gonogo.load_problem(EXAMPLES / "churn" / "problem.yaml")


def _once(factory: pytest.TempPathFactory, name: str, make: Callable[[], T]) -> T:
    """`make()` once for the session, in whichever xdist process asks first; the others read
    it (the examples' runs cost 13 s and 21 s, and read from both processes, each made its
    own). Outside xdist, made here: the folder above the session's is then every session's."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make()
    import pickle

    import cloudpickle
    from filelock import FileLock

    path = factory.getbasetemp().parent / f"{name}.pickle"
    with FileLock(f"{path}.lock"):
        if path.is_file():
            made: T = pickle.loads(path.read_bytes())
            return made
        made = make()
        path.write_bytes(cloudpickle.dumps(made))
        return made


@pytest.fixture(scope="session")
def chicago_result(
    chicago_problem: Problem, tmp_path_factory: pytest.TempPathFactory
) -> gonogo.Result:
    return _once(tmp_path_factory, "chicago_result", lambda: gonogo.run(chicago_problem))


@pytest.fixture(scope="session")
def churn_result(churn_problem: Problem, tmp_path_factory: pytest.TempPathFactory) -> gonogo.Result:
    return _once(tmp_path_factory, "churn_result", lambda: gonogo.run(churn_problem))


# Tests that read the penguins run share an xdist group, so that one process makes it.
PENGUINS_GROUP = pytest.mark.xdist_group("penguins")


def penguins() -> tuple[Problem, pd.DataFrame]:
    """Multiclass: penguin species, with a heuristic of every kind and a hypothesis."""
    frame = pd.read_parquet(ROOT / "tests" / "fixtures" / "penguins.parquet")
    # A field guide's rule, stored as if an existing system had written it down.
    frame["guide"] = np.where(frame["flipper_length_mm"] > 206, "Gentoo", "Adelie")
    problem = spec(
        label={"column": "species"},
        metric="log_loss",
        features={
            "size": ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
            "place": ["island", "sex", "year"],
        },
        baselines=[
            {"name": "per-island", "group_by": ["island"]},
            {
                "name": "flippers",
                "expression": "'Gentoo' if flipper_length_mm > 206 else "
                "('Adelie' if bill_length_mm < 43 else 'Chinstrap')",
            },
            {"name": "guide", "column": "guide"},
        ],
        hypotheses=[{"name": "measurements identify species", "group": "size"}],
    )
    return problem, frame


@pytest.fixture(scope="session")
def penguins_result() -> gonogo.Result:
    problem, frame = penguins()
    return gonogo.run(problem, data=frame)
