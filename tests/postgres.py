"""A real PostgreSQL server for the tests: Debian's `postgresql` package (installed by
`.ci/run`), a cluster of its own in a temporary folder, on a free loopback port, with a
password, stopped at the end. As root, the server runs as the `postgres` user, as
PostgreSQL refuses root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

USER, PASSWORD = "gonogo", "s3cret"


def binaries() -> Path | None:
    """The folder of PostgreSQL's server programs, if the package is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def require() -> Path:
    """The server programs; without them, a skip locally and a failure in CI."""
    found = binaries()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server is not installed; .ci/run installs it")
        pytest.skip("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server() -> Iterator[str]:
    """A running server; yields its SQLAlchemy URL (database `postgres`)."""
    bin_dir = require()
    root = Path(tempfile.mkdtemp(prefix="gonogo-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, password = root / "data", root / "password"
    password.write_text(PASSWORD)
    if as_owner:
        shutil.chown(password, "postgres", "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_owner, *args], check=True, capture_output=True, timeout=120)

    run(
        str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={password}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
    )  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w",
        "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
