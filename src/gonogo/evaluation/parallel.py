"""Work spread over worker processes: each gets an equal share of the cores for its own
threads, and the data it works on once, however many items it is given."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import cloudpickle

PARALLEL_FROM = 500  # labeled rows from which work runs in worker processes
T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")


def workers(rows: int) -> int:
    """Worker processes for a table of `rows` labeled rows (1: in this process). Each worker
    gets an equal share of the cores for its own threads (joblib limits them), which beats
    one gradient boosting fit threading over all of them: much of its work is serial."""
    if rows < PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("GONOGO_WORKERS", "2"))))


_SHARED: dict[str, Any] = {}


def _shared(path: str) -> Any:
    """The context of the current map, read once per worker process from `path`."""
    if path not in _SHARED:
        _SHARED.clear()
        with open(path, "rb") as f:
            _SHARED[path] = cloudpickle.load(f)
    return _SHARED[path]


def _call(fn: Callable[[C, T], R], path: str, item: T) -> R:
    return fn(_shared(path), item)


def pmap(
    fn: Callable[[C, T], R],
    context: C,
    items: Sequence[T],
    n: int,
    done: Callable[[T, R], None],
) -> list[R]:
    """`fn(context, item)` over `items`, in order, in `n` worker processes when n > 1;
    `done(item, result)` is called here as each result arrives. The context (the dataset,
    the candidates) goes to each worker once, through a file, not with every item (flights'
    dataset pickles to 127 MB, and the candidates' closures carry it too)."""
    if n <= 1 or len(items) <= 1:
        return _collect(items, (fn(context, item) for item in items), done)
    from joblib import Parallel, delayed

    with tempfile.TemporaryDirectory(prefix="gonogo-") as tmp:
        path = os.path.join(tmp, "context.pickle")
        with open(path, "wb") as f:
            cloudpickle.dump(context, f)
        parallel = Parallel(n_jobs=min(n, len(items)), backend="loky", return_as="generator")
        try:
            return _collect(items, parallel(delayed(_call)(fn, path, item) for item in items), done)
        finally:
            _SHARED.clear()  # filled here when joblib runs the items in this process instead


def _collect(items: Sequence[T], results: Iterable[R], done: Callable[[T, R], None]) -> list[R]:
    out = []
    for item, result in zip(items, results, strict=True):
        done(item, result)
        out.append(result)
    return out
