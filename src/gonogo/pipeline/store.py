"""The pipeline's local store: a folder (`.gonogo` by default) holding, per problem, the
editable schema, the cache of finished steps and the record of finished runs, plus the
embedded MLflow database and artifacts when no tracking server is configured.

A cached step is a folder named by its fingerprint (the step, gonogo's version, and the
digests of its inputs and parameters), written all or nothing, so a crash leaves a step
either finished or absent. A lock file serialises what must not interleave between two runs
on one store: creating the database, and the stretch from reading production to moving its
alias.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from gonogo.errors import InputError
from gonogo.files import write_folder

OUTPUT = "output.json"
LOCK_WAIT = 600.0  # seconds a run waits for another one to leave the registry


def digest(value: Any) -> str:
    """The sha256 of a JSON value, keys sorted: equal values, equal digests."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(step: str, **inputs: Any) -> str:
    """What makes a step's output what it is: its name, gonogo's version and its inputs."""
    return digest({"step": step, "gonogo": version("gonogo"), "inputs": inputs})[:32]


def slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-") or "problem"


@dataclass(frozen=True)
class Store:
    """The store at `root`, for the problem named `problem`; with `cache` off, finished steps
    are redone and replaced."""

    root: Path
    problem: str
    cache: bool = True

    @property
    def folder(self) -> Path:
        return self.root / slug(self.problem)

    @property
    def schema_file(self) -> Path:
        return self.folder / "schema.yaml"

    def step(self, name: str, fp: str) -> Path:
        return self.folder / "cache" / name / fp

    def output(self, name: str, fp: str) -> dict[str, Any] | None:
        """The output of a finished step with this fingerprint, if there is one."""
        try:
            out: dict[str, Any] = json.loads((self.step(name, fp) / OUTPUT).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return out

    def cached(self, name: str, fp: str) -> dict[str, Any] | None:
        """The output of a finished step, unless the cache is off."""
        return self.output(name, fp) if self.cache else None

    def keep(
        self,
        name: str,
        fp: str,
        output: dict[str, Any],
        files: dict[str, str | bytes],
        replace: bool = False,
    ) -> Path:
        """Record a finished step: its output and files, all or nothing. A step another run
        finished first is left as it is (same fingerprint, same output), unless `replace`."""
        text = json.dumps(output, indent=2, sort_keys=True, default=str) + "\n"
        step = self.step(name, fp)
        return write_folder(step, {**files, OUTPUT: text}, replace=replace or not self.cache)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's lock (other runs wait for it)."""
        from filelock import FileLock

        lock = FileLock(self.root / ".lock", timeout=LOCK_WAIT)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except OSError as err:  # a file where the folder goes, a folder not writable
            raise InputError(
                "--store", f"cannot use the store {self.root}: {err.strerror}"
            ) from None
        try:
            yield
        finally:
            lock.release()
