"""Packaging: a folder to build a serving image from, and its Kubernetes manifests.

`package` resolves the reference once and writes: gonogo's source and pinned constraints, the
store (the registry database and the artifacts, without caches and prediction logs) holding
the version, a Dockerfile whose command serves exactly that version, and `kubernetes.yaml` (a
Deployment whose probes are the Open Inference Protocol's health routes, and a Service). With
a tracking URI, no store is copied: the image serves the alias from the team's registry and
follows it as it moves.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from gonogo.errors import InputError
from gonogo.pipeline.tracking import relocate
from gonogo.serving.runtime import Runtime

HTTP, GRPC = 8080, 8081
EXTRAS = "pipeline,serve,onnx"
PYTHON = "3.11"
ROOT = "/srv/store"


@dataclass(frozen=True)
class Packaged:
    folder: Path
    image: str
    command: list[str]

    def lines(self) -> list[str]:
        return [
            f"wrote {self.folder}: Dockerfile, kubernetes.yaml, gonogo's source and the store",
            f"build: docker build -t {self.image} {self.folder}",
            f"deploy: kubectl apply -f {self.folder / 'kubernetes.yaml'}",
        ]


def package(
    rt: Runtime, ref: str, store: Path, out: Path, tracking: str | None, root: str = ROOT
) -> Packaged:
    """Write the folder `out` (new) for serving `rt`: pinned to its version from a copy of
    `store` (at `root` in the image), or following `ref`'s alias on the registry at
    `tracking`."""
    if out.exists():
        raise InputError("--out", f"{out} exists; expected a new folder")
    image = f"gonogo-{rt.model}:{rt.version}"
    served = ref if tracking else rt.ref
    command = ["gonogo", "serve", served, "--host", "0.0.0.0", "--port", str(HTTP)]
    command += ["--grpc-port", str(GRPC), "--store", root]
    if not tracking:
        command += ["--poll", "0"]  # a copied store never moves
    aside = out.with_name(f".{out.name}.part")
    shutil.rmtree(aside, ignore_errors=True)
    try:
        aside.mkdir(parents=True)
        _copy_source(aside / "gonogo")
        if not tracking:
            _copy_store(store, rt.model, aside / "store", root)
        (aside / "Dockerfile").write_text(dockerfile(command, tracking, root))
        (aside / "kubernetes.yaml").write_text(manifests(rt, image))
        aside.rename(out)
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return Packaged(out, image, command)


def _source() -> Path:
    """gonogo's source tree: the image installs gonogo and its constraints from it."""
    found = metadata.distribution("gonogo").read_text("direct_url.json")
    url = json.loads(found or "{}").get("url", "")
    if not url.startswith("file://"):
        raise InputError("package", "needs gonogo installed from its source tree (pip install -e)")
    return Path(url.removeprefix("file://"))


def _copy_source(into: Path) -> None:
    """gonogo's source, which the image's pip builds and installs (the image's build may use
    the package registries; `package` itself stays offline)."""
    source = _source()
    into.mkdir()
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy(source / name, into / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source / "src", into / "src", ignore=junk)


def _copy_store(store: Path, model: str, into: Path, root: str) -> None:
    """The registry database and artifacts, and the model's schema: what `serve` reads. The
    database names its artifacts by absolute paths; they are moved to `root`, where the
    image holds the store."""
    into.mkdir()
    shutil.copy(store / "mlflow.db", into / "mlflow.db")
    relocate(into / "mlflow.db", Path(root))
    shutil.copytree(store / "artifacts", into / "artifacts")
    schema = store / model / "schema.yaml"
    if schema.is_file():
        (into / model).mkdir()
        shutil.copy(schema, into / model / "schema.yaml")


def dockerfile(command: list[str], tracking: str | None, root: str) -> str:
    env = [f"ENV MLFLOW_TRACKING_URI={tracking}"] if tracking else [f"COPY store {root}"]
    return "\n".join(
        [
            f"FROM python:{PYTHON}-slim",
            "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MLFLOW_DISABLE_TELEMETRY=true",
            "RUN useradd --create-home --uid 10001 gonogo",
            "COPY gonogo /tmp/gonogo",
            "RUN pip install --no-cache-dir -c /tmp/gonogo/constraints.txt"
            f' "/tmp/gonogo[{EXTRAS}]" && rm -rf /tmp/gonogo',
            *env,
            # The server writes its prediction log into the store.
            f"RUN mkdir -p {root} && chown -R gonogo {root}",
            "USER gonogo",
            f"EXPOSE {HTTP} {GRPC}",
            f"CMD {json.dumps(command)}",
            "",
        ]
    )


def manifests(rt: Runtime, image: str) -> str:
    """A Deployment and a Service for the image, as one YAML stream."""
    labels = {"app.kubernetes.io/name": rt.model, "app.kubernetes.io/part-of": "gonogo"}
    return yaml.safe_dump_all(
        [_deployment(rt, image, labels), _service(rt, labels)], sort_keys=False
    )


def _probe(path: str, period: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 2}


def _deployment(rt: Runtime, image: str, labels: dict[str, str]) -> dict[str, Any]:
    container = {
        "name": "server",
        "image": image,
        "ports": [
            {"name": "http", "containerPort": HTTP},
            {"name": "grpc", "containerPort": GRPC},
        ],
        # Loading a version takes seconds: the startup probe gives it a minute, then the
        # liveness probe restarts a server that stops answering.
        "startupProbe": _probe("/v2/health/live", 2) | {"failureThreshold": 30},
        "livenessProbe": _probe("/v2/health/live", 10),
        "readinessProbe": _probe("/v2/health/ready", 5),
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": rt.model, "labels": labels | {"gonogo/version": str(rt.version)}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                # SIGTERM drains in-flight requests and flushes the prediction log.
                "spec": {"terminationGracePeriodSeconds": 30, "containers": [container]},
            },
        },
    }


def _service(rt: Runtime, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": rt.model, "labels": labels},
        "spec": {
            "selector": labels,
            "ports": [
                {"name": "http", "port": HTTP, "targetPort": "http"},
                {"name": "grpc", "port": GRPC, "targetPort": "grpc", "appProtocol": "grpc"},
            ],
        },
    }
