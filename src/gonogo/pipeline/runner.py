"""`gonogo pipeline run`: the steps chained, from new data to a registered version.

ingest → statistics → schema → validate (the data gate: anomalies and drift of the files that
production has not seen, plus the PoC's formulation checks) → train → evaluate (the model
gate) → register. The first run of a problem registers the best heuristic as production —
launch without ML — and a model takes the alias only through the gate.

A run whose spec and data digests match a finished one, with the schema file as that run left
it, does nothing and says so (an edited schema is a reason to run again). Exit codes
for CI: 0 registered or nothing to do, 3 the data gate failed, 4 the model was not blessed.
"""

from __future__ import annotations

from pathlib import Path

from gonogo.pipeline.choice import Choice
from gonogo.pipeline.ingest import ingest, spec_digest
from gonogo.pipeline.outcome import Outcome
from gonogo.pipeline.store import Store, file_digest, fingerprint
from gonogo.problem import Problem


def run(
    problem: Problem,
    data: str | None = None,
    root: Path | None = None,
    cache: bool = True,
    choice: Choice | None = None,
) -> Outcome:
    """One pipeline run of `problem` on `data` (a path or glob; the spec's data by default),
    with the store at `root` (`.gonogo`), fitting the configurations `choice` says."""
    choice = choice or Choice()
    store = Store(root or Path(".gonogo"), problem.name, cache)
    ingested = ingest(problem, data, store.folder / "snapshots")
    key = fingerprint("run", spec=spec_digest(problem), data=ingested.digests, configs=choice.key())
    done = store.cached("run", key)
    if done is not None and done.get("schema") == _schema(store):
        kept = {k: v for k, v in done.items() if k not in ("code", "schema")}
        return Outcome(**kept | {"cached": True})
    from gonogo.pipeline.flow import execute

    if choice.given is not None:
        from gonogo.pipeline.steps import read
        from gonogo.pipeline.train import check

        check(problem, read(problem, ingested), choice.given)

    outcome = execute(problem, store, ingested, choice)
    record = outcome.to_dict() | {"schema": _schema(store)}
    store.keep("run", key, record, {}, replace=done is not None)  # run again: a new schema
    return outcome


def _schema(store: Store) -> str | None:
    """The digest of the schema file a run leaves (None before a first run writes it)."""
    path = store.schema_file
    return file_digest(path) if path.is_file() else None
