"""The wire types: tensors in the binary extension decode to the values they carry, whatever
their width, and a body that does not add up is a RequestError naming the input."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pytest

from gonogo.errors import RequestError
from gonogo.serving import codec


@pytest.mark.parametrize("datatype", ["FP16", "FP32", "FP64", "INT8", "INT32", "UINT64", "BOOL"])
def test_binary_tensors_decode_to_their_values(datatype):
    values = np.array([0, 1, 1, 0, 1] if datatype == "BOOL" else [3, -0.5, 7, 0, 120])
    sent = values.astype(codec.FIXED[datatype])
    got = codec.from_binary("x", datatype, sent.tobytes(), len(sent))
    assert got.type == (pa.bool_() if datatype == "BOOL" else codec.ARROW[datatype])
    np.testing.assert_array_equal(got.to_numpy(zero_copy_only=False), sent)


def test_text_tensors_decode_from_length_prefixed_bytes():
    words = ["Monday", "", "héllo"]
    raw = b"".join(struct.pack("<I", len(w.encode())) + w.encode() for w in words)
    assert codec.from_binary("day", "BYTES", raw, 3).to_pylist() == words


@pytest.mark.parametrize(
    ("datatype", "raw", "count", "message"),
    [
        ("FP64", b"\x00" * 12, 2, "input 'x': expected 16 bytes of FP64; got 12"),
        ("BYTES", struct.pack("<I", 9) + b"short", 1, "input 'x': binary BYTES data ends early"),
        ("BYTES", struct.pack("<I", 1) + b"ab", 1, "longer than its shape"),
        ("BYTES", struct.pack("<I", 1) + b"\xff", 1, "BYTES values must be UTF-8 text"),
    ],
)
def test_binary_data_that_does_not_add_up_names_the_input(datatype, raw, count, message):
    with pytest.raises(RequestError, match=message):
        codec.from_binary("x", datatype, raw, count)


def test_a_json_body_and_its_binary_part_decode_together():
    head = {
        "inputs": [
            {
                "name": "temp",
                "datatype": "FP32",
                "shape": [2],
                "parameters": {"binary_data_size": 8},
            },
            {"name": "day", "datatype": "BYTES", "shape": [2], "data": ["Mon", "Tue"]},
        ],
        "outputs": [{"name": "prediction", "parameters": {"binary_data": True}}],
        "id": "r-1",
    }
    text = codec.json.dumps(head).encode()
    request = codec.decode(text + np.array([1.5, -2], "<f4").tobytes(), str(len(text)))
    temp, day = request.inputs
    assert (temp.shape, temp.values.to_pylist(), day.values.to_pylist()) == (
        (2,),
        [1.5, -2.0],
        ["Mon", "Tue"],
    )
    assert (request.outputs, request.binary, request.id) == (
        ("prediction",),
        frozenset({"prediction"}),
        "r-1",
    )


def test_a_fraction_sent_as_whole_numbers_is_refused_not_cut():
    """Arrow reads 70.1 into an INT32 as 70, without a word; 70.0 is whole."""
    body = {"inputs": [{"name": "age", "datatype": "INT32", "shape": [2], "data": [70.0, 70.1]}]}
    with pytest.raises(
        RequestError, match=r"^input 'age': expected INT32 values, whole; found 70.1"
    ):
        codec.decode(codec.json.dumps(body).encode(), None)
    body["inputs"][0]["data"] = [70.0, 71]
    assert codec.decode(codec.json.dumps(body).encode(), None).inputs[0].values.to_pylist() == [
        70,
        71,
    ]
