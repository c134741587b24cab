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
rows = pd.read_parquet(sys.argv[2])
for model, out in zip(sys.argv[3::2], sys.argv[4::2]):
    mlflow.pyfunc.load_model(model).predict(rows).to_parquet(out)
"""


def test_mlflow_loads_each_version_in_a_fresh_process_and_predicts_the_same(
    chicago_story, chicago_spans, tmp_path
):
    rows = chicago_spans / "chicago-2005.parquet"  # a year neither version saw
    uri = f"sqlite:///{chicago_story.root}/mlflow.db"
    versions = [chicago_story.tracker().version(n) for n in (1, 2)]
    asked = [
        (f"models:/{chicago_story.name}/{v.number}", tmp_path / f"{v.number}.parquet")
        for v in versions
    ]
    subprocess.run(
        [sys.executable, "-c", SCRIPT, uri, rows, *[str(a) for pair in asked for a in pair]],
        check=True,
    )
    for v, (_, theirs) in zip(versions, asked, strict=True):
        fp = v.tags["gonogo.fingerprint"]
        saved = chicago_story.root / chicago_story.name / "cache" / "train" / fp / "final" / v.role
        ours = output(load(saved), pd.read_parquet(rows))
        got = pd.read_parquet(theirs)
        assert list(got.columns) == ["prediction"] and len(got) == 365
        np.testing.assert_allclose(got["prediction"], ours["prediction"], rtol=0, atol=1e-12)
