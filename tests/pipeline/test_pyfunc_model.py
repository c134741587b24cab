"""A registered version is an MLflow pyfunc: a fresh process loads it with
`mlflow.pyfunc.load_model` alone and predicts what gonogo's own load predicts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gonogo.candidates.store import load
from gonogo.pipeline.pyfunc_model import output

pytestmark = pytest.mark.xdist_group("chicago-pipeline")

SCRIPT = """
import sys
import mlflow
import pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(sys.argv[2])
model.predict(pd.read_parquet(sys.argv[3])).to_parquet(sys.argv[4])
"""


@pytest.mark.parametrize("version", [1, 2])
def test_mlflow_loads_a_version_in_a_fresh_process_and_predicts_the_same(
    chicago_story, chicago_spans, tmp_path, version
):
    rows = chicago_spans / "chicago-2005.parquet"  # a year neither version saw
    uri = f"sqlite:///{chicago_story.root}/mlflow.db"
    theirs = tmp_path / "theirs.parquet"
    model = f"models:/{chicago_story.name}/{version}"
    subprocess.run([sys.executable, "-c", SCRIPT, uri, model, rows, theirs], check=True)
    v = chicago_story.tracker().version(version)
    fp = v.tags["gonogo.fingerprint"]
    saved = chicago_story.root / chicago_story.name / "cache" / "train" / fp / "final" / v.role
    ours = output(load(saved), pd.read_parquet(rows))
    got = pd.read_parquet(theirs)
    assert list(got.columns) == ["prediction"] and len(got) == 365
    np.testing.assert_allclose(got["prediction"], ours["prediction"], rtol=0, atol=1e-12)
