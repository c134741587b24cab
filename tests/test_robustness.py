"""Whatever table and spec a user brings, a run ends in a verdict or a one-line input error."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gonogo
from gonogo import InputError
from tests.conftest import spec

FAST_MODEL = {
    "name": "tree",
    "estimator": "sklearn.tree.DecisionTreeRegressor",
    "params": {"max_depth": 3},
}
FAST_CLASSIFIER = {
    "name": "tree",
    "estimator": "sklearn.tree.DecisionTreeClassifier",
    "params": {"max_depth": 3},
}


def _column(kind: str, n: int, rng: np.random.Generator) -> pd.Series:
    values = {
        "float": lambda: pd.Series(rng.normal(size=n)),
        "int": lambda: pd.Series(rng.integers(0, 5, n)),
        "text": lambda: pd.Series(rng.choice(["a", "b", "c"], n)),
        "bool": lambda: pd.Series(rng.random(n) < 0.3),
        "constant": lambda: pd.Series(np.ones(n)),
        "id": lambda: pd.Series(np.arange(n)),
    }[kind]()
    if kind in ("float", "text") and rng.random() < 0.5:
        values = values.where(rng.random(n) > 0.2)
    return values


def _label(task: str, n: int, rng: np.random.Generator, x: pd.Series) -> pd.Series:
    signal = pd.to_numeric(x, errors="coerce").fillna(0).to_numpy(float)
    return {
        "regression": lambda: pd.Series(signal + rng.normal(size=n)),
        "binary": lambda: pd.Series(np.where(signal + rng.normal(size=n) > 0, "yes", "no")),
        "multiclass": lambda: pd.Series(rng.choice(["p", "q", "r"], n)),
        "constant": lambda: pd.Series(["same"] * n),
        "text-regression": lambda: pd.Series(rng.choice(["1.5", "two"], n)),
    }[task]()


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(40, 400),
    kinds=st.lists(
        st.sampled_from(["float", "int", "text", "bool", "constant", "id"]), min_size=1, max_size=5
    ),
    task=st.sampled_from(["regression", "binary", "multiclass", "constant", "text-regression"]),
    with_time=st.booleans(),
)
def test_any_table_gives_a_verdict_or_an_input_error(seed, n, kinds, task, with_time):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"c{i}_{k}": _column(k, n, rng) for i, k in enumerate(kinds)})
    frame["y"] = _label(task, n, rng, frame.iloc[:, 0])
    first = str(frame.columns[0])
    fields: dict = {
        "models": [FAST_MODEL if task in ("regression", "text-regression") else FAST_CLASSIFIER],
        "bootstrap": 100,
        "slices": [first],
        "baselines": [
            {"name": "per-group", "group_by": [first]},
            {"name": "same", "expression": f"{first} if {first} == {first} else 0"},
        ],
        "hypotheses": [{"name": "everything", "group": "all"}],
    }
    if task == "text-regression":
        fields["label"] = {"column": "y", "task": "regression"}
    if with_time:
        frame["day"] = pd.date_range("2020-01-01", periods=n)
        fields["data"] = {"time": "day"}
    try:
        result = gonogo.run(spec(**fields), data=frame)
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith("crafted.yaml")
        return
    assert result.verdict.decision in {"go", "no-go", "inconclusive", "blocked"}
    assert result.verdict.reasons
    result.to_json()
