"""A fitted candidate as one ONNX graph: raw columns in, the candidate's predictions out."""
