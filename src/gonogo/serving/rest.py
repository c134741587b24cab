"""The REST front end: the Open Inference Protocol's v2 routes, MLflow's `/invocations` (so
MLflow users' clients work unchanged) and an OpenAPI document, over one data plane.

Every error is one JSON shape, `{"error": "<place>: <what was expected>"}`: 400 for a request
the model cannot read, 404 for a model, version or route not served, 405, 413 for a body over
the limit. A 500 means a bug of ours, never a client's mistake.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pyarrow as pa
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gonogo.data.schema import Field, InputSchema, Kind
from gonogo.data.sources import first_line
from gonogo.errors import DataError, InputError, RequestError
from gonogo.serving import codec
from gonogo.serving.dataplane import DataPlane, NotServedError, UnauthorizedError
from gonogo.serving.metrics import Metrics
from gonogo.serving.openapi import document

MAX_BODY = 64 * 2**20
log = logging.getLogger("gonogo.serve")
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"body: over the limit of {MAX_BODY} bytes")
    return await request.body()


def _frame(body: bytes, content_type: str, schema: InputSchema) -> pa.RecordBatch:
    """The rows of an `/invocations` body, in MLflow's JSON or as CSV (`text/csv`)."""
    if content_type.split(";", maxsplit=1)[0].strip().lower() == "text/csv":
        return _csv(body, schema)
    return _records(codec.loads(body), schema)


def _csv(body: bytes, schema: InputSchema) -> pa.RecordBatch:
    """CSV with a header row, as MLflow reads it; every value read as text, as JSON's dates
    are, then typed by the schema like any other request."""
    import pyarrow.csv as pacsv

    try:
        header = pacsv.ReadOptions(skip_rows_after_names=body.count(b"\n") + 1)
        names = pacsv.read_csv(pa.BufferReader(body), header).column_names
        # An empty cell or NA is a missing value, as in JSON's null and pandas' read_csv.
        text = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
        )
        table = pacsv.read_csv(pa.BufferReader(body), convert_options=text)
    except (pa.ArrowException, ValueError) as err:
        raise RequestError("body", f"expected CSV with a header row: {first_line(err)}") from None
    _present(schema, names)
    return pa.record_batch({n: table[n].combine_chunks() for n in names if n in schema.names})


_FRAMES = "expected dataframe_split, dataframe_records, instances or inputs"


# What a JSON value of each kind of column is, as MLflow's schema enforcement takes it: a
# number for a number, true or false for a flag, text for text, dates and durations.
_JSON: dict[Kind, tuple[tuple[type, ...], pa.DataType, str]] = {
    "number": ((int, float), pa.float64(), "a number"),
    "boolean": ((bool,), pa.bool_(), "true or false"),
}
_TEXT = ((str,), pa.string(), "text")


def _records(body: Any, schema: InputSchema) -> pa.RecordBatch:
    """MLflow's JSON frames, `dataframe_split` (columns and rows), `dataframe_records`, or
    `instances` / `inputs` (rows as objects, or columns as lists), as a batch of the columns
    the schema reads (others are ignored, as MLflow ignores them), each value checked for
    its column's kind."""
    frame = codec.as_object(body, "body")
    key = next(
        (k for k in ("dataframe_split", "dataframe_records", "instances", "inputs") if k in frame),
        None,
    )
    if key is None:
        raise RequestError("body", _FRAMES)
    if key == "dataframe_split":
        values = _split(codec.as_object(frame[key], key))
    elif isinstance(frame[key], dict) and key != "dataframe_records":
        values = _columns(frame[key], key)
    else:
        values = _rows(frame[key], key)
    if not any(values.values()):
        raise RequestError(key, "has no rows")
    typed = {f.name: _typed(f, values[f.name]) for f in schema.fields if f.name in values}
    _present(schema, list(values))
    return pa.RecordBatch.from_pydict(typed)


def _present(schema: InputSchema, given: list[str]) -> None:
    """Every column the model reads is in the frame (a misspelt one, which MLflow's way of
    ignoring the columns it does not read would pass over, is named beside it)."""
    try:
        schema.require(given, "inputs")
    except DataError as err:
        raise RequestError(err.place, err.problem) from None


