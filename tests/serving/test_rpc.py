"""`gonogo serve` over gRPC, driven by Triton's gRPC client: the same predictions as REST
and the fitted candidate, raw and typed tensor contents, and INVALID_ARGUMENT or NOT_FOUND
with REST's message for what the model cannot read or the server does not serve."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from tritonclient.grpc import service_pb2, service_pb2_grpc

from tests.serving.conftest import _expected

CHICAGO = pytest.mark.xdist_group("chicago-pipeline")
HAWKS = pytest.mark.xdist_group("hawks-pipeline")


def _inputs(metadata, rows):
    made = []
    for item in metadata.inputs:
        values = rows[item.name]
        if item.datatype == "BYTES":
            data = values.astype(str).to_numpy(dtype=object)
        else:
            data = values.to_numpy(dtype=np.float64)
        tensor = triton.InferInput(item.name, [len(rows)], item.datatype)
        tensor.set_data_from_numpy(data)
        made.append(tensor)
    return made


@CHICAGO
def test_the_triton_grpc_client_gets_the_candidates_predictions(
    chicago_story, chicago_server, new_rows
):
    client = triton.InferenceServerClient(chicago_server.grpc)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("chicago-ridership", "2")
    assert "binary_tensor_data" in client.get_server_metadata().extensions
    metadata = client.get_model_metadata("chicago-ridership")
    assert list(metadata.versions) == ["2"] and metadata.platform == "gonogo"
    result = client.infer("chicago-ridership", _inputs(metadata, new_rows), request_id="g-1")
    assert (result.get_response().model_version, result.get_response().id) == ("2", "g-1")
    expected = _expected(chicago_story, new_rows)
    np.testing.assert_allclose(result.as_numpy("prediction"), expected, rtol=0, atol=1e-12)


def _typed_request(body, **changes):
    """A ModelInferRequest with typed contents, from the REST tests' JSON tensors."""
    request = service_pb2.ModelInferRequest(model_name="hawks")
    for t in body:
        tensor = request.inputs.add(name=t["name"], datatype=t["datatype"], shape=t["shape"])
        if t["datatype"] == "BYTES":
            tensor.contents.bytes_contents.extend(str(v).encode() for v in t["data"])
        else:
            tensor.contents.fp64_contents.extend(
                float("nan") if v is None else v for v in t["data"]
            )
    for name, value in changes.items():
        setattr(request, name, value)
    return request


@HAWKS
def test_typed_contents_give_the_heuristics_predictions(hawks_story, hawks_server, hawks_body):
    rows, body = hawks_body
    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(hawks_server.grpc))
    body = [t for t in body if t["datatype"] != "BYTES" or None not in t["data"]]
    body += [
        {"name": "Sex", "datatype": "BYTES", "shape": [5], "data": list(rows["Sex"].astype(str))}
    ] * ("Sex" not in {t["name"] for t in body})
    answer = stub.ModelInfer(_typed_request(body))
    (out,) = answer.outputs
    assert (answer.model_version, out.name, list(out.shape)) == ("1", "CH", [5])
    got = np.frombuffer(answer.raw_output_contents[0], dtype="<f8")
    np.testing.assert_allclose(got, _expected(hawks_story, rows), rtol=0, atol=1e-12)


