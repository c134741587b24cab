"""Benchmark: online serving, gonogo against MLServer 1.7.1 on the same model and client.

    python bench/serve.py latency [SECONDS] [SERVERS]   (15 s; gonogo,gonogo-log,floor,mlserver)
    python bench/serve.py load [SECONDS]                (60 s)

The model is Chicago's gradient boosting in production (the store of bench/predict.py). Both
servers are driven by Triton's own clients (`tritonclient`, HTTP and gRPC) with the same
single-row Open Inference Protocol request (JSON over REST: MLServer does not take the binary
tensor extension), from client processes on this machine.

- **latency**: for each server, protocol (REST, gRPC) and number of clients (1, 8): every
  client sends requests back to back for SECONDS; p50 and p99 latency and the throughput of
  all clients together. gonogo serves with ONNX Runtime (the version's checked ONNX model);
  MLServer serves the same registered MLflow model with its MLflow runtime (`mlserver-mlflow`,
  default settings), installed with gonogo in its own virtualenv (bench/out/mlserver-venv,
  made on first use from the package registry). The floor (bench/floor.py) is the same
  stack as `gonogo serve` answering a constant: what the protocol costs before any model.
  `gonogo` serves with `--no-log`; `gonogo-log` keeps the prediction log, as `gonogo serve`
  does by default (its files go to the benchmark's store).
- **load**: 8 clients (4 REST, 4 gRPC) for SECONDS against `gonogo serve`, on a copy of that
  store with a third run (2001-2006) whose model, version 3, reads the same inputs as version
  2 and is production. A quarter of the way in, `gonogo models rollback` moves production to
  version 2; halfway, `promote` moves it back. Every request must succeed, and every
  client must see version 3, then 2, then 3 again. Exits 1 otherwise.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from pipeline import GONOGO, ROOT, SPEC, spans
from predict import MODEL, STORE, store
from run import OUT

VENV = OUT / "mlserver-venv"
LOAD_STORE = OUT / "load-store"
MLSERVER = "mlserver==1.7.1"
MLSERVER_MLFLOW = "mlserver-mlflow==1.7.1"
# MLServer 1.7.1's workers call asyncio.get_event_loop(), which uvloop 0.22 and later refuse.
UVLOOP = "uvloop==0.21.0"
ROW = {"Austin": 1.2, "Clark_Lake": 15.1, "Harlem": 3.4, "temp": 40.2, "percip": 0.0,
       "weather_rain": 0.0, "date": "2017-01-09"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(http: str, proc: subprocess.Popen[bytes], seconds: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: the server exited {proc.returncode}")
        try:
            if httpx.get(f"http://{http}/v2/models/{MODEL}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("bench: the server did not get ready")


def load_store() -> Path:
    """The predict benchmark's store and a third run, whose model is production (made once)."""
    if not (LOAD_STORE / "mlflow.db").exists():
        shutil.copytree(store(), LOAD_STORE)
        data = str(spans() / "chicago-200[1-6].parquet")
        run = [*GONOGO, "pipeline", "run", str(SPEC), "--store", str(LOAD_STORE), "--data", data]
        subprocess.run(run, check=True)
    return LOAD_STORE


def start_gonogo(
    root: Path, poll: float = 0, log: bool = False
) -> tuple[subprocess.Popen[bytes], str, str]:
    http, grpc = free_port(), free_port()
    args = [*GONOGO, "serve", MODEL, "--port", str(http), "--grpc-port", str(grpc),
            "--store", str(root), "--poll", str(poll)] + ([] if log else ["--no-log"])  # fmt: skip
    proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    wait_ready(f"127.0.0.1:{http}", proc)
    return proc, f"127.0.0.1:{http}", f"127.0.0.1:{grpc}"


def start_floor() -> tuple[subprocess.Popen[bytes], str, str]:
    """The same stack with no model: bench/floor.py."""
    http, grpc = free_port(), free_port()
    script = str(Path(__file__).with_name("floor.py"))
    proc = subprocess.Popen([sys.executable, script, str(http), str(grpc)])
    wait_ready(f"127.0.0.1:{http}", proc)
    return proc, f"127.0.0.1:{http}", f"127.0.0.1:{grpc}"


def mlserver_venv() -> Path:
    """MLServer and gonogo (for the model's code) in a virtualenv of their own."""
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "mlserver").exists():
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, MLSERVER, MLSERVER_MLFLOW, UVLOOP, f"{ROOT}[pipeline]"], check=True)
    return VENV


