"""The train step fits the PoC's choice on every labeled row, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from gonogo.candidates.store import load, save
from gonogo.data.dataset import load as load_data
from gonogo.errors import InputError
from gonogo.pipeline.train import train


def test_the_pocs_choice_is_fitted_on_every_labeled_row(chicago_problem, chicago_result, tmp_path):
    chosen = next(c for c in chicago_result.candidates if c.name == "gbm")
    ds = load_data(chicago_problem)
    model = train(chicago_problem, "gbm", chosen.config, ds=ds)
    assert model.provenance["rows"] == len(ds.y) == 5698
    assert model.provenance["config"] == chosen.config
    # More history than any outer split's fit had, and the same inputs.
    last = chicago_result.fitted("gbm")
    assert model.provenance["rows"] > last.provenance["rows"]
    assert model.schema == last.schema and model.featurizer == last.featurizer
    rows = ds.raw.tail(100)
    again = train(chicago_problem, "gbm", chosen.config, ds=ds)
    np.testing.assert_array_equal(model.predict(rows), again.predict(rows))  # seeded
    # Trained on these rows, it fits them better than the split's model that never saw them.
    y = ds.y[-100:]
    assert np.abs(model.predict(rows) - y).mean() < np.abs(last.predict(rows) - y).mean()
    back = load(save(model, tmp_path / "gbm"))
    np.testing.assert_array_equal(back.predict(rows), model.predict(rows))


def test_a_heuristic_needs_no_configuration(chicago_problem):
    rule = train(chicago_problem, "two-weeks-ago")
    assert rule.kind == "baseline" and rule.schema.names == ["Clark_Lake"]


def test_a_missing_or_foreign_configuration_and_an_unknown_name_are_named(chicago_problem):
    with pytest.raises(InputError, match="config: gbm has 4 configurations; pass the one"):
        train(chicago_problem, "gbm")
    with pytest.raises(InputError, match=r"config: \{'max_depth': 3\} is not one of gbm's"):
        train(chicago_problem, "gbm", {"max_depth": 3})
    with pytest.raises(InputError, match="candidate: no candidate 'forest'; the candidates are"):
        train(chicago_problem, "forest")
