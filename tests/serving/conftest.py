"""Servers for the serving tests: a real `gonogo serve` process on loopback per story, and
the rows and requests the tests send."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pandas as pd
import pytest


class Address(str):
    """A server's REST address (host:port), with its gRPC address as `grpc`."""

    grpc: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(ref, root, *args, env=None):
    """A `gonogo serve` process and its address, once it answers ready."""
    port, grpc_port = _free_port(), _free_port()
    ports = ["--port", str(port), "--grpc-port", str(grpc_port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gonogo", "serve", ref, *ports, "--store", root, *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = Address(f"127.0.0.1:{port}")
    url.grpc = f"127.0.0.1:{grpc_port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://{url}/v2/health/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the server did not start: {proc.stderr.read() if proc.stderr else ''}")


def _stop(proc) -> None:
    """SIGTERM: uvicorn shuts down gracefully, then re-raises the signal, which gonogo exits
    by as by any SIGTERM."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    log = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def chicago_server(chicago_story):
    proc, url = _serve("chicago-ridership@production", chicago_story.root)
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def hawks_server(hawks_story):
    proc, url = _serve("hawks", hawks_story.root, "--max-batch", "50")
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def new_rows(chicago_spans):
    return pd.read_parquet(chicago_spans / "chicago-2005.parquet").head(40)


def _expected(story, rows):
    tracker = story.tracker()
    return tracker.candidate(tracker.production()).predict(rows)


def _tensor(name, datatype, data, shape=None):
    return {"name": name, "datatype": datatype, "shape": shape or [len(data)], "data": data}


@pytest.fixture(scope="module")
def hawks_body(hawks_story):
    rows = pd.read_parquet(hawks_story.problem.base_dir / "hawks-1.parquet").head(5)
    tracker = hawks_story.tracker()
    schema = tracker.candidate(tracker.production()).schema

    def tensor(f):
        values = [None if pd.isna(v) else v for v in rows[f.name]]
        if f.kind == "number":
            return _tensor(f.name, "FP64", [None if v is None else float(v) for v in values])
        return _tensor(f.name, "BYTES", [None if v is None else str(v) for v in values])

    return rows, [tensor(f) for f in schema.fields]