def _typed(f: Field, column: list[Any]) -> pa.Array:
    place, (kinds, kind, what) = f"column {f.name!r}", _JSON.get(f.kind, _TEXT)
    if f.kind != "number":  # NaN, pandas' missing text in to_dict(), is a missing value
        column = [None if type(v) is float and math.isnan(v) else v for v in column]
    for v in column:
        # bool is an int to Python, never a number or text to a column.
        if v is not None and (not isinstance(v, kinds) or (type(v) is bool) != (bool in kinds)):
            raise RequestError(place, f"expected {what}; found {v!r}")
    if f.kind == "number":  # whole numbers of any size, as the doubles they are read as
        try:
            column = [float(v) if type(v) is int else v for v in column]
        except OverflowError:
            raise RequestError(place, "a number is too large for a double") from None
    return pa.array(column, kind)


def _split(split: dict[str, Any]) -> dict[str, list[Any]]:
    columns, data = split.get("columns"), split.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise RequestError("dataframe_split.columns", "expected a list of column names")
    if not isinstance(data, list) or not all(
        isinstance(r, list) and len(r) == len(columns) for r in data
    ):
        raise RequestError("dataframe_split.data", f"expected rows of {len(columns)} values")
    return {c: [r[i] for r in data] for i, c in enumerate(columns)}


def _rows(records: Any, place: str) -> dict[str, list[Any]]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise RequestError(place, "expected a list of objects")
    names = list(dict.fromkeys(k for r in records for k in r))
    return {c: [r.get(c) for r in records] for c in names}


def _columns(columns: dict[str, Any], place: str) -> dict[str, list[Any]]:
    if not all(isinstance(v, list) for v in columns.values()):
        raise RequestError(place, "expected a list of values for every column")
    if len({len(v) for v in columns.values()}) > 1:
        raise RequestError(place, "expected as many values in every column")
    return {str(c): v for c, v in columns.items()}


def app(plane: DataPlane, grpc_at: tuple[str, int] | None = None) -> Starlette:
    """The REST application over `plane`, and gRPC on `grpc_at` (host, port) on the same
    event loop; both stop, letting requests in flight finish, before the prediction log's
    last flush."""
    metrics = Metrics()

    async def live(request: Request) -> Response:
        return JSONResponse({"live": True})

    async def ready(request: Request) -> Response:
        return JSONResponse({"ready": True})

    async def server(request: Request) -> Response:
        return JSONResponse(plane.server_metadata())

    async def model(request: Request) -> Response:
        p = request.path_params
        return JSONResponse(plane.model_metadata(p["name"], p.get("version")))

    async def model_ready(request: Request) -> Response:
        p = request.path_params
        plane.model(p["name"], p.get("version"))
        return JSONResponse({"name": p["name"], "ready": True})

    async def infer(request: Request) -> Response:
        p = request.path_params
        plane.model(p["name"], p.get("version"))  # a model not served is a 404, whatever the body
        decoded = codec.decode(await _body(request), request.headers.get(codec.HEADER))
        answer = plane.infer(p["name"], p.get("version"), decoded)
        metrics.rows.inc(answer.rows)
        body, headers = codec.encode(answer, decoded)
        return Response(body, headers=headers)

    async def invocations(request: Request) -> Response:
        rt, rid = plane.runtime, request.headers.get("x-request-id") or uuid.uuid4().hex
        body, kind = await _body(request), request.headers.get("content-type", "")
        rows = _frame(body, kind, rt.candidate.schema)
        predicted = plane.predict(rt, rows, rid)
        metrics.rows.inc(predicted.num_rows)
        headers = {"x-gonogo-model": rt.model, "x-gonogo-version": str(rt.version)}
        headers["x-request-id"] = rid
        return JSONResponse({"predictions": predicted.to_pylist()}, headers=headers)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document(plane))

    async def scrape(request: Request) -> Response:
        return Response(metrics.exposition(plane.runtime), media_type=CONTENT_TYPE_LATEST)

    def route(path: str, handler: Handler, methods: list[str] | None = None) -> Route:
        return Route(path, _guarded(path, _authorized(plane, handler), metrics), methods=methods)

    base = "/v2/models/{name}"
    versioned = base + "/versions/{version}"
    # Matched in order: the infer routes first, as nearly every request is one.
    routes = [route(path + "/infer", infer, ["POST"]) for path in (base, versioned)]
    routes += [
        # Probes need no token: a kubelet or a load balancer asks them.
        Route("/v2/health/live", _guarded("/v2/health/live", live, metrics)),
        Route("/v2/health/ready", _guarded("/v2/health/ready", ready, metrics)),
        route("/v2", server),
        route("/invocations", invocations, ["POST"]),
        route("/openapi.json", openapi),
        route("/metrics", scrape),
    ]
    for path in (base, versioned):
        routes += [route(path, model), route(path + "/ready", model_ready)]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop = None
        if grpc_at is not None:
            from gonogo.serving import rpc

            stop = await rpc.start(plane, *grpc_at, metrics)
        yield
        if stop is not None:
            await stop()
        if plane.log is not None:  # the last predictions, on a graceful shutdown
            plane.log.flush()

    handlers = {HTTPException: _http_error}
    return Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)  # type: ignore[arg-type]


