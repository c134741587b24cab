import numpy as np
import pandas as pd

from gonogo.checks.split import optimism
from tests.conftest import bound


def _trend(n=700, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame(
        {
            "day": pd.date_range("2020-01-01", periods=n),
            "odometer": t + rng.normal(scale=3, size=n),
            "y": 0.05 * t + rng.normal(scale=1, size=n),
        }
    )


def test_a_random_split_that_flatters_the_model_warns():
    problem, ds, split = bound(_trend(), data={"time": "day"})
    (found,) = optimism(problem, ds, split)
    assert (found.check, found.severity) == ("split.optimism", "warn")
    assert found.evidence["random"] < found.evidence["time"]  # mae: random looks better
    assert found.evidence["relative"] > 0.10


def test_stationary_data_is_not_flagged():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"day": pd.date_range("2020-01-01", periods=700), "x": rng.normal(size=700)}
    )
    frame["y"] = frame["x"] * 2 + rng.normal(size=700)
    problem, ds, split = bound(frame, data={"time": "day"})
    assert optimism(problem, ds, split) == []
