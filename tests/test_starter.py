from pathlib import Path

from gonogo.data.dataset import bind
from gonogo.problem import parse_problem
from gonogo.starter import starter
from tests.conftest import EXAMPLES


def test_a_starter_spec_binds_to_its_data(tmp_path: Path, churn_frame):
    data = EXAMPLES / "churn" / "data" / "churn.parquet"
    raw = starter(data, "churn", tmp_path / "problem.yaml")
    assert raw["label"] == {"column": "churn", "task": "binary"}
    assert raw["data"]["time"] is None and raw["exclude"] == ["rownames"]
    assert raw["metric"] == "roc_auc"
    problem = parse_problem(raw, base_dir=tmp_path)
    ds = bind(problem, churn_frame)
    assert "rownames" not in ds.features and len(ds.features) == 19
