"""A pipeline run reads the configurations a PoC chose from its verdict, and names a verdict
that gives none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gonogo.candidates.pinned import Pinned
from gonogo.data.dataset import load as load_data
from gonogo.errors import InputError
from gonogo.pipeline.choice import Choice, chosen, described, read_chosen, recorded
from gonogo.pipeline.train import candidates, check


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
    keys = [Choice().key(), Choice(reselect=True).key(), Choice(Pinned("v", {"gbm": {}})).key()]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == 3


def test_a_production_verdict_of_an_older_gonogo_chooses_afresh_and_a_poc_one_is_refused():
    older = {"problem": "p", "candidates": [{"name": "gbm", "cv": 0.9}]}
    assert recorded(older, "version 1's run", "p") is None
    assert described(None) == "chosen by cross-validation"
    with pytest.raises(InputError, match="gives no configuration for gbm"):
        chosen(older, "v.json", "p")
    now = {"problem": "p", "candidates": [{"name": "gbm", "config": {"max_leaf_nodes": 15}}]}
    pinned = recorded(now, "version 1's run", "p")
    assert pinned is not None and described(pinned) == "as version 1's run chose"
    with pytest.raises(InputError, match="lists no candidates: its run was blocked"):
        chosen({"problem": "p", "candidates": []}, "v.json", "p")
    with pytest.raises(InputError, match="has no candidates list"):
        chosen({"problem": "p", "candidates": [{"config": {}}]}, "v.json", "p")
