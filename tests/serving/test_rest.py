"""`gonogo serve` on loopback, driven by real clients: Triton's HTTP client (JSON and binary
tensors) and httpx for MLflow's `/invocations`. The predictions equal the fitted candidate's
and the batch path's, for a model and for a heuristic in production; every bad request is a
4xx naming what was wrong; SIGTERM stops the server cleanly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import tritonclient.http as triton

from gonogo.serving.batch import Predictor
from gonogo.serving.runtime import load
from tests.serving.conftest import _expected, _free_port, _serve, _stop, _tensor
from tests.stores import gonogo

CHICAGO = pytest.mark.xdist_group("chicago-pipeline")
HAWKS = pytest.mark.xdist_group("hawks-pipeline")


def _inputs(metadata, rows, binary):
    made = []
    for item in metadata["inputs"]:
        values = rows[item["name"]]
        if item["datatype"] == "BYTES":
            data = values.astype(str).to_numpy(dtype=object)
        else:
            data = values.to_numpy(dtype=np.float64)
        tensor = triton.InferInput(item["name"], [len(rows)], item["datatype"])
        tensor.set_data_from_numpy(data, binary_data=binary)
        made.append(tensor)
    return made


@CHICAGO
@pytest.mark.parametrize("binary", [False, True])
def test_triton_clients_get_the_candidates_predictions(
    chicago_story, chicago_server, new_rows, binary
):
    client = triton.InferenceServerClient(chicago_server)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("chicago-ridership")
    assert client.is_model_ready("chicago-ridership", "2")
    metadata = client.get_model_metadata("chicago-ridership")
    assert metadata["versions"] == ["2"] and metadata["parameters"]["role"] == "model"
    assert metadata["parameters"]["engine"] == "onnxruntime"  # the fast path
    assert {i["name"] for i in metadata["inputs"]} == set(
        chicago_story.tracker().candidate(chicago_story.tracker().production()).schema.names
    )
    wanted = [triton.InferRequestedOutput("prediction", binary_data=binary)]
    result = client.infer(
        "chicago-ridership", _inputs(metadata, new_rows, binary), outputs=wanted, request_id="r-1"
    )
    response = result.get_response()
    assert (response["model_version"], response["id"]) == ("2", "r-1")
    expected = _expected(chicago_story, new_rows)
    np.testing.assert_allclose(result.as_numpy("prediction"), expected, rtol=0, atol=1e-12)
    batch = next(Predictor(load("chicago-ridership", chicago_story.root))(
        [pa.RecordBatch.from_pandas(new_rows, preserve_index=False)]
    ))  # fmt: skip
    np.testing.assert_allclose(result.as_numpy("prediction"), batch.column(0), rtol=0, atol=1e-12)


@CHICAGO
def test_mlflow_clients_post_frames_to_invocations(chicago_story, chicago_server, new_rows):
    rows = new_rows.assign(date=new_rows["date"].astype(str))
    expected = _expected(chicago_story, new_rows)
    split = json.loads(rows.to_json(orient="split", index=False))
    # A column the model does not read is ignored, whatever it holds (as MLflow does).
    records = [r | {"note": [1, "x"][i % 2]} for i, r in enumerate(rows.to_dict("records"))]
    columns = {c: rows[c].tolist() for c in rows.columns}
    url = f"http://{chicago_server}/invocations"
    answers = [
        httpx.post(url, json=body)
        for body in (
            {"dataframe_split": split},
            {"dataframe_records": records},
            {"instances": records},  # TensorFlow Serving's rows
            {"inputs": columns},  # and its columns
        )
    ]
    # pandas' CSV, as `mlflow models predict --content-type csv` sends it.
    csv = rows.to_csv(index=False).encode()
    answers.append(httpx.post(url, content=csv, headers={"content-type": "text/csv"}))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-gonogo-version"] == "2"
        got = [p["prediction"] for p in answer.json()["predictions"]]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


NEVER_MISSING = "a missing value; training held none in this column"


@CHICAGO
def test_the_openapi_document_describes_the_served_inputs(chicago_story, chicago_server):
    doc = httpx.get(f"http://{chicago_server}/openapi.json").json()
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == "2"
    assert "/v2/models/{name}/versions/{version}/infer" in doc["paths"]
    # Every route the server answers is described, the document and the metrics too.
    assert {"/openapi.json", "/metrics", "/invocations", "/v2/health/ready"} <= set(doc["paths"])
    assert "text/plain" in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    row = doc["components"]["schemas"]["Row"]
    # A column takes a null, a missing value, and the client is told where training held
    # none; but not the date the calendar and trend read, which the server refuses missing.
    temp = row["properties"]["temp"]["anyOf"]
    assert temp == [{"type": "number"}, {"type": "null", "description": NEVER_MISSING}]
    assert row["properties"]["date"]["type"] == "string"
    missing = httpx.post(f"http://{chicago_server}/invocations", json={"dataframe_records": [
        {n: None if n == "date" else 1.0 for n in row["properties"]}]})  # fmt: skip
    assert missing.status_code == 400 and "column 'date'" in missing.json()["error"]


@HAWKS
def test_a_heuristic_in_production_is_served_by_the_same_path(
    hawks_story, hawks_server, hawks_body
):
    rows, inputs = hawks_body  # with missing values (JSON null): the columns are optional
    answer = httpx.post(f"http://{hawks_server}/v2/models/hawks/infer", json={"inputs": inputs})
    assert answer.status_code == 200, answer.text
    (out,) = answer.json()["outputs"]
    assert out["name"] == "CH" and out["datatype"] == "FP64"
    np.testing.assert_allclose(out["data"], _expected(hawks_story, rows), rtol=0, atol=1e-12)
    meta = httpx.get(f"http://{hawks_server}/v2/models/hawks").json()
    assert meta["parameters"]["role"] == "heuristic"
    assert meta["parameters"]["engine"] == "native"  # a heuristic has no ONNX form


def _replace(inputs, name, **changes):
    return [t | changes if t["name"] == name else t for t in inputs]


BAD_INFER = [
    (lambda b: b"{not json", 400, "body: malformed JSON"),
    (lambda b: {"inputs": []}, 400, "inputs: expected a non-empty list"),
    (lambda b: {"inputs": b[1:]}, 400, "input 'Age': is missing"),
    (
        lambda b: {"inputs": [*b, _tensor("Colour", "BYTES", ["x"] * 5)]},
        400,
        "input 'Colour': is not an input of hawks",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", datatype="BYTES", data=["a"] * 5)},
        400,
        "input 'Wing': expected FP64 (number); found BYTES",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", data=["a"] * 5)},
        400,
        "input 'Wing': expected FP64 values; found 'a'",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", shape=[4])},
        400,
        "input 'Wing': its shape holds 4 values; data has 5",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", shape=[5, 2])},
        400,
        "input 'Wing': its shape holds 10 values",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", data=[[1, 2], [3, 4, 5]])},
        400,
        "input 'Wing': nested data does not follow the shape [5]",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", data=[[1, 2, 3, 4], 5])},
        400,
        "input 'Wing': nested data does not follow the shape [5]",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", shape=[5, 1], data=[[1], [2], [3], [4, 5], []])},
        400,
        "input 'Wing': nested data does not follow the shape [1]",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", datatype="FLOAT")},
        400,
        "input 'Wing': datatype must be one of",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", shape=[1, 5], data=[[1, 2, 3, 4, 5]])},
        400,
        "input 'Wing': expected shape [rows] or [rows, 1]",
    ),
    (
        lambda b: {"inputs": _replace(b, "Wing", shape=[4], data=[1, 2, 3, 4])},
        400,
        "inputs: every input needs the same number of rows",
    ),
    (
        lambda b: {"inputs": [_tensor(t["name"], t["datatype"], t["data"] * 11) for t in b]},
        400,
        "inputs: 55 rows is over the limit of 50",
    ),
    (lambda b: {"inputs": b, "outputs": [{"name": "RT"}]}, 400, "output 'RT': is not an output"),
    (lambda b: [1, 2], 400, "body: expected a JSON object; found list"),
    (
        lambda b: {
            "inputs": [t | {"data": [3e264] * 5} if t["datatype"] == "FP64" else t for t in b]
        },
        400,
        "inputs: the model cannot read them: ",
    ),
]


@HAWKS
@pytest.mark.parametrize(("make", "status", "message"), BAD_INFER)
def test_bad_infer_requests_are_400_naming_the_input(
    hawks_server, hawks_body, make, status, message
):
    body = make(hawks_body[1])
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = httpx.post(f"http://{hawks_server}/v2/models/hawks/infer", content=content)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(message), answer.json()


@HAWKS
@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        (
            "POST",
            "/v2/models/eagles/infer",
            404,
            "model 'eagles': is not served here; this server serves hawks",
        ),
        ("GET", "/v2/models/hawks/versions/9", 404, "hawks version 9: is not served; version 1 is"),
        (
            "GET",
            "/v2/models/hawks/versions/9/ready",
            404,
            "hawks version 9: is not served; version 1 is",
        ),
        ("GET", "/v2/nowhere", 404, "GET /v2/nowhere: no such route"),
        ("GET", "/v2/models/hawks/infer", 405, "GET /v2/models/hawks/infer: method not allowed"),
    ],
)
def test_what_is_not_served_is_404(hawks_server, hawks_body, method, path, status, message):
    answer = httpx.request(method, f"http://{hawks_server}{path}", json={"inputs": hawks_body[1]})
    assert (answer.status_code, answer.json()) == (status, {"error": message})


@HAWKS
def test_a_model_not_served_is_404_before_its_body_is_read(hawks_server):
    answer = httpx.post(f"http://{hawks_server}/v2/models/eagles/infer", json={})
    assert answer.status_code == 404 and answer.json()["error"].startswith("model 'eagles'")


@HAWKS
def test_binary_data_that_does_not_add_up_is_400(hawks_server, hawks_body):
    def head(size):
        wing = {"parameters": {"binary_data_size": size}}
        inputs = [
            {k: v for k, v in t.items() if k != "data"} | wing if t["name"] == "Wing" else t
            for t in hawks_body[1]
        ]
        return json.dumps({"inputs": inputs}).encode()

    base = f"http://{hawks_server}/v2/models/hawks/infer"
    for size, extra, header, message in [
        (40, 40, "x", "Inference-Header-Content-Length: expected the JSON part's length"),
        (40, 16, None, "input 'Wing': binary_data_size is beyond the request's body"),
        (40, 41, None, "body: has binary data no input claims"),
        (80, 80, None, "input 'Wing': expected 40 bytes of FP64; got 80"),
    ]:
        length = header or str(len(head(size)))
        answer = httpx.post(
            base,
            content=head(size) + b"\0" * extra,
            headers={"Inference-Header-Content-Length": length},
        )
        assert answer.status_code == 400 and answer.json()["error"].startswith(message), answer.text


@CHICAGO
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataframe_records": [{"temp": 1.0}]}, "inputs: column 'Austin' is missing; expected"),
        (
            {"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}},
            "dataframe_split.data: expected rows of 1 values",
        ),
        ({"records": []}, "body: expected dataframe_split, dataframe_records, instances or"),
        ({"inputs": {"temp": [1.0], "date": []}}, "inputs: expected as many values in every"),
        ({"instances": [[1.0, 2.0]]}, "instances: expected a list of objects"),
        (
            {"dataframe_records": [{"date": 1}, {"date": "x"}]},
            "column 'date': expected text; found 1",
        ),
        ({"dataframe_records": [{"temp": 10**400}]}, "column 'temp': a number is too large"),
        # Values a column cannot hold, each named: MLflow's schema refuses them too.
        (
            {"dataframe_records": [{"temp": "warm"}]},
            "column 'temp': expected a number; found 'warm'",
        ),
        ({"dataframe_records": [{"temp": True}]}, "column 'temp': expected a number; found True"),
        ({"dataframe_records": [{"temp": [3.0]}]}, "column 'temp': expected a number; found [3.0]"),
        (
            {"dataframe_records": [{"date": {"a": 1}}]},
            "column 'date': expected text; found {'a': 1}",
        ),
        ({"dataframe_records": [{"date": False}]}, "column 'date': expected text; found False"),
        ({"dataframe_records": []}, "dataframe_records: has no rows"),
        # A column the model does not read is ignored, as MLflow ignores it; misspelt, it is
        # named beside the column it leaves missing.
        (
            {"dataframe_records": [{"Austin": 1.0, "Clark_Lke": 2.0}]},
            "inputs: column 'Clark_Lake' is missing; expected columns ['Austin', 'Clark_Lake',",
        ),
        ({"dataframe_split": {"columns": ["temp"], "data": []}}, "dataframe_split: has no rows"),
    ],
)
def test_bad_invocations_are_400(chicago_server, body, message):
    answer = httpx.post(f"http://{chicago_server}/invocations", json=body)
    assert answer.status_code == 400 and answer.json()["error"].startswith(message), answer.text
    misspelt = "(the rows have 'Clark_Lke': misspelt?)"
    assert answer.json()["error"].endswith(misspelt) == ("Clark_Lke" in str(body))


@CHICAGO
def test_an_empty_csv_cell_is_a_missing_value_as_null_is_in_json(chicago_server, new_rows):
    url = f"http://{chicago_server}/invocations"
    rows = new_rows.head(3).assign(date=new_rows["date"].head(3).astype(str))
    rows.loc[rows.index[1], "temp"] = None
    csv = httpx.post(
        url, content=rows.to_csv(index=False).encode(), headers={"content-type": "text/csv"}
    )
    records = json.loads(rows.to_json(orient="records"))
    as_json = httpx.post(url, json={"dataframe_records": records})
    assert csv.status_code == as_json.status_code == 200, (csv.text, as_json.text)
    got, want = ([p["prediction"] for p in a.json()["predictions"]] for a in (csv, as_json))
    np.testing.assert_allclose(got, want, rtol=1e-9)  # to_json keeps 10 digits, CSV all 17


@CHICAGO
def test_bad_csv_invocations_are_400(chicago_server, new_rows):
    url, csv = f"http://{chicago_server}/invocations", {"content-type": "text/csv"}
    ragged = b"temp,date\n1.0,2005-01-01\n2.0\n"
    answer = httpx.post(url, content=ragged, headers=csv)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("body: expected CSV with a header row: ")
    words = new_rows.head(2).assign(temp=["warm", "cold"]).to_csv(index=False).encode()
    answer = httpx.post(url, content=words, headers=csv)
    assert answer.status_code == 400 and "temp" in answer.json()["error"], answer.text
    misspelt = new_rows.head(2).rename(columns={"Harlem": "harlem"}).to_csv(index=False).encode()
    answer = httpx.post(url, content=misspelt, headers=csv)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("inputs: column 'Harlem' is missing")
    assert answer.json()["error"].endswith("(the rows have 'harlem': misspelt?)")


@CHICAGO
def test_nan_in_a_date_column_is_a_missing_date_as_pandas_writes_it(chicago_server, new_rows):
    rows = new_rows.head(2).assign(date=new_rows["date"].head(2).astype(str))
    body = json.loads(rows.to_json(orient="split", index=False))
    body["data"][1][list(rows.columns).index("date")] = float("nan")  # json.dumps writes NaN
    answer = httpx.post(
        f"http://{chicago_server}/invocations",
        content=json.dumps({"dataframe_split": body}),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400 and "column 'date' has 1 missing" in answer.text, answer.text


@CHICAGO
def test_a_date_the_model_cannot_read_is_400(chicago_server, new_rows):
    rows = new_rows.head(2).assign(date=["2005-01-01", "the day after"])
    body = {"dataframe_records": rows.to_dict("records")}
    answer = httpx.post(f"http://{chicago_server}/invocations", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "inputs: column 'date' has 1 missing or unparsable dates (format 'ISO8601'), "
        "e.g. 'the day after'"
    )


@HAWKS
def test_a_taken_port_is_one_line_and_exit_2(hawks_story, hawks_server):
    rest, grpc = hawks_server.rsplit(":", 1)[1], hawks_server.grpc.rsplit(":", 1)[1]
    free = str(_free_port())
    for ports, option, taken in [
        ((rest, free), "--port", rest),
        ((free, grpc), "--grpc-port", grpc),
    ]:
        args = ["--port", ports[0], "--grpc-port", ports[1], "--store", hawks_story.root]
        done = subprocess.run(
            [sys.executable, "-m", "gonogo", "serve", "hawks", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == ""
        assert (
            done.stderr
            == f"gonogo: {option}: cannot listen on 127.0.0.1:{taken}: Address already in use\n"
        )


@CHICAGO
def test_the_server_follows_the_alias_without_dropping_a_request(chicago_story, new_rows, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(chicago_story.root, root)  # the registry's own; artifacts are shared
    rows = new_rows.head(3).assign(date=new_rows["date"].head(3).astype(str))
    body = {"dataframe_records": rows.to_dict("records")}
    # Half the clients send their inputs over v2, and a column of the data neither version
    # reads (as a client of a version that read it would): ignored, not refused.
    assert "Quincy_Wells" not in {*_inputs_of(chicago_story, 1), *_inputs_of(chicago_story, 2)}
    rows = rows.assign(Quincy_Wells=[1.5, 2.5, 3.5])
    proc, url = _serve("chicago-ridership", root, "--poll", "0.2")
    inputs = httpx.get(f"http://{url}/v2/models/chicago-ridership").json()["inputs"]
    inputs.append({"name": "Quincy_Wells", "datatype": "FP64"})
    tensors = {"inputs": [i | {"shape": [3], "data": rows[i["name"]].tolist()} for i in inputs]}
    seen: dict[int, list[tuple[int, str, list[float]]]] = {i: [] for i in range(4)}
    stop = threading.Event()

    def client(i):
        with httpx.Client() as http:
            while not stop.is_set():
                if i % 2:
                    answer = http.post(f"http://{url}/v2/models/chicago-ridership/infer",
                                       json=tensors)  # fmt: skip
                    version = answer.json().get("model_version", "")
                    got = next(iter(answer.json().get("outputs", [])), {}).get("data", [])
                else:
                    answer = http.post(f"http://{url}/invocations", json=body)
                    version = answer.headers.get("x-gonogo-version", "")
                    got = [p["prediction"] for p in answer.json().get("predictions", [])]
                seen[i].append((answer.status_code, version, got))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(1)
        assert gonogo("models", "rollback", "chicago-ridership", "--store", root).returncode == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(s and s[-1][1] == "1" for s in seen.values()):
            time.sleep(0.1)
        *known, extra = tensors["inputs"]  # a column the data never held is still refused
        wrong = {"inputs": [*known, extra | {"name": "Quincy_Welles"}]}
        refused = httpx.post(f"http://{url}/v2/models/chicago-ridership/infer", json=wrong)
        assert refused.status_code == 400 and "'Quincy_Welles'" in refused.json()["error"]
    finally:
        stop.set()
        for t in threads:
            t.join()
        _stop(proc)
    answers = [a for s in seen.values() for a in s]
    assert {status for status, _, _ in answers} == {200}, next(a for a in answers if a[0] != 200)
    for s in seen.values():  # each client saw 2, then 1, and never 2 again
        versions = [v for _, v, _ in s]
        assert versions[0] == "2" and versions[-1] == "1"
        assert versions == sorted(versions, reverse=True)
    tracker = chicago_story.tracker()
    expected = {str(n): tracker.candidate(tracker.version(n)).predict(rows) for n in (1, 2)}
    for _, version, got in answers:  # over either route, each version's own predictions
        np.testing.assert_allclose(got, expected[version], rtol=0, atol=1e-12)


def _inputs_of(story, number):
    tracker = story.tracker()
    return tracker.candidate(tracker.version(number)).schema.names


def _samples(url):
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://{url}/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@HAWKS
def test_prometheus_metrics_count_requests_errors_rows_and_name_the_version(
    hawks_server, hawks_body
):
    infer = "/v2/models/{name}/infer"
    ok = (("route", infer), ("status", "200"))
    before = _samples(hawks_server)
    url = f"http://{hawks_server}/v2/models/hawks/infer"
    assert httpx.post(url, json={"inputs": hawks_body[1]}).status_code == 200
    assert httpx.post(url, json={"inputs": hawks_body[1][1:]}).status_code == 400
    after = _samples(hawks_server)

    def grew(name, labels=()):
        return after[(name, labels)] - before.get((name, labels), 0)

    assert grew("gonogo_requests_total", ok) == 1
    assert grew("gonogo_requests_total", (("route", infer), ("status", "400"))) == 1
    assert grew("gonogo_errors_total", (("kind", "bad_request"),)) == 1
    assert grew("gonogo_predicted_rows_total") == 5
    assert grew("gonogo_request_seconds_count", (("route", infer),)) == 2
    info = [k for k in after if k[0] == "gonogo_model_info"]
    assert [dict(k[1])["version"] for k in info] == ["1"]
    assert dict(info[0][1])["role"] == "heuristic"


@HAWKS
def test_the_prediction_log_holds_what_was_served_once_the_server_stops(
    hawks_story, hawks_body, tmp_path
):
    root = tmp_path / "store"
    shutil.copytree(hawks_story.root, root, ignore=shutil.ignore_patterns("predictions"))
    proc, url = _serve("hawks", root)
    try:
        first = httpx.post(
            f"http://{url}/v2/models/hawks/infer", json={"id": "a-1", "inputs": hawks_body[1]}
        )
        records = hawks_body[0].drop(columns="Species").head(2)
        second = httpx.post(
            f"http://{url}/invocations",
            json={"dataframe_records": json.loads(records.to_json(orient="records"))},
            headers={"x-request-id": "b-2"},
        )
        assert (first.status_code, second.status_code) == (200, 200)
        assert first.json()["id"] == "a-1" and second.headers["x-request-id"] == "b-2"
        assert not list((root / "hawks" / "predictions").glob("*.parquet"))  # still buffered
    finally:
        _stop(proc)
    (path,) = (root / "hawks" / "predictions").glob("*.parquet")
    log = pd.read_parquet(path)
    assert list(log["request_id"]) == ["a-1"] * 5 + ["b-2"] * 2
    assert set(log["version"]) == {1} and set(log["model"]) == {"hawks"}
    served = first.json()["outputs"][0]["data"] + [p["CH"] for p in second.json()["predictions"]]
    np.testing.assert_allclose(log["output:CH"], served, rtol=0, atol=0)
    assert {"input:Wing", "input:Tail", "input:Age"} <= set(log.columns)