@HAWKS
@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (lambda b: (b[1:], {}), grpc.StatusCode.INVALID_ARGUMENT, "input 'Age': is missing"),
        (
            lambda b: (b, {"model_name": "eagles"}),
            grpc.StatusCode.NOT_FOUND,
            "model 'eagles': is not served here",
        ),
        (
            lambda b: (b, {"model_version": "9"}),
            grpc.StatusCode.NOT_FOUND,
            "hawks version 9: is not served; version 1 is",
        ),
        (
            lambda b: ([t | {"shape": [4]} if t["name"] == "Wing" else t for t in b], {}),
            grpc.StatusCode.INVALID_ARGUMENT,
            "input 'Wing': its shape holds 4 values; contents has 5",
        ),
        (
            lambda b: ([t | {"datatype": "FP16"} if t["name"] == "Wing" else t for t in b], {}),
            grpc.StatusCode.INVALID_ARGUMENT,
            "input 'Wing': FP16 travels only as raw_input_contents",
        ),
        (
            lambda b: ([], {}),
            grpc.StatusCode.INVALID_ARGUMENT,
            "inputs: expected a non-empty list of input tensors",
        ),
        (  # the model first, then its tensors
            lambda b: ([], {"model_name": "eagles"}),
            grpc.StatusCode.NOT_FOUND,
            "model 'eagles': is not served here",
        ),
    ],
)
def test_bad_calls_are_invalid_argument_or_not_found(
    hawks_server, hawks_body, change, code, message
):
    body, fields = change(hawks_body[1])
    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(hawks_server.grpc))
    with pytest.raises(grpc.RpcError) as caught:
        stub.ModelInfer(_typed_request(body, **fields))
    assert caught.value.code() == code
    assert caught.value.details().startswith(message)


@HAWKS
def test_raw_contents_that_do_not_add_up_are_invalid_argument(hawks_server):
    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(hawks_server.grpc))
    request = service_pb2.ModelInferRequest(model_name="hawks")
    request.inputs.add(name="Wing", datatype="FP64", shape=[5])
    request.inputs.add(name="Tail", datatype="FP64", shape=[5])
    for raw, message in [
        ([np.zeros(5).tobytes()], "raw_input_contents: needs one entry per input"),
        ([np.zeros(4).tobytes()] * 2, "input 'Wing': expected 40 bytes of FP64; got 32"),
    ]:
        del request.raw_input_contents[:]
        request.raw_input_contents.extend(raw)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ModelInfer(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details() == message


@HAWKS
def test_a_token_guards_every_call_but_the_probes(hawks_story, hawks_body):
    import os

    import httpx

    from tests.serving.conftest import _serve, _stop

    proc, url = _serve(
        "hawks", hawks_story.root, "--no-log", env=os.environ | {"GONOGO_TOKEN": "s3cret"}
    )
    infer = f"http://{url}/v2/models/hawks/infer"
    body = {"inputs": hawks_body[1]}
    try:
        assert httpx.get(f"http://{url}/v2/health/ready").status_code == 200
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "s3cret"}):
            answer = httpx.post(infer, json=body, headers=headers)
            assert (answer.status_code, answer.headers["www-authenticate"]) == (401, "Bearer")
            assert answer.json() == {"error": "authorization: expected the header 'Bearer <token>'"}
        assert httpx.get(f"http://{url}/metrics").status_code == 401
        ok = httpx.post(infer, json=body, headers={"authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(url.grpc))
        assert stub.ServerLive(service_pb2.ServerLiveRequest()).live
        with pytest.raises(grpc.RpcError) as caught:
            stub.ModelInfer(_typed_request(hawks_body[1][2:]))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as caught:  # past the token: the request is read
            stub.ModelInfer(
                _typed_request(hawks_body[1][2:]), metadata=[("authorization", "Bearer s3cret")]
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        _stop(proc)


@HAWKS
def test_grpc_calls_are_counted_in_the_servers_metrics(hawks_server, hawks_body):
    from tests.serving.test_rest import _samples

    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(hawks_server.grpc))
    before = _samples(hawks_server)
    stub.ModelMetadata(service_pb2.ModelMetadataRequest(name="hawks"))
    with pytest.raises(grpc.RpcError):
        stub.ModelInfer(_typed_request(hawks_body[1][1:]))  # an input missing
    after = _samples(hawks_server)

    def grew(name, labels):
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    infer, meta = ("route", "grpc:ModelInfer"), ("route", "grpc:ModelMetadata")
    assert grew("gonogo_requests_total", (meta, ("status", "OK"))) == 1
    assert grew("gonogo_requests_total", (infer, ("status", "INVALID_ARGUMENT"))) == 1
    assert grew("gonogo_errors_total", (("kind", "bad_request"),)) == 1
    assert grew("gonogo_request_seconds_count", (infer,)) == 1
