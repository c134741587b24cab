"""The Open Inference Protocol's wire types, in one place: tensors as JSON or in the binary
tensor extension (what Triton's clients send by default), decoded into Arrow arrays and
encoded back. A malformed request is a RequestError naming the input, never a server error.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from gonogo.errors import RequestError

# The protocol's fixed-size types, as little-endian numpy types (row-major in binary data).
FIXED = {
    "BOOL": "?",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
ARROW = {name: pa.from_numpy_dtype(np.dtype(code)) for name, code in FIXED.items()}
DATATYPES = (*FIXED, "BYTES")
HEADER = "Inference-Header-Content-Length"


@dataclass(frozen=True)
class Tensor:
    """One named tensor: its type, shape and values (flattened, row-major)."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    values: pa.Array


@dataclass(frozen=True)
class InferRequest:
    """What an infer call asks: its inputs, which outputs (None: all), which of them as
    binary data, and the id to echo."""

    inputs: tuple[Tensor, ...]
    outputs: tuple[str, ...] | None = None
    binary: frozenset[str] = frozenset()
    binary_all: bool = False
    id: str | None = None


@dataclass(frozen=True)
class InferResponse:
    model: str
    version: str
    outputs: tuple[Tensor, ...]
    id: str | None = None

    @property
    def rows(self) -> int:
        """How many rows were predicted (none when no output was asked for)."""
        return self.outputs[0].shape[0] if self.outputs else 0


