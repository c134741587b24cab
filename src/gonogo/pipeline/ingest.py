"""The ingest step: the run's data files and their digests, and the spec's digest. Light on
purpose: a rerun that changes nothing stops after it, without loading the rest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gonogo.data.sources import files
from gonogo.errors import DataError
from gonogo.pipeline.store import digest, file_digest
from gonogo.problem import Problem


@dataclass(frozen=True)
class Ingested:
    """The files of a run's data, each with the digest of its bytes."""

    files: tuple[tuple[str, str], ...]

    @property
    def digests(self) -> list[str]:
        return sorted(d for _, d in self.files)

    def new(self, known: set[str]) -> Ingested:
        """The files not among the `known` digests."""
        return Ingested(tuple((p, d) for p, d in self.files if d not in known))

    def paths(self) -> list[Path]:
        return [Path(p) for p, _ in self.files]


def spec_digest(problem: Problem) -> str:
    """The spec's content, whatever its comments and key order."""
    return digest(problem.model_dump(mode="json", by_alias=True))


def ingest(problem: Problem, data: str | None = None) -> Ingested:
    """The files of `data` (a path or glob), or of the spec's data.path."""
    if data is None:
        if problem.data.path is None:
            reads = "the pipeline snapshots files, not queries: " if problem.data.sql else ""
            raise DataError(
                f"{problem.source}: data.path", f"{reads}required when --data is not given"
            )
        found = files(problem.base_dir / problem.data.path, f"{problem.source}: data.path")
    else:
        found = files(data, "--data")
    return Ingested(tuple((str(p), file_digest(p)) for p in found))
