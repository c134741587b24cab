"""The committed gRPC modules are what `make proto` makes from the .proto beside them."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT

PROTO = "gonogo/serving/proto/open_inference.proto"


def test_the_generated_modules_match_the_proto(tmp_path):
    src = ROOT / "src"
    (tmp_path / PROTO).parent.mkdir(parents=True)
    shutil.copy(src / PROTO, tmp_path / PROTO)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I.", "--python_out=.", "--pyi_out=.",
         "--grpc_python_out=.", PROTO],
        cwd=tmp_path, check=True,
    )  # fmt: skip
    made = sorted((tmp_path / PROTO).parent.glob("open_inference_pb2*"))
    assert [p.name for p in made] == [
        "open_inference_pb2.py", "open_inference_pb2.pyi", "open_inference_pb2_grpc.py"
    ]  # fmt: skip
    for path in made:
        assert path.read_text() == (src / PROTO).parent.joinpath(path.name).read_text(), path.name
