"""`gonogo pipeline run`: the steps chained, from new data to a registered version.

ingest → statistics → schema → validate (the data gate: anomalies and drift of the files that
production has not seen, plus the PoC's formulation checks) → train → evaluate (the model
gate) → register. The first run of a problem registers the best heuristic as production —
launch without ML — and a model takes the alias only through the gate.

A run whose spec and data digests match a finished one does nothing and says so, unless the data
gate stopped that run and the schema file has been edited since (what the team edits to let the
data through). Exit codes
for CI: 0 registered or nothing to do, 3 the data gate failed, 4 the model was not blessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gonogo.pipeline.choice import Choice
from gonogo.pipeline.ingest import ingest, spec_digest
from gonogo.pipeline.outcome import Outcome
from gonogo.pipeline.store import Store, digest, fingerprint
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
    schema = _schema(store)
    if done is not None and not _edited(done, schema):
        kept = {k: v for k, v in done.items() if k not in ("code", "schema")}
        return Outcome(**kept | {"cached": True})
    from gonogo.pipeline.flow import execute

    if choice.given is not None:
        from gonogo.pipeline.steps import read
        from gonogo.pipeline.train import check

        check(problem, read(problem, ingested)[0], choice.given)

    outcome = execute(problem, store, ingested, choice)
    record = outcome.to_dict() | {"schema": schema or _schema(store)}  # a first run writes it
    store.keep("run", key, record, {}, replace=done is not None)
    return outcome


def _schema(store: Store) -> str | None:
    """The digest of the schema the file holds (comments and layout aside), or None when no
    run has written it yet."""
    from gonogo.data import schemafile

    path = store.schema_file
    return digest(schemafile.read(path).to_dict()) if path.is_file() else None


def _edited(done: dict[str, Any], schema: str | None) -> bool:
    """Whether a finished run whose data gate failed read another schema than the file's.
    A run that got through is not redone for an edit: its files are production's now, or
    its model was judged, and neither depends on the schema."""
    return done["status"] == "data gate failed" and done.get("schema", schema) != schema
