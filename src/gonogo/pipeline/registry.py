"""The registry as a team uses it: which versions exist, what production serves, moving the
alias by hand (promote, rollback), the runs, and the lineage of a version: which data, spec,
code and packages made it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gonogo.errors import InputError
from gonogo.pipeline.store import Store
from gonogo.pipeline.tracking import ALIAS, Tracker, Version


def parse(ref: str, default: str = ALIAS) -> tuple[str, str]:
    """`NAME@ALIAS` or `NAME@VERSION` (or `NAME`, meaning the default alias)."""
    name, sign, at = ref.partition("@")
    if not name or (ref.count("@") > 1) or (sign and not at):
        raise InputError(ref, "expected NAME, NAME@ALIAS or NAME@VERSION")
    return name, at or default


def tracker(name: str, root: Path) -> Tracker:
    return Tracker(Store(root, name), create=False)


@dataclass(frozen=True)
class Row:
    """A version as `models list` shows it."""

    version: int
    role: str
    candidate: str
    production: bool
    run_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def versions(name: str, root: Path) -> list[Row]:
    return [_row(v) for v in tracker(name, root).versions()]


def _row(v: Version) -> Row:
    return Row(v.number, v.role, v.tags.get("gonogo.candidate", "?"), ALIAS in v.aliases, v.run_id)


def show(ref: str, root: Path) -> dict[str, Any]:
    """A version: its role, candidate, tags, and the gate decision of the run that made it."""
    name, at = parse(ref)
    t = tracker(name, root)
    v = t.version(at)
    outcome = t.run_json(v.run_id, "outcome.json")
    return _row(v).to_dict() | {"tags": v.tags, "outcome": outcome}


def promote(ref: str, root: Path) -> tuple[int | None, int]:
    """Point production at the version named; (the version before, the version now)."""
    name, at = parse(ref, default="")
    if not at.isdigit():
        raise InputError(ref, "promote needs a version number: NAME@VERSION")
    t = tracker(name, root)
    before = t.production()
    target = t.version(int(at))
    t.move(target.number)
    return (before.number if before else None), target.number


def rollback(name: str, root: Path) -> tuple[int, int]:
    """Point production back at the version that held it before the current one."""
    t = tracker(name, root)
    current = t.production()
    history = t.history()
    while current is not None and history and history[-1] == current.number:
        history.pop()
    if current is None:
        raise InputError(name, "nothing to roll back to: no version is in production")
    if not history:  # rollbacks undo promotions, back to the first; no further
        raise InputError(
            name,
            f"nothing to roll back to: no version held production before version "
            f"{current.number}; promote another by its number ({name}@N)",
        )
    t.move(history[-1], history)
    return current.number, history[-1]


def runs(name: str, root: Path) -> list[dict[str, Any]]:
    """The problem's pipeline runs, newest first."""
    t = tracker(name, root)
    with t.errors():
        found = t.client.search_runs([t.experiment], order_by=["attributes.start_time DESC"])
    return [_run(r) for r in found]


def _run(r: Any) -> dict[str, Any]:
    start = dt.datetime.fromtimestamp(r.info.start_time / 1000, dt.UTC)
    return {
        "run_id": r.info.run_id,
        "start": start.isoformat(timespec="seconds"),
        "status": r.info.status,
        "kind": r.data.tags.get("gonogo.kind", "pipeline"),
        "outcome": r.data.tags.get("gonogo.outcome"),
        "verdict": r.data.tags.get("gonogo.verdict"),
        "metrics": r.data.metrics,
    }


def run(name: str, run_id: str, root: Path) -> dict[str, Any]:
    """One run: its status and metrics, and what it decided."""
    t = tracker(name, root)
    with t.errors():
        found = t.client.get_run(run_id)
    if found.info.experiment_id != t.experiment:
        raise InputError(run_id, f"is not a run of {name}")
    return _run(found) | {
        "params": found.data.params,
        "outcome": t.run_json(run_id, "outcome.json"),
    }


def lineage(ref: str, root: Path) -> dict[str, Any]:
    """What made a version: its run, the spec (digest and body), the data files and their
    digests, gonogo's and the packages' versions."""
    name, at = parse(ref)
    t = tracker(name, root)
    v = t.version(at)
    made = t.run_json(v.run_id, "lineage.json")
    return {"model": name, "version": v.number, "role": v.role, "run_id": v.run_id} | made
