"""The floor under `gonogo serve`'s latency: the same stack (uvicorn and Starlette for REST,
grpc.aio for gRPC, on one event loop, as `gonogo serve` runs them) answering the same
single-row infer request with a constant: no model, no validation, no metrics. What a request
costs before any of gonogo's own work; started by `bench/serve.py latency`.

    python bench/floor.py HTTP_PORT GRPC_PORT
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator

import grpc
import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gonogo.serving.proto import open_inference_pb2 as pb
from gonogo.serving.proto import open_inference_pb2_grpc as pb_grpc

ANSWER = {"name": "prediction", "datatype": "FP64", "shape": [1], "data": [0.0]}


class Servicer(pb_grpc.GRPCInferenceServiceServicer):
    async def ModelInfer(self, request: pb.ModelInferRequest, context: object) -> object:  # noqa: N802  (the protocol's name)
        output = pb.ModelInferResponse.InferOutputTensor(name="prediction", datatype="FP64")
        output.shape.append(1)
        return pb.ModelInferResponse(
            model_name=request.model_name,
            model_version="0",
            outputs=[output],
            raw_output_contents=[np.zeros(1).tobytes()],
        )


async def ready(_: Request) -> Response:
    return Response(status_code=200)


async def infer(request: Request) -> Response:
    body = await request.json()
    name = request.path_params["name"]
    return JSONResponse({"model_name": name, "model_version": "0", "id": body.get("id", ""),
                         "outputs": [ANSWER]})  # fmt: skip


def main(http: int, grpc_port: int) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        server = grpc.aio.server()
        pb_grpc.add_GRPCInferenceServiceServicer_to_server(Servicer(), server)
        server.add_insecure_port(f"127.0.0.1:{grpc_port}")
        await server.start()
        yield
        await server.stop(grace=5)

    routes = [
        Route("/v2/models/{name}/ready", ready),
        Route("/v2/models/{name}/infer", infer, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=http, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
