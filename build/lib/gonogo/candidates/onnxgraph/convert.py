"""A fitted candidate as one ONNX model.

The model's inputs are the raw columns the candidate reads (see `features`), its outputs the
candidate's predictions, one [n] double tensor each, named as `FittedCandidate.outputs` names
them: what `FittedCandidate.predict` gives for the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import ModelProto

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.onnxgraph.builder import Graph
from gonogo.candidates.onnxgraph.features import Features, inputs
from gonogo.candidates.onnxgraph.models import parts, scores
from gonogo.errors import InputError

_IDENTITY_LOSSES = {"squared_error", "absolute_error", "quantile"}


def convert(candidate: FittedCandidate, doc: dict[str, str]) -> ModelProto:
    """The candidate's featurizer and model in one graph; an InputError names what has no
    ONNX form (a heuristic, an estimator gonogo does not convert)."""
    place = f"candidate {candidate.name!r}"
    if candidate.kind != "model":
        raise InputError(
            place, f"has no ONNX form: only models (linear, gbm) convert; it is a {candidate.kind}"
        )
    g = Graph()
    prep, model, levels = parts(candidate.estimator, place)
    made = Features(g, candidate.schema, candidate.featurizer, levels)
    raw = scores(g, prep, model, levels, made.column, place)
    predicted = _link(g, raw, model, candidate, place)
    outputs = dict(zip(candidate.outputs, predicted, strict=True))
    return g.model(inputs(candidate.schema, candidate.featurizer), outputs, doc)


def _link(g: Graph, raw: str, model: Any, candidate: FittedCandidate, place: str) -> list[str]:
    """Raw scores as predictions: values, or probabilities of each class in code order."""
    codec = candidate.codec
    if codec.task == "regression":
        loss = getattr(model, "loss", "squared_error")
        if isinstance(loss, str) and loss not in _IDENTITY_LOSSES and hasattr(model, "_loss"):
            raise InputError(place, f"has no ONNX form: loss {loss!r} is not converted")
        return [_take(g, raw, 0)]
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    if not isinstance(model, HistGradientBoostingClassifier | LogisticRegression):
        raise InputError(place, f"has no ONNX form: {type(model).__name__} is not converted")
    if [int(c) for c in model.classes_] != list(range(len(codec))):
        raise InputError(place, "has no ONNX form: it was fitted without every class")
    if codec.task == "binary":
        return [_take(g, g.op("Sigmoid", raw), 0)]
    proba = g.op("Softmax", raw, axis=1)
    return [_take(g, proba, j) for j in range(len(codec))]


def _take(g: Graph, matrix: str, j: int) -> str:
    """Column j of an [n, k] matrix, as an [n] tensor."""
    return g.op("Gather", matrix, g.const(np.int64(j), "index"), axis=1)
