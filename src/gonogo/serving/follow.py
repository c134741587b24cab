"""Following an alias: a server started on NAME@ALIAS serves whatever the alias points at.

A thread asks the registry every few seconds which version the alias names. When it moves
(a pipeline blessed a model, a promote, a rollback), the new version is loaded beside the
old one and then swapped in with one assignment: a request holds the runtime it started with,
so none is dropped or answered by half of each. An unreachable registry is logged and the
current version kept.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from gonogo.errors import GonogoError
from gonogo.serving.dataplane import DataPlane
from gonogo.serving.runtime import resolve

log = logging.getLogger("gonogo.serve")


class Follower:
    """Keeps `plane` on the version `alias` names, checking every `interval` seconds."""

    def __init__(self, plane: DataPlane, alias: str, root: Path, interval: float) -> None:
        from gonogo.pipeline.registry import tracker

        self.plane = plane
        self.alias = alias
        self.registry = tracker(plane.runtime.model, root)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gonogo-follow", daemon=True)

    def check(self) -> bool:
        """Swap in the version the alias names if it moved; whether it did."""
        number = self.registry.version(self.alias).number
        if number == self.plane.runtime.version:
            return False
        before = self.plane.runtime.ref
        moved = resolve(self.registry, str(number))
        moved.engine  # noqa: B018  # its session made here, not on the first request
        self.plane.runtime = moved
        log.warning("%s moved: %s → %s (%s)", self.alias, before, moved.ref, moved.served_by)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except GonogoError as err:
                log.warning("keeping %s: %s", self.plane.runtime.ref, err)

    def __enter__(self) -> Follower:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def following(
    plane: DataPlane, ref: str, root: Path, interval: float
) -> AbstractContextManager[object]:
    """A Follower when `ref` names an alias (or only the model: production); nothing to
    follow when it names a version."""
    from gonogo.pipeline.registry import parse

    at = parse(ref)[1]
    return nullcontext() if at.isdigit() or interval <= 0 else Follower(plane, at, root, interval)
