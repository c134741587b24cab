"""A small builder of ONNX graphs: nodes, constants and fresh names, in double precision.

Every value between nodes is float64, so a graph computes what scikit-learn computes to the
last bits that float64 arithmetic in another order allows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import ModelProto, NodeProto, TensorProto, ValueInfoProto, helper, numpy_helper

OPSET = 21  # the default domain's version; ai.onnx.ml 5 brings TreeEnsemble
ML_OPSET = 5


class Graph:
    """The nodes and constants of a graph being built; each op gives its output's name."""

    def __init__(self) -> None:
        self.nodes: list[NodeProto] = []
        self.constants: list[TensorProto] = []
        self._made = 0

    def fresh(self, hint: str) -> str:
        """A name no input, output or other value has: inputs and outputs are named after
        columns, so made values carry a prefix that a column name cannot collide with."""
        self._made += 1
        return f"__{hint}_{self._made}"

    def const(self, values: Any, hint: str = "const") -> str:
        name = self.fresh(hint)
        array = np.asarray(values)
        if array.dtype.kind == "f":
            array = array.astype(np.float64)
        self.constants.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs: Any) -> str:
        """Add one node of the default domain (or `domain=` among attrs); its output's name."""
        domain = attrs.pop("domain", "")
        name = out or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], domain=domain, **attrs))
        return name

    def number(self, value: float) -> str:
        return self.const(np.float64(value), "number")

    def affine(self, x: str, scale: float, offset: float) -> str:
        """scale * x + offset."""
        return self.op("Add", self.op("Mul", x, self.number(scale)), self.number(offset))

    def floor_div(self, x: str, by: float) -> str:
        return self.op("Floor", self.op("Div", x, self.number(by)))

    def mod(self, x: str, by: float) -> str:
        """x mod by, never negative (ONNX's Mod of floats keeps the dividend's sign)."""
        return self.op("Sub", x, self.op("Mul", self.floor_div(x, by), self.number(by)))

    def flag(self, condition: str) -> str:
        """A boolean as 0.0 or 1.0."""
        return self.op("Cast", condition, to=TensorProto.DOUBLE)

    def lookup(self, table: Any, index: str) -> str:
        """table[index] for an index of whole numbers held as doubles."""
        at = self.op("Cast", index, to=TensorProto.INT64)
        return self.op("Gather", self.const(np.asarray(table, dtype=np.float64), "table"), at)

    def column(self, x: str) -> str:
        """An [n] vector as an [n, 1] matrix."""
        return self.op("Unsqueeze", x, self.const(np.array([1], dtype=np.int64), "axis"))

    def model(
        self, inputs: list[ValueInfoProto], outputs: dict[str, str], doc: dict[str, str]
    ) -> ModelProto:
        """The finished model: `outputs` maps each output's name to the value it is."""
        finals = [self.op("Identity", value, out=name) for name, value in outputs.items()]
        graph = helper.make_graph(
            self.nodes,
            "gonogo",
            inputs,
            [helper.make_tensor_value_info(n, TensorProto.DOUBLE, ["n"]) for n in finals],
            self.constants,
        )
        model = helper.make_model(
            graph,
            opset_imports=[
                helper.make_opsetid("", OPSET),
                helper.make_opsetid("ai.onnx.ml", ML_OPSET),
            ],
            producer_name="gonogo",
        )
        helper.set_model_props(model, doc)
        return model