def start_mlserver() -> tuple[subprocess.Popen[bytes], str, str]:
    """MLServer's MLflow runtime on the model production serves, from the store's files."""
    sys.path.insert(0, str(ROOT / "src"))
    from gonogo.pipeline.registry import tracker

    registry = tracker(MODEL, STORE)
    version = registry.version("production")
    model_id = version.source.split("/")[-1]
    folder = OUT / "mlserver-models" / MODEL
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    uri = STORE / "artifacts" / "models" / model_id / "artifacts"
    settings = {"name": MODEL, "implementation": "mlserver_mlflow.MLflowRuntime",
                "parameters": {"uri": str(uri), "version": str(version.number)}}  # fmt: skip
    (folder / "model-settings.json").write_text(json.dumps(settings))
    http, grpc, metrics = free_port(), free_port(), free_port()
    server = {"http_port": http, "grpc_port": grpc, "metrics_port": metrics}
    (folder.parent / "settings.json").write_text(json.dumps(server))
    env = os.environ | {"MLFLOW_DISABLE_TELEMETRY": "true"}
    mlserver = str(mlserver_venv() / "bin" / "mlserver")
    proc = subprocess.Popen([mlserver, "start", str(folder.parent)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wait_ready(f"127.0.0.1:{http}", proc)
    return proc, f"127.0.0.1:{http}", f"127.0.0.1:{grpc}"


def _client(protocol: str, url: str) -> tuple[Any, Any]:
    if protocol == "rest":
        import tritonclient.http as client
    else:
        import tritonclient.grpc as client  # type: ignore[no-redef]
    made = client.InferenceServerClient(url)
    inputs = []
    for name, value in ROW.items():
        text = isinstance(value, str)
        tensor = client.InferInput(name, [1], "BYTES" if text else "FP64")
        data = np.array([value.encode() if text else value], dtype=object if text else np.float64)
        if protocol == "rest":  # JSON: MLServer does not take the binary tensor extension
            tensor.set_data_from_numpy(data, binary_data=False)
        else:
            tensor.set_data_from_numpy(data)
        inputs.append(tensor)
    return made, inputs


def drive(protocol: str, url: str, seconds: float, out: Any) -> None:
    """One client: requests back to back; latencies, failures and the versions answering."""
    client, inputs = _client(protocol, url)
    taken: list[float] = []
    failures, versions = 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        try:
            answer = client.infer(MODEL, inputs)
        except Exception:  # a failed request is what this counts
            failures += 1
            continue
        taken.append(time.perf_counter() - start)
        version = answer.get_response()
        version = version["model_version"] if isinstance(version, dict) else version.model_version
        if not versions or versions[-1] != version:
            versions.append(version)
    out.put({"taken": taken, "failures": failures, "versions": versions})


def clients(jobs: list[tuple[str, str]], seconds: float) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=drive, args=(p, u, seconds, queue)) for p, u in jobs]
    for p in procs:
        p.start()
    done = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return done


def summary(done: list[dict[str, Any]], seconds: float) -> dict[str, float]:
    taken = np.concatenate([d["taken"] for d in done]) * 1000
    return {
        "requests": len(taken),
        "p50_ms": round(float(np.percentile(taken, 50)), 3),
        "p99_ms": round(float(np.percentile(taken, 99)), 3),
        "per_s": round(len(taken) / seconds),
        "failures": sum(d["failures"] for d in done),
    }


SERVERS = {
    "gonogo": lambda: start_gonogo(STORE),
    "gonogo-log": lambda: start_gonogo(STORE, log=True),
    "floor": start_floor,
    "mlserver": start_mlserver,
}


def latency(seconds: float, servers: list[str]) -> None:
    store()
    table = []
    for name in servers:
        start = SERVERS[name]
        proc, http, grpc = start()
        try:
            for protocol, url in (("rest", http), ("grpc", grpc)):
                for n in (1, 8):
                    clients([(protocol, url)], 2)  # warm
                    row = summary(clients([(protocol, url)] * n, seconds), seconds)
                    row = {"server": name, "protocol": protocol, "clients": n} | row
                    print(json.dumps(row), flush=True)
                    table.append(row)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    by = {(r["server"], r["protocol"], r["clients"]): r for r in table}
    for protocol in ("rest", "grpc"):
        for n in (1, 8):
            ours = by.get(("gonogo", protocol, n))
            for peer in ("mlserver", "floor"):
                theirs = by.get((peer, protocol, n))
                if ours is None or theirs is None:
                    continue
                ratio = {"protocol": protocol, "clients": n, "against": peer,
                         "throughput_ratio": round(ours["per_s"] / theirs["per_s"], 2),
                         "p50_ratio": round(theirs["p50_ms"] / ours["p50_ms"], 2)}  # fmt: skip
                print(json.dumps(ratio), flush=True)


def load(seconds: float) -> None:
    root = load_store()
    proc, http, grpc = start_gonogo(root, poll=1)
    models = [*GONOGO, "models"]
    try:
        jobs = [("rest", http)] * 4 + [("grpc", grpc)] * 4
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [ctx.Process(target=drive, args=(p, u, seconds, queue)) for p, u in jobs]
        for p in procs:
            p.start()
        time.sleep(seconds / 4)
        subprocess.run([*models, "rollback", MODEL, "--store", str(root)], check=True)
        time.sleep(seconds / 4)
        subprocess.run([*models, "promote", f"{MODEL}@3", "--store", str(root)], check=True)
        done = [queue.get(timeout=seconds + 120) for _ in procs]
        for p in procs:
            p.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    row = {"clients": len(jobs), "seconds": seconds} | summary(done, seconds)
    row["versions_seen"] = sorted({"→".join(d["versions"]) for d in done})
    print(json.dumps(row), flush=True)
    if row["failures"] or row["versions_seen"] != ["3→2→3"]:
        raise SystemExit(1)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "latency"
    length = float(sys.argv[2]) if len(sys.argv) > 2 else (15.0 if what == "latency" else 60.0)
    if what == "latency":
        latency(length, sys.argv[3].split(",") if len(sys.argv) > 3 else list(SERVERS))
    elif what == "load":
        load(length)
    else:
        raise SystemExit(f"bench: expected latency or load, not {what!r}")
