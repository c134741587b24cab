"""The gRPC front end: the Open Inference Protocol's `GRPCInferenceService` over the same data
plane as REST. Tensors arrive as typed contents or as raw bytes (`raw_input_contents`, what
Triton's clients send); outputs go back as raw bytes. A request the model cannot read is
INVALID_ARGUMENT, a model or version not served NOT_FOUND, with the same one-line message as
REST's 400 and 404; INTERNAL only for a bug of ours.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
import numpy as np
import pyarrow as pa

from gonogo.errors import InputError, RequestError
from gonogo.serving import codec
from gonogo.serving.dataplane import DataPlane, NotServedError, UnauthorizedError
from gonogo.serving.metrics import Metrics
from gonogo.serving.proto import open_inference_pb2 as pb
from gonogo.serving.proto import open_inference_pb2_grpc as pb_grpc

log = logging.getLogger("gonogo.serve")
T = TypeVar("T")

# Where each datatype's values travel in InferTensorContents.
CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def _contents(t: Any, count: int) -> pa.Array:
    place = f"input {t.name!r}"
    if t.datatype not in CONTENTS:
        raise RequestError(place, f"{t.datatype} travels only as raw_input_contents")
    values = list(getattr(t.contents, CONTENTS[t.datatype]))
    if len(values) != count:
        raise RequestError(place, f"its shape holds {count} values; contents has {len(values)}")
    if t.datatype == "BYTES":
        try:
            return pa.array([v.decode() for v in values], pa.string())
        except UnicodeDecodeError:
            raise RequestError(place, "BYTES values must be UTF-8 text") from None
    return pa.array(np.asarray(values, dtype=codec.FIXED[t.datatype]))


def _tensor(t: Any, raw: list[bytes], i: int) -> codec.Tensor:
    place = f"input {t.name or f'#{i}'!r}"
    if t.datatype not in codec.DATATYPES:
        raise RequestError(place, f"datatype must be one of {', '.join(codec.DATATYPES)}")
    shape = tuple(t.shape)
    if not shape or min(shape) < 0:
        raise RequestError(place, f"expected a shape of sizes; found {list(shape)}")
    # math.prod: numpy's costs 10 microseconds a call, a tenth of a single-row request's decoding.
    count = math.prod(shape)
    if raw:
        return codec.Tensor(
            t.name, t.datatype, shape, codec.from_binary(t.name, t.datatype, raw[i], count)
        )
    return codec.Tensor(t.name, t.datatype, shape, _contents(t, count))


def decode(request: Any) -> codec.InferRequest:
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise RequestError("raw_input_contents", "needs one entry per input")
    if not request.inputs:
        raise RequestError("inputs", "expected a non-empty list of input tensors")
    tensors = tuple(_tensor(t, raw, i) for i, t in enumerate(request.inputs))
    wanted = tuple(o.name for o in request.outputs) or None
    return codec.InferRequest(tensors, wanted, id=request.id or None)


def encode(answer: codec.InferResponse) -> Any:
    out = pb.ModelInferResponse(
        model_name=answer.model, model_version=answer.version, id=answer.id or ""
    )
    for t in answer.outputs:
        out.outputs.add(name=t.name, datatype=t.datatype, shape=list(t.shape))
        out.raw_output_contents.append(
            np.asarray(t.values, dtype=codec.FIXED[t.datatype]).tobytes()
        )
    return out


class Servicer(pb_grpc.GRPCInferenceServiceServicer):  # type: ignore[misc]  # generated, untyped
    """The service's calls, each a translation to and from the data plane. They run on the
    event loop that serves REST: a call's work is a few hundred microseconds of CPU, and
    threads would only contend for the interpreter."""

    def __init__(self, plane: DataPlane, metrics: Metrics) -> None:
        self.plane, self.metrics = plane, metrics

    async def _call(self, context: Any, method: str, action: Callable[[], T]) -> T:
        """`action`'s answer, or the call aborted with the status its error maps to; either
        way measured, as REST's routes are (route `grpc:<method>`, status the code's name)."""
        start, code, kind = time.perf_counter(), grpc.StatusCode.OK, None
        try:
            self.plane.authorize(dict(context.invocation_metadata()).get("authorization"))
            return action()
        except UnauthorizedError as err:
            code, kind, text = grpc.StatusCode.UNAUTHENTICATED, "unauthorized", str(err)
        except NotServedError as err:
            code, kind, text = grpc.StatusCode.NOT_FOUND, "not_served", str(err)
        except RequestError as err:
            code, kind, text = grpc.StatusCode.INVALID_ARGUMENT, "bad_request", str(err)
        except Exception:
            log.exception("gRPC call failed")
            code, kind = grpc.StatusCode.INTERNAL, "internal"
            text = "internal error; the server's log has it"
        finally:
            seconds = time.perf_counter() - start
            self.metrics.observe(f"grpc:{method}", code.name, seconds, kind)
        await context.abort(code, text)
        raise AssertionError("context.abort raises")

    async def ServerLive(self, request: Any, context: Any) -> Any:
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:
        return pb.ServerReadyResponse(ready=True)

    async def ModelReady(self, request: Any, context: Any) -> Any:
        await self._call(
            context, "ModelReady", lambda: self.plane.model(request.name, request.version or None)
        )
        return pb.ModelReadyResponse(ready=True)

    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        found = await self._call(context, "ServerMetadata", self.plane.server_metadata)
        return pb.ServerMetadataResponse(**found)

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        meta = await self._call(
            context,
            "ModelMetadata",
            lambda: self.plane.model_metadata(request.name, request.version or None),
        )
        meta.pop("parameters")
        return pb.ModelMetadataResponse(**meta)

    async def ModelInfer(self, request: Any, context: Any) -> Any:
        def infer() -> Any:
            version = request.model_version or None
            self.plane.model(request.model_name, version)  # NOT_FOUND before the tensors
            answer = self.plane.infer(request.model_name, version, decode(request))
            self.metrics.rows.inc(answer.rows)
            return encode(answer)

        return await self._call(context, "ModelInfer", infer)


async def start(
    plane: DataPlane, host: str, port: int, metrics: Metrics
) -> Callable[[], Awaitable[None]]:
    """Serve `plane` over gRPC on host:port, on the running event loop, measured into
    `metrics`; the coroutine function that stops it, letting calls in flight finish (up to
    30 s)."""
    server = grpc.aio.server()
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(Servicer(plane, metrics), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0
    if not bound:
        raise InputError("--grpc-port", f"cannot listen on {host}:{port}")
    await server.start()

    async def stop() -> None:
        await server.stop(grace=30)

    return stop
