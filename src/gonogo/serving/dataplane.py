"""The data plane: what the model server does, whatever the front end. REST (and gRPC) only
translate their wire types and call it, so both check requests and predict the same way.

A request is checked against the served version's input schema before anything predicts: an
unknown or missing input, a type the column cannot hold, inputs of different lengths, or more
rows than the limit is a RequestError naming the input (a 400). The model's own refusal of a
value (an unparsable date, text where a number is read) is one too. An input is unknown when
neither the version nor the data that trained it holds it: a column of that data the version
does not read is ignored, so clients that send another version's inputs keep working when the
alias moves (a rollback from a model to the heuristic it replaced, say).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gonogo.data.schema import Field, Kind
from gonogo.data.sources import first_line
from gonogo.errors import DataError, RequestError
from gonogo.serving.codec import FIXED, InferRequest, InferResponse, Tensor
from gonogo.serving.predlog import PredictionLog
from gonogo.serving.runtime import Runtime

MAX_BATCH = 10_000
_NUMBERS = tuple(t for t in FIXED if t != "BOOL")
# What each kind of column travels as, first the type the metadata announces.
ACCEPTS: dict[Kind, tuple[str, ...]] = {
    "number": ("FP64", *(t for t in _NUMBERS if t != "FP64")),
    "boolean": ("BOOL",),
    "text": ("BYTES",),
    "datetime": ("BYTES",),
    "duration": ("BYTES",),
}


class NotServedError(RequestError):
    """A model or version this server does not serve (a 404)."""


class UnauthorizedError(RequestError):
    """A request without the server's bearer token (a 401)."""


def _input(f: Field) -> dict[str, Any]:
    return {"name": f.name, "datatype": ACCEPTS[f.kind][0], "shape": [-1]}


def _refused(rows: pa.RecordBatch) -> tuple[str, str]:
    """Where a model's refusal of an infinity in `rows` lies, and what it refused: the first
    input holding one (some models read one, scikit-learn's linear ones do not), else the
    inputs as a whole."""
    for name, column in zip(rows.schema.names, rows.columns, strict=True):
        if pa.types.is_floating(column.type) and pc.any(pc.is_inf(column)).as_py():
            return f"input {name!r}", "its infinite number"
    return "inputs", "them"


@dataclass
class DataPlane:
    """One served version, and the checks every request goes through."""

    runtime: Runtime
    max_batch: int = MAX_BATCH
    log: PredictionLog | None = None
    token: str | None = None

    def authorize(self, header: str | None) -> None:
        """Pass when the server has no token or `header` is `Bearer <token>`."""
        if self.token is None:
            return
        scheme, _, given = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), self.token):
            raise UnauthorizedError("authorization", "expected the header 'Bearer <token>'")

    def model(self, name: str, version: str | None = None) -> Runtime:
        """The served runtime when `name` (and `version`, if given) is what is served."""
        rt = self.runtime
        if name != rt.model:
            raise NotServedError(
                f"model {name!r}", f"is not served here; this server serves {rt.model}"
            )
        if version is not None and version != str(rt.version):
            raise NotServedError(
                f"{name} version {version}", f"is not served; version {rt.version} is"
            )
        return rt

    def server_metadata(self) -> dict[str, Any]:
        from importlib.metadata import version

        extensions = ["binary_tensor_data", "mlflow_invocations"]
        return {"name": "gonogo", "version": version("gonogo"), "extensions": extensions}

    def model_metadata(self, name: str, version: str | None = None) -> dict[str, Any]:
        rt = self.model(name, version)
        return {
            "name": rt.model,
            "versions": [str(rt.version)],
            "platform": "gonogo",
            "inputs": [_input(f) for f in rt.candidate.schema.fields],
            "outputs": [{"name": o, "datatype": "FP64", "shape": [-1]} for o in rt.outputs],
            "parameters": {"role": rt.role, "candidate": rt.candidate.name, "engine": rt.engine},
        }

    def infer(self, name: str, version: str | None, request: InferRequest) -> InferResponse:
        rt = self.model(name, version)
        rid = request.id or uuid.uuid4().hex
        predicted = self.predict(rt, self._batch(rt, request.inputs), rid)
        wanted = request.outputs if request.outputs is not None else tuple(rt.outputs)
        unknown = [o for o in wanted if o not in rt.outputs]
        if unknown:
            raise RequestError(f"output {unknown[0]!r}", f"is not an output; outputs {rt.outputs}")
        outputs = tuple(
            Tensor(o, "FP64", (predicted.num_rows,), predicted.column(o)) for o in wanted
        )
        return InferResponse(rt.model, str(rt.version), outputs, rid)

    def predict(self, rt: Runtime, rows: pa.RecordBatch, request_id: str) -> pa.RecordBatch:
        """The runtime's predictions, within the batch limit, the model's refusals as the
        client's mistakes; logged when the plane keeps a prediction log."""
        if rows.num_rows > self.max_batch:
            raise RequestError(
                "inputs", f"{rows.num_rows} rows is over the limit of {self.max_batch} a request"
            )
        try:
            predicted = rt.predict(rows)
        except DataError as err:
            raise RequestError("inputs", err.problem) from None
        except ValueError as err:  # the estimator's own refusal: an infinite number, say
            place, what = _refused(rows) if "infinity" in str(err) else ("inputs", "them")
            raise RequestError(place, f"the model cannot read {what}: {first_line(err)}") from None
        if self.log is not None:
            self.log.record(rt, request_id, rows, predicted)
        return predicted

    def _batch(self, rt: Runtime, tensors: Iterable[Tensor]) -> pa.RecordBatch:
        """The input tensors as one batch, each checked against its column."""
        fields = {f.name: f for f in rt.candidate.schema.fields}
        by: dict[str, Tensor] = {}
        ignored: set[str] = set()
        for t in tensors:
            if t.name in by or t.name in ignored:
                raise RequestError(f"input {t.name!r}", "is given twice")
            if t.name not in fields and rt.ignored(t.name):  # a rollback breaks no client
                ignored.add(t.name)
                continue
            if t.name not in fields:
                raise RequestError(
                    f"input {t.name!r}", f"is not an input of {rt.model}; inputs {list(fields)}"
                )
            _check(fields[t.name], t)
            by[t.name] = t
        missing = [n for n in fields if n not in by]
        if missing:
            raise RequestError(f"input {missing[0]!r}", f"is missing; inputs {list(fields)}")
        lengths = {n: t.shape[0] for n, t in by.items()}
        if len(set(lengths.values())) > 1:
            raise RequestError("inputs", f"every input needs the same number of rows; {lengths}")
        # Numbers as the model was fitted on them (float64), whatever width they travelled in.
        columns = [
            by[n].values.cast(pa.float64())
            if fields[n].kind == "number" and by[n].datatype != "FP64"
            else by[n].values
            for n in fields
        ]
        return pa.RecordBatch.from_arrays(columns, names=list(fields))


def _check(f: Field, t: Tensor) -> None:
    place = f"input {t.name!r}"
    accepted = ACCEPTS[f.kind]
    if t.datatype not in accepted:
        raise RequestError(place, f"expected {accepted[0]} ({f.kind}); found {t.datatype}")
    if len(t.shape) > 2 or (len(t.shape) == 2 and t.shape[1] != 1):
        raise RequestError(place, f"expected shape [rows] or [rows, 1]; found {list(t.shape)}")
