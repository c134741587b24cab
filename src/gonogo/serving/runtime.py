"""The runtime: one registered version, loaded, ready for rows.

REST, gRPC, batch and export are adapters around it: each turns its wire format into an Arrow
batch, and the predictions back. A reference such as `chicago@production` is resolved once,
to a version number, so a job or a response names exactly the version that predicted even
when the alias moves meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.onnxgraph.feeds import feeds
from gonogo.problem import lag_of

if TYPE_CHECKING:
    from gonogo.pipeline.tracking import Tracker


_NO_RUNTIME = "onnxruntime is not installed: the onnx extra"


@dataclass(frozen=True)
class Runtime:
    """A registered version of a problem's model (a model or a heuristic) and its candidate;
    with the candidate's ONNX model (checked for parity when it was registered), rows that
    need no conversion are predicted by ONNX Runtime: a server's fast path."""

    model: str
    version: int
    role: str
    candidate: FittedCandidate
    onnx: bytes | None = field(default=None, repr=False)
    ignores: frozenset[str] = frozenset()
    """Columns of the data that trained the version that it does not read: a request may
    send them (the inputs of the version it rolled back from, say), and they are ignored."""
    no_onnx: str = ""
    """Why the version has no ONNX model, as its registration said (a server going the
    native way said nothing of why)."""

    def ignored(self, name: str) -> bool:
        """Whether an input the version does not read is another version's: a column of the
        data that trained it, or a lag of one (a model's `births_lag_1`, after a rollback to
        a heuristic that reads `births_lag_7`)."""
        lag = lag_of(name)
        known = self.ignores | set(self.candidate.schema.names)
        return name in self.ignores or (lag is not None and lag[0] in known)

    @cached_property
    def fast(self) -> Any:
        """An ONNX Runtime session, or None: no ONNX model, or the onnx extra missing."""
        if self.onnx is None or find_spec("onnxruntime") is None:
            return None
        from gonogo.candidates.onnxgraph.check import session

        return session(self.onnx)

    @property
    def engine(self) -> str:
        return "onnxruntime" if self.fast is not None else "native"

    @property
    def served_by(self) -> str:
        """The engine, and why not ONNX Runtime."""
        if self.fast is not None:
            return self.engine
        why = self.no_onnx.removeprefix("none: ") if self.onnx is None else _NO_RUNTIME
        return f"{self.engine} ({why})" if why else self.engine

    def __getstate__(self) -> dict[str, Any]:
        # A session is not picklable (a batch job ships the runtime to workers): made anew.
        return {k: v for k, v in self.__dict__.items() if k != "fast"}

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"

    @property
    def outputs(self) -> list[str]:
        return self.candidate.outputs

    @property
    def metadata(self) -> dict[str, str]:
        """What a prediction file says about the version that wrote it."""
        return {
            "gonogo.model": self.model,
            "gonogo.version": str(self.version),
            "gonogo.role": self.role,
            "gonogo.candidate": self.candidate.name,
        }

    def predict(self, rows: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
        """The predictions for raw `rows`, one column per output (as `outputs` names them).

        Only the columns the candidate reads are converted for it; the schema checks them
        (a missing column or a wrong type is a DataError naming the column), and so is a
        category training never held where the spec refuses them."""
        self.candidate.schema.refuse_unseen(rows, "rows")
        fed = feeds(self.candidate, rows) if self.fast is not None and rows.num_rows else None
        outputs = self.fast.run(None, fed) if fed is not None else list(self._native(rows).T)
        return pa.RecordBatch.from_arrays(
            [pa.array(values, pa.float64()) for values in outputs], names=self.outputs
        )

    def _native(self, rows: pa.RecordBatch | pa.Table) -> Any:
        have = set(rows.schema.names)
        read = rows.select([c for c in self.candidate.schema.names if c in have])
        if rows.num_rows == 0:  # checked all the same; nothing to predict
            self.candidate.schema.conform(read.to_pandas(), "rows")
            return np.empty((0, len(self.outputs)))
        return self.candidate.predict(read).reshape(rows.num_rows, -1)


def load(ref: str, root: Path | str) -> Runtime:
    """The version `ref` (NAME@ALIAS or NAME@VERSION; NAME alone means production) of the
    registry in the store at `root` (a path, or its text, as a notebook writes it), or the
    team's tracking server when one is configured."""
    from gonogo.pipeline.registry import parse, tracker

    name, at = parse(ref)
    return resolve(tracker(name, Path(root)), at)


def resolve(registry: Tracker, at: str) -> Runtime:
    """The version an alias or number names in `registry`, loaded."""
    version = registry.version(at)
    candidate, onnx = registry.loaded(version)
    ignores = registry.columns(version) - set(candidate.schema.names)
    why = "" if onnx is not None else registry.onnx_said(version)
    return Runtime(registry.name, version.number, version.role, candidate, onnx, ignores, why)
