"""Packaging: the Dockerfile's command, run on the packaged store, serves the pinned version
on the ports the manifests probe; the manifests hold together (parsed, no cluster needed)."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from gonogo.serving.package import package
from gonogo.serving.runtime import load
from tests.serving.conftest import _serve, _stop
from tests.stores import gonogo as cli

pytestmark = pytest.mark.xdist_group("chicago-pipeline")
REF = "chicago-ridership@production"


def _instructions(dockerfile: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in dockerfile.splitlines():
        if line.strip():
            word, _, rest = line.partition(" ")
            found.setdefault(word, []).append(rest)
    return found


def test_the_packaged_store_serves_the_pinned_version(chicago_story, tmp_path):
    out = tmp_path / "image"
    rt = load(REF, chicago_story.root)
    # The store is placed where the test can serve it, as the image places it in /srv/store.
    done = package(rt, REF, chicago_story.root, out, None, root=str(out / "store"))
    steps = _instructions((out / "Dockerfile").read_text())
    assert steps["FROM"] == ["python:3.11-slim"] and steps["USER"] == ["gonogo"]
    assert steps["EXPOSE"] == ["8080 8081"]
    assert (out / "gonogo" / "pyproject.toml").is_file() and (out / "gonogo" / "src").is_dir()
    command = json.loads(steps["CMD"][0])
    assert command == done.command
    assert command[:3] == ["gonogo", "serve", rt.ref] and command[-2:] == ["--poll", "0"]
    assert not list((out / "store").rglob("cache")), "caches stay out of the image"
    store = command[command.index("--store") + 1]
    proc, url = _serve(command[2], store, "--poll", "0", "--no-log")
    try:
        live = httpx.get(f"http://{url}/v2/health/live")
        meta = httpx.get(f"http://{url}/v2/models/{rt.model}").json()
    finally:
        _stop(proc)
    assert live.status_code == 200 and meta["versions"] == [str(rt.version)]


def test_the_manifests_probe_the_health_routes_on_the_served_ports(chicago_story, tmp_path):
    out = tmp_path / "image"
    done = cli("package", REF, "--out", out, "--store", chicago_story.root)
    assert done.returncode == 0, done.stderr
    assert "docker build -t gonogo-chicago-ridership:" in done.stdout
    deployment, service = yaml.safe_load_all((out / "kubernetes.yaml").read_text())
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert (service["apiVersion"], service["kind"]) == ("v1", "Service")
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"] == pod["metadata"]["labels"]
    assert service["spec"]["selector"] == pod["metadata"]["labels"]
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080, "grpc": 8081}
    command = json.loads(_instructions((out / "Dockerfile").read_text())["CMD"][0])
    assert command[command.index("--port") + 1] == "8080"
    assert command[command.index("--grpc-port") + 1] == "8081"
    assert command[command.index("--store") + 1] == "/srv/store"
    probes = {
        k: container[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes["livenessProbe"] == {"path": "/v2/health/live", "port": "http"}
    assert probes["readinessProbe"] == {"path": "/v2/health/ready", "port": "http"}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports)
    assert (
        container["image"]
        == f"gonogo-chicago-ridership:{deployment['metadata']['labels']['gonogo/version']}"
    )


def test_following_a_team_registry_copies_no_store(chicago_story, tmp_path):
    out = tmp_path / "image"
    uri = "http://mlflow.internal:5000"
    done = cli("package", REF, "--out", out, "--tracking-uri", uri, "--store", chicago_story.root)
    assert done.returncode == 0, done.stderr
    steps = _instructions((out / "Dockerfile").read_text())
    assert steps["ENV"][-1] == f"MLFLOW_TRACKING_URI={uri}"
    command = json.loads(steps["CMD"][0])
    assert command[2] == REF and "--poll" not in command  # follows the alias as it moves
    assert not (out / "store").exists()


def test_an_existing_folder_is_refused_and_left_alone(chicago_story, tmp_path):
    (tmp_path / "image").mkdir()
    (tmp_path / "image" / "keep.txt").write_text("mine")
    done = cli("package", REF, "--out", tmp_path / "image", "--store", chicago_story.root)
    assert done.returncode == 2 and "--out:" in done.stderr and "exists" in done.stderr
    assert [p.name for p in (tmp_path / "image").iterdir()] == ["keep.txt"]
