"""The pipeline's steps after ingest (`gonogo.pipeline.ingest`), each a function of declared
inputs to declared outputs, so that an orchestrator can run any one on its own: statistics →
schema → validate → train → evaluate. Registering is the tracker's
(`gonogo.pipeline.tracking`); the runner chains them.

The steps that cost time (statistics, train) are cached in the store by fingerprint.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.pinned import Pinned, plain
from gonogo.candidates.store import as_files, load
from gonogo.checks.finding import Finding
from gonogo.data import dialect, schemafile
from gonogo.data.dataset import Dataset, bind, watched
from gonogo.data.label import LabelCodec, learn, present
from gonogo.data.schema import InputSchema
from gonogo.data.sources import read_table
from gonogo.data.statistics import Statistics, compute, scan
from gonogo.errors import DataError, SpecError
from gonogo.pipeline.blessing import Blessing, bless
from gonogo.pipeline.gates import data_gate, missing_in_files
from gonogo.pipeline.ingest import Ingested, spec_digest
from gonogo.pipeline.store import Store, fingerprint
from gonogo.pipeline.train import train as fit_final
from gonogo.poc import run as run_poc
from gonogo.problem import Problem, date_columns
from gonogo.result import Result

ROLES = ("model", "heuristic")
LAYOUT = 2  # what a train step keeps; 2 adds the file of each holdout row


def read(problem: Problem, ingested: Ingested) -> tuple[Dataset, NDArray[np.str_]]:
    """The ingested files as one table, bound to the spec, and the digest of each row's file."""
    frames = [read_table(p, f"data: {p}", dialect.training(problem)) for p in ingested.paths()]
    ds = bind(problem, pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
    digests = np.repeat(np.array([d for _, d in ingested.files]), [len(f) for f in frames])
    return ds, digests[ds.origin]


def label_codec(problem: Problem, ingested: Ingested) -> LabelCodec | None:
    """The label as training on the ingested files would learn it, from its column alone;
    None when a file lacks the column or the label cannot be learned (the data gate and the
    train step name what is wrong)."""
    column, parts = problem.label.column, []
    for p in ingested.paths():
        frame = read_table(p, f"data: {p}", dialect.training(problem))
        if column not in frame.columns:
            return None
        parts.append(frame[column])
    values = pd.concat(parts, ignore_index=True)
    try:
        return learn(problem, values[present(values)])[1]
    except (DataError, SpecError):
        return None


def statistics(store: Store, ingested: Ingested, given: dialect.Given) -> Statistics:
    """Every column's statistics over the files (text files in the dialect `given` or
    sniffed), streamed; cached by the files' digests and that dialect."""
    fp = fingerprint("statistics", data=ingested.digests, dialect=[given.delimiter, given.decimal])
    kept = store.cached("statistics", fp)
    if kept is not None:
        return Statistics.from_dict(kept)
    stats = compute(scan(ingested.paths(), "data", given=given))
    store.keep("statistics", fp, stats.to_dict(), {})
    return stats


def schema(store: Store, stats: Statistics) -> InputSchema:
    """The store's schema file, or one inferred from `stats` (the data of a first run, or of
    production's) and written there (then it is the team's to edit)."""
    path = store.schema_file
    if path.is_file():
        return schemafile.read(path)
    inferred = stats.schema()
    schemafile.write(inferred, path)
    return inferred


def validate(
    problem: Problem,
    schema: InputSchema,
    reference: Statistics | None,
    current: Statistics,
    share: float = 1.0,
    files: dict[str, list[str]] | None = None,
) -> list[Finding]:
    """The data gate's findings for new data (none on a first run: nothing to compare with),
    on the columns the problem reads; `share`: the new data's expected size against
    training's; `files`: each new file's columns."""
    if reference is None:
        return []
    columns = list(dict.fromkeys([*schema.names, *current.columns]))
    read = gate_columns(problem, columns, schema.dated())
    kept = {n: c for n, c in current.columns.items() if n in read}
    known = schema.only([n for n in schema.names if n in read])
    kept_stats = Statistics(current.rows, kept)
    found = data_gate(
        known,
        reference,
        kept_stats,
        problem.gate,
        share,
        date_columns(problem),
        problem.label.column,
    )
    return missing_in_files(known, files or {}) + found


def gate_columns(problem: Problem, columns: list[str], typed: Iterable[str] = ()) -> list[str]:
    """The `columns` the problem reads, the data gate's; a SpecError names a column the spec
    gives gate limits of its own that is not one of them, or a limit a date column (read as
    one by the problem, or `typed` as one in the data) never uses."""
    read, dates = watched(problem, columns), date_columns(problem) | set(typed)
    for column, own in problem.gate.columns.items():
        place = f"{problem.source}: gate.columns.{column}"
        if column not in read:
            raise SpecError(
                place, "is not a column the problem reads; expected one of " + ", ".join(read[:12])
            )
        given = {k for k in own.model_fields_set if getattr(own, k) is not None}
        unused = sorted(given - {"missing_rise"}) if column in dates else []
        if unused:
            raise SpecError(
                f"{place}.{unused[0]}",
                "is a limit the gate never applies to dates (a new span's are later by design: "
                "only their missing values are compared); expected missing_rise",
            )
    return read


@dataclass(frozen=True)
class Trained:
    """The train step's output: the PoC's verdict, the final fits on all labeled rows, the
    holdout fits and rows the model gate judges them on. `folder` holds them all."""

    folder: Path
    output: dict[str, Any]

    @property
    def blocked(self) -> bool:
        return bool(self.output["decision"] == "blocked")

    def candidate(self, role: str, final: bool = True) -> FittedCandidate:
        return load(self.folder / ("final" if final else "holdout") / role)

    def has(self, role: str) -> bool:
        return role in self.output["names"]

    def holdout(self) -> pd.DataFrame:
        return pd.read_parquet(self.folder / "holdout.parquet")

    def fresh(self, seen: set[str]) -> NDArray[np.bool_]:
        """Which holdout rows come from files other than the `seen` ones (by digest)."""
        files = pd.read_parquet(self.folder / "holdout-files.parquet")["file"]
        return ~files.isin(seen).to_numpy()


def _fits(
    problem: Problem, ds: Dataset, files: NDArray[np.str_], result: Result
) -> dict[str, str | bytes]:
    kept: dict[str, str | bytes] = {}
    chosen = {c.name: c.config for c in result.candidates}
    names = {"heuristic": result.best_baseline, "model": result.best_model}
    for role, name in names.items():
        if name is None:
            continue
        final = fit_final(problem, name, chosen[name], ds=ds)
        kept |= as_files(final, f"final/{role}") | as_files(result.fitted(name), f"holdout/{role}")
    test = result.fits[-1].test
    rows, origins = io.BytesIO(), io.BytesIO()
    ds.raw.iloc[test].to_parquet(rows)
    pd.DataFrame({"file": files[test]}).to_parquet(origins)
    return kept | {"holdout.parquet": rows.getvalue(), "holdout-files.parquet": origins.getvalue()}


def train(
    problem: Problem, store: Store, ingested: Ingested, pinned: Pinned | None = None
) -> Trained:
    """The PoC on all the data (checks, selection unless `pinned`, verdict), then the chosen
    heuristic and model fitted on every labeled row; cached by spec, data and pins."""
    pins = {k: plain(v) for k, v in pinned.configs.items()} if pinned else None
    fp = fingerprint(
        "train", spec=spec_digest(problem), data=ingested.digests, pinned=pins, layout=LAYOUT
    )
    if store.cached("train", fp) is None:
        ds, files = read(problem, ingested)
        result = run_poc(problem, ds, pinned=pinned)
        names = {"heuristic": result.best_baseline, "model": result.best_model}
        output = {
            "fingerprint": fp,
            "decision": result.verdict.decision,
            "reasons": list(result.verdict.reasons),
            "names": {r: n for r, n in names.items() if n is not None},
            "blocking": [f.message for f in result.findings if f.severity == "block"],
            "metrics": {c.name: c.holdout.value for c in result.candidates},
        }
        kept = {} if output["decision"] == "blocked" else _fits(problem, ds, files, result)
        kept |= {"verdict.json": result.to_json(), "report.html": result.to_html()}
        store.keep("train", fp, output, kept)
    return Trained(store.step("train", fp), store.output("train", fp) or {})


def evaluate(
    problem: Problem, trained: Trained, production: FittedCandidate, seen: set[str]
) -> Blessing:
    """The model gate: the model fitted without the holdout against the heuristic and the
    model in production (trained on the files `seen`), on the holdout rows."""
    model, heuristic = (trained.candidate(r, final=False) for r in ROLES)
    return bless(problem, model, heuristic, trained.holdout(), production, trained.fresh(seen))
