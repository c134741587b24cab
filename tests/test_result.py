"""verdict.json is a contract: every kind of run validates against its published schema."""

import json
from pathlib import Path

import jsonschema
import pytest

import gonogo
from gonogo.result import verdict_schema
from tests.conftest import spec


@pytest.fixture(scope="module")
def validator():
    schema = verdict_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_go_runs_match_the_schema(validator, chicago_result, churn_result):
    for result in (chicago_result, churn_result):
        validator.validate(json.loads(result.to_json()))


def test_a_blocked_run_matches_the_schema(validator, churn_frame):
    result = gonogo.run(spec(label={"column": "churn"}), data=churn_frame.assign(churn="no"))
    document = json.loads(result.to_json())
    validator.validate(document)
    assert document["best_model"] is None and document["improvement"] == {
        "relative": None,
        "ci": None,
    }


def test_the_schema_rejects_a_broken_verdict(validator, chicago_result):
    document = json.loads(chicago_result.to_json())
    document["verdict"] = "maybe"
    assert not validator.is_valid(document)


def test_save_writes_both_files_and_replaces_an_earlier_run(chicago_result, tmp_path: Path):
    out = chicago_result.save(tmp_path / "run")
    first = (out / "verdict.json").read_text()
    chicago_result.save(tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "verdict.json"]
    assert (out / "verdict.json").read_text() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]


def test_the_json_has_no_negative_zero():
    from gonogo.result import _clean

    assert json.dumps(_clean({"importance": [-0.0, -1e-12, 0.25]})) == (
        '{"importance": [0.0, -1e-12, 0.25]}'
    )