def loads(body: bytes, place: str = "body") -> Any:
    """A JSON document, or a RequestError naming where it went wrong."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RequestError(place, f"malformed JSON: {err}") from None


def as_object(value: Any, place: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(place, f"expected a JSON object; found {type(value).__name__}")
    return value


def _shape(raw: Any, place: str) -> tuple[int, ...]:
    ok = isinstance(raw, list) and all(type(d) is int and d >= 0 for d in raw)
    if not ok or not raw:
        raise RequestError(place, f"expected a shape: a list of sizes; found {raw!r}")
    return tuple(raw)


def _flatten(data: Any, shape: tuple[int, ...], place: str, top: bool = True) -> list[Any]:
    """The values of flat or nested data, row-major. Data may be flat as a whole; nested, it
    must follow the shape at every level (a ragged list is a RequestError, not values that
    merely add up)."""
    if not isinstance(data, list):
        return [data]
    nested = [isinstance(item, list) for item in data]
    if not any(nested) and top:
        return data
    if (any(nested) and not all(nested)) or not shape or len(data) != shape[0]:
        raise RequestError(place, f"nested data does not follow the shape {list(shape)}")
    return [v for item in data for v in _flatten(item, shape[1:], place, top=False)]


_JSON_KINDS = {"BOOL": (bool,), "BYTES": (str,)}


def _from_json(name: str, datatype: str, data: Any, shape: tuple[int, ...]) -> pa.Array:
    place, count = f"input {name!r}", math.prod(shape)
    values = _flatten(data, shape, place)
    if len(values) != count:
        raise RequestError(place, f"its shape holds {count} values; data has {len(values)}")
    kinds = _JSON_KINDS.get(datatype, (int, float))
    wrong = [
        v
        for v in values
        if v is not None and (not isinstance(v, kinds) or (bool in kinds) != (type(v) is bool))
    ]
    if wrong:
        raise RequestError(place, f"expected {datatype} values; found {wrong[0]!r}")
    if datatype.startswith(("INT", "UINT")):  # Arrow would cut 70.1 to 70 without a word
        cut = next((v for v in values if type(v) is float and not v.is_integer()), None)
        if cut is not None:
            raise RequestError(place, f"expected {datatype} values, whole; found {cut!r}")
    # null, an extension of the protocol's JSON, is a missing value.
    kind = pa.string() if datatype == "BYTES" else ARROW[datatype]
    try:
        return pa.array(values, type=kind)
    except (OverflowError, pa.ArrowException):
        raise RequestError(place, f"a value does not fit {datatype}") from None


def from_binary(name: str, datatype: str, raw: bytes, count: int) -> pa.Array:
    place = f"input {name!r}"
    if datatype != "BYTES":
        size = np.dtype(FIXED[datatype]).itemsize
        if len(raw) != count * size:
            raise RequestError(
                place, f"expected {count * size} bytes of {datatype}; got {len(raw)}"
            )
        if datatype == "BOOL":  # a byte each on the wire, a bit each in Arrow
            return pa.array(np.frombuffer(raw, dtype=FIXED[datatype]))
        return pa.Array.from_buffers(ARROW[datatype], count, [None, pa.py_buffer(raw)])
    values, at = [], 0
    for _ in range(count):
        if at + 4 > len(raw):
            raise RequestError(place, "binary BYTES data ends early")
        (length,) = struct.unpack_from("<I", raw, at)
        if at + 4 + length > len(raw):
            raise RequestError(place, "binary BYTES data ends early")
        try:
            values.append(raw[at + 4 : at + 4 + length].decode())
        except UnicodeDecodeError:
            raise RequestError(place, "BYTES values must be UTF-8 text") from None
        at += 4 + length
    if at != len(raw):
        raise RequestError(place, "binary BYTES data is longer than its shape")
    return pa.array(values, pa.string())


def _tensor(raw: Any, i: int, binary: memoryview, at: int) -> tuple[Tensor, int]:
    item = as_object(raw, f"inputs[{i}]")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise RequestError(f"inputs[{i}]", "needs a name")
    datatype = item.get("datatype")
    if datatype not in DATATYPES:
        raise RequestError(f"input {name!r}", f"datatype must be one of {', '.join(DATATYPES)}")
    shape = _shape(item.get("shape"), f"input {name!r}")
    count = math.prod(shape)
    size = as_object(item.get("parameters", {}), f"input {name!r}").get("binary_data_size")
    if size is None:
        if "data" not in item:
            raise RequestError(f"input {name!r}", "has neither data nor binary_data_size")
        return Tensor(name, datatype, shape, _from_json(name, datatype, item["data"], shape)), at
    if not isinstance(size, int) or size < 0 or at + size > len(binary):
        raise RequestError(f"input {name!r}", "binary_data_size is beyond the request's body")
    chunk = bytes(binary[at : at + size])
    return Tensor(name, datatype, shape, from_binary(name, datatype, chunk, count)), at + size


def decode(body: bytes, header_length: str | None) -> InferRequest:
    """An infer request's body; `header_length` is the binary extension's header, if sent."""
    split = len(body)
    if header_length is not None:
        if not header_length.isdigit() or int(header_length) > len(body):
            raise RequestError(HEADER, f"expected the JSON part's length; got {header_length!r}")
        split = int(header_length)
    request = as_object(loads(body[:split]), "body")
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError("inputs", "expected a non-empty list of input tensors")
    binary, at, tensors = memoryview(body)[split:], 0, []
    for i, raw in enumerate(inputs):
        tensor, at = _tensor(raw, i, binary, at)
        tensors.append(tensor)
    if at != len(binary):
        raise RequestError("body", "has binary data no input claims")
    parameters = as_object(request.get("parameters", {}), "parameters")
    wanted, as_binary = _outputs(request.get("outputs"))
    rid = request.get("id")
    return InferRequest(
        tuple(tensors),
        wanted,
        as_binary,
        parameters.get("binary_data_output") is True,
        rid if isinstance(rid, str) else None,
    )


def _outputs(raw: Any) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    if raw is None:
        return None, frozenset()
    if not isinstance(raw, list):
        raise RequestError("outputs", "expected a list of requested outputs")
    names, binary = [], set()
    for i, item in enumerate(raw):
        out = as_object(item, f"outputs[{i}]")
        if not isinstance(out.get("name"), str):
            raise RequestError(f"outputs[{i}]", "needs a name")
        names.append(out["name"])
        if as_object(out.get("parameters", {}), f"outputs[{i}]").get("binary_data") is True:
            binary.add(out["name"])
    return tuple(names), frozenset(binary)


def _json_tensor(t: Tensor) -> dict[str, Any]:
    return {"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}


def encode(response: InferResponse, request: InferRequest) -> tuple[bytes, dict[str, str]]:
    """The response's body and headers: outputs as JSON data, or as binary data after the
    JSON part when the request asked (by output, or all with `binary_data_output`)."""
    tensors, blobs = [], []
    for t in response.outputs:
        out = _json_tensor(t)
        if request.binary_all or t.name in request.binary:
            blob = np.asarray(t.values, dtype=FIXED[t.datatype]).tobytes()
            out["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            out["data"] = t.values.to_pylist()
        tensors.append(out)
    document: dict[str, Any] = {
        "model_name": response.model,
        "model_version": response.version,
        "outputs": tensors,
    }
    if response.id is not None:
        document["id"] = response.id
    head = json.dumps(document, allow_nan=False).encode()
    headers = {"content-type": "application/json"}
    if not blobs:
        return head, headers
    headers = {"content-type": "application/octet-stream", HEADER: str(len(head))}
    return head + b"".join(blobs), headers
