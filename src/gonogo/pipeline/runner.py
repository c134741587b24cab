"""`gonogo pipeline run`: the steps chained, from new data to a registered version.

ingest → statistics → schema → validate (the data gate: anomalies and drift of the files that
production has not seen, plus the PoC's formulation checks) → train → evaluate (the model
gate) → register. The first run of a problem registers the best heuristic as production —
launch without ML — and a model takes the alias only through the gate.

A run whose spec and data digests match a finished one does nothing and says so. Exit codes
for CI: 0 registered or nothing to do, 3 the data gate failed, 4 the model was not blessed.
"""

from __future__ import annotations

from pathlib import Path

from gonogo.pipeline.choice import Choice
from gonogo.pipeline.ingest import ingest, spec_digest
from gonogo.pipeline.outcome import Outcome
from gonogo.pipeline.store import Store, fingerprint
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
    if done is not None:
        return Outcome(**{k: v for k, v in done.items() if k != "code"} | {"cached": True})
    from gonogo.pipeline.flow import execute

    if choice.given is not None:
        from gonogo.pipeline.steps import read
        from gonogo.pipeline.train import check

        check(problem, read(problem, ingested), choice.given)

    outcome = execute(problem, store, ingested, choice)
    store.keep("run", key, outcome.to_dict(), {})
    return outcome