async def _http_error(request: Request, err: HTTPException) -> Response:
    """Starlette's own refusals (no such route, method not allowed) in the one error shape."""
    what = {404: "no such route", 405: "method not allowed"}.get(err.status_code, err.detail)
    return _error(err.status_code, f"{request.method} {request.url.path}: {what}")


def _authorized(plane: DataPlane, handler: Handler) -> Handler:
    async def authorized(request: Request) -> Response:
        plane.authorize(request.headers.get("authorization"))
        return await handler(request)

    return authorized


def _guarded(route: str, handler: Handler, metrics: Metrics) -> Handler:
    """`handler` answering every error in the one shape, measured."""

    async def guarded(request: Request) -> Response:
        start = time.perf_counter()
        response, kind = await _answer(request, handler)
        metrics.observe(route, str(response.status_code), time.perf_counter() - start, kind)
        return response

    return guarded


async def _answer(request: Request, handler: Handler) -> tuple[Response, str | None]:
    """The response, and the kind of error it reports (None when it is not one)."""
    try:
        return await handler(request), None
    except NotServedError as err:
        return _error(404, str(err)), "not_served"
    except UnauthorizedError as err:
        response = _error(401, str(err))
        response.headers["www-authenticate"] = "Bearer"
        return response, "unauthorized"
    except RequestError as err:
        return _error(400, str(err)), "bad_request"
    except HTTPException as err:
        return _error(err.status_code, str(err.detail)), "too_large"
    except Exception:
        log.exception("%s %s failed", request.method, request.url.path)
        return _error(500, "internal error; the server's log has the details"), "internal"


def check_ports(host: str, port: int, grpc_port: int | None = None) -> None:
    """An InputError naming the option when a port cannot be listened on: checked before the
    model loads, so a taken port costs no wait."""
    import socket

    if grpc_port == port:
        raise InputError("--grpc-port", f"is the REST port too ({port}); give gRPC its own")
    for option, number in (("--port", port), ("--grpc-port", grpc_port)):
        if number is None:
            continue
        if not 0 < number < 2**16:
            raise InputError(option, f"expected a port from 1 to 65535; got {number}")
        with socket.socket() as probe:
            try:
                probe.bind((host, number))
            except OSError as err:
                raise InputError(
                    option, f"cannot listen on {host}:{number}: {err.strerror}"
                ) from None


def serve(plane: DataPlane, host: str, port: int, grpc_port: int | None = None) -> None:
    """Serve REST on `port` (and gRPC on `grpc_port`) until SIGINT or SIGTERM; requests in
    flight finish first (up to 30 s)."""
    import uvicorn

    check_ports(host, port, grpc_port)
    config = uvicorn.Config(
        app(plane, None if grpc_port is None else (host, grpc_port)),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=30,
        lifespan="on",  # gRPC starts in the lifespan: its failure must stop the server
    )
    uvicorn.Server(config).run()
