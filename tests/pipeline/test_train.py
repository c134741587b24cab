"""The train step fits the PoC's choice on every labeled row, deterministically, and reads
that choice from a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gonogo.candidates.candidate import Pinned
from gonogo.candidates.store import load, save
from gonogo.data.dataset import load as load_data
from gonogo.errors import InputError
from gonogo.pipeline.train import Choice, candidates, check, read_chosen, train


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


def test_a_verdict_gives_the_configurations_its_run_chose(
    chicago_problem, chicago_result, tmp_path
):
    path = tmp_path / "verdict.json"
    path.write_text(chicago_result.to_json())
    pinned = read_chosen(path, chicago_problem.name)
    assert pinned.source == str(path)
    assert dict(pinned.configs) == {c.name: c.config for c in chicago_result.candidates}
    ds = load_data(chicago_problem)
    check(chicago_problem, ds, pinned)  # every one is in its candidate's grid
    gbm = next(c for c in candidates(chicago_problem, ds) if c.name == "gbm")
    assert len(pinned.apply([gbm])[0].configs) == 1 < len(gbm.configs)


def _verdict(tmp_path, document) -> Path:
    path = tmp_path / "verdict.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "is not JSON"),
        ([1, 2], "is not a verdict.json"),
        ({"problem": "other", "candidates": []}, "is a verdict of 'other', not of 'chicago"),
        ({"problem": "chicago-ridership"}, "has no candidates list"),
        (
            {"problem": "chicago-ridership", "candidates": [{"name": "gbm"}]},
            "gives no configuration for gbm",
        ),
    ],
)
def test_a_verdict_that_gives_no_configurations_is_named(
    chicago_problem, tmp_path, document, message
):
    path = _verdict(tmp_path, document)
    with pytest.raises(InputError, match=f"^{path}: {message}"):
        read_chosen(path, chicago_problem.name)


def test_a_missing_verdict_and_both_ways_at_once_are_refused(chicago_problem, tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        read_chosen(tmp_path / "none.json", chicago_problem.name)
    with pytest.raises(InputError, match="--reselect: chooses afresh; it cannot go with --config"):
        Choice(Pinned("v.json", {}), reselect=True)
    assert Choice().key() != Choice(reselect=True).key() != Choice(Pinned("v", {})).key()
