"""The pipeline's steps read the ingested files as the PoC's data."""

from __future__ import annotations

from pathlib import Path

from gonogo.pipeline.ingest import Ingested, ingest
from gonogo.pipeline.steps import read


def test_each_row_is_traced_to_its_file_through_binding(chicago_problem, chicago_spans, tmp_path):
    """Binding puts the rows in time order and drops the unlabeled ones; each keeps its file,
    by which the model gate tells the rows production saw. The files are listed newest first
    so that their order is not the rows' order."""
    paths = sorted(chicago_spans.glob("chicago-200[1-4].parquet"), reverse=True)
    ingested = ingest(chicago_problem, str(chicago_spans / "chicago-200[1-4].parquet"), tmp_path)
    ingested = Ingested(tuple(sorted(ingested.files, reverse=True)))
    assert [Path(p) for p, _ in ingested.files] == paths
    ds, files = read(chicago_problem, ingested)
    year = {d: Path(p).stem[-4:] for p, d in ingested.files}
    assert [year[f] for f in files] == ds.raw["date"].astype(str).str[:4].tolist()
