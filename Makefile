# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean proto docs

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench,pipeline,dask,serve,onnx,sql]'
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/gonogo run examples/chicago/problem.yaml --out runs/chicago

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest -q -n auto --dist loadgroup

# The spec reference, from the spec's models (committed; a test checks it is current).
docs: install
	$(BIN)/python -m gonogo.reference > docs/spec.md

# The gRPC modules of the Open Inference Protocol, from its .proto (committed; a test checks).
proto: install
	cd src && ../$(BIN)/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. \
	  --grpc_python_out=. gonogo/serving/proto/open_inference.proto

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs bench/out .mypy_cache .ruff_cache .pytest_cache
