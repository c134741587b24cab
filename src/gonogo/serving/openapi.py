"""The server's OpenAPI 3.1 document, made from the served version: its inputs are the
schema's columns, so a client generator or a fuzzer sees exactly what the model reads."""

from __future__ import annotations

from typing import Any

from gonogo.data.schema import Field
from gonogo.serving.codec import DATATYPES
from gonogo.serving.dataplane import DataPlane

_JSON_TYPES = {"number": "number", "boolean": "boolean"}


def _column(f: Field, dates: set[str]) -> dict[str, Any]:
    kind: dict[str, Any] = {"type": _JSON_TYPES.get(f.kind, "string")}
    if f.categories is not None:
        kind["examples"] = list(f.categories[:5])
    if f.name in dates:  # a calendar or trend has nothing to read in a missing date
        return kind | {"description": "a date the model derives from: never null"}
    # A null is read as a missing value in any other column, as batch prediction reads one
    # (and as an unseen category is, by default); where training held none, the client is
    # told so.
    gap = "a missing value" + ("" if f.optional else "; training held none in this column")
    return {"anyOf": [kind, {"type": "null", "description": gap}]}


def _error() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, ok: str, body: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ok}"}}},
            },
            "400": {"description": "a request the model cannot read"} | _error(),
            "404": {"description": "not served"} | _error(),
        },
    }
    if body is not None:
        ref = {"$ref": f"#/components/schemas/{body}"}
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
    return op


_METRICS = {
    "summary": "Prometheus metrics: requests, latency, errors by kind, the version served",
    "responses": {
        "200": {
            "description": "Prometheus's text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
}


def _name(version: bool) -> list[dict[str, Any]]:
    params = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    if version:
        params.append(
            {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
        )
    return params


def _schemas(plane: DataPlane) -> dict[str, Any]:
    candidate = plane.runtime.candidate
    fields, dates = candidate.schema.fields, {d.source for d in candidate.featurizer.derivations}
    row = {
        "type": "object",
        "properties": {f.name: _column(f, dates) for f in fields},
        "required": [f.name for f in fields],
    }
    tensor = {
        "type": "object",
        "required": ["name", "datatype", "shape", "data"],
        "properties": {
            "name": {
                "enum": [f.name for f in fields] + sorted(plane.runtime.ignores),
                "description": "an input of the version, or a column of its training data "
                "(or a lag of one) that it ignores, as another version's input",
            },
            "datatype": {"enum": list(DATATYPES)},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "data": {"type": "array"},
        },
    }
    return {
        "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
        "Row": row,
        "InferenceRequest": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {"type": "array", "items": tensor},
                "outputs": {"type": "array", "items": {"type": "object"}},
                "parameters": {"type": "object"},
            },
        },
        "InferenceResponse": {"type": "object"},
        "Metadata": {"type": "object"},
        "Invocation": {
            "type": "object",
            "properties": {
                "dataframe_records": {"type": "array", "items": row},
                "instances": {"type": "array", "items": row},
                "inputs": {
                    "type": "object",
                    "properties": {f.name: {"type": "array"} for f in fields},
                },
            },
        },
        "Predictions": {"type": "object", "properties": {"predictions": {"type": "array"}}},
    }


def _invocations() -> dict[str, Any]:
    """MLflow's scoring: its JSON frames, or CSV with a header row."""
    op = _op("MLflow scoring", "Predictions", "Invocation")
    op["requestBody"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return op


def document(plane: DataPlane) -> dict[str, Any]:
    rt = plane.runtime
    paths: dict[str, Any] = {
        "/v2/health/live": {"get": _op("the server is up", "Metadata")},
        "/v2/health/ready": {"get": _op("the server can predict", "Metadata")},
        "/v2": {"get": _op("server metadata", "Metadata")},
        "/invocations": {"post": _invocations()},
        "/openapi.json": {"get": _op("this document", "Metadata")},
        "/metrics": {"get": _METRICS},
    }
    for version, base in (
        (False, "/v2/models/{name}"),
        (True, "/v2/models/{name}/versions/{version}"),
    ):
        params = _name(version)
        paths[base] = {"get": _op("model metadata", "Metadata") | {"parameters": params}}
        paths[base + "/ready"] = {"get": _op("model ready", "Metadata") | {"parameters": params}}
        infer = _op("predict", "InferenceResponse", "InferenceRequest")
        paths[base + "/infer"] = {"post": infer | {"parameters": params}}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"gonogo: {rt.model}", "version": str(rt.version)},
        "paths": paths,
        "components": {"schemas": _schemas(plane)},
    }
