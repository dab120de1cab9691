"""The gate's side of the ONNX model: the file the site serves holds this run's weights, tensor by tensor.

This module never imports the writer (report/onnx_export.py). It reads the
site's copy of the model (what a reader's browser loads) with the ``onnx``
package and compares it with the check's own ResNet18 (verify/expected.py):

- the site's copy is byte for byte docs/' copy;
- every initializer is a tensor of the model's state dict, under its name,
  of its dtype and shape, with the same bits; and every state dict tensor the
  forward pass uses is there (``num_batches_tracked`` only counts training
  steps);
- the one input is the image, of the shape the weights' transforms give;
- the outputs are the logits and the tensors the explorer shows, in this order
  and under these names: conv1 (before BatchNorm), maxpool, then for each
  BasicBlock its projected shortcut (downsampling blocks only), F(x) and its
  output, each of the shape the check's own forward pass gave.

What the graph computes with those weights is held by the browser tests,
which run it in onnxruntime-web against torch (tests/test_own_image_browser.py).
Each problem is one mismatch naming the tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.config import MODEL_FILE, MODEL_FOLDER
from ..publish.journal import published_bytes
from .mismatch import UNREADABLE, Mismatch

INPUT = "image"
UNUSED_BUFFER = "num_batches_tracked"  # BatchNorm's count of training steps: eval mode never reads it


@dataclass(frozen=True)
class ModelReference:
    """The check's own model: its state dict (unused buffers left out) and the graph's input and output shapes."""

    parameters: dict[str, np.ndarray]
    input_shape: tuple[int, ...]  # batch of one
    outputs: dict[str, tuple[int, ...]]  # name -> shape, in the graph's order


def model_reference(state: dict[str, object], input_shape: tuple[int, ...],
                    outputs: dict[str, tuple[int, ...]]) -> ModelReference:
    """From the check's model's state dict (torch tensors), the batch's shape and its outputs' shapes."""
    parameters = {name: tensor.detach().cpu().numpy().copy() for name, tensor in state.items()  # type: ignore[attr-defined]
                  if not name.endswith(UNUSED_BUFFER)}
    return ModelReference(parameters, tuple(input_shape), dict(outputs))


def dims(value: object) -> list[int | str]:
    """A graph value's shape as written (a symbolic dimension by its name)."""
    shape = value.type.tensor_type.shape  # type: ignore[attr-defined]
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in shape.dim]


def compare(site: Path, docs: Path, reference: ModelReference) -> list[Mismatch]:
    """The site's model against docs/' copy and the check's model."""
    import onnx
    from onnx import numpy_helper

    where = f"{MODEL_FOLDER}/{MODEL_FILE}"
    data = published_bytes(site / MODEL_FOLDER / MODEL_FILE)
    if data is None:
        return [Mismatch(where, "file", "the run's model as ONNX",
                         "missing" if not (site / MODEL_FOLDER / MODEL_FILE).exists() else UNREADABLE)]
    if published_bytes(docs / MODEL_FOLDER / MODEL_FILE) != data:
        return [Mismatch(where, "file", "the site's copy, byte for byte, in docs", "another file or none")]
    try:
        graph = onnx.load_from_string(data).graph
    except Exception as error:  # noqa: BLE001  protobuf raises its own DecodeError and others: any is a broken file
        return [Mismatch(where, "file", "an ONNX model", f"unreadable ({type(error).__name__})")]
    mismatches = [Mismatch(where, f"initializer {name}", *problem)
                  for name, problem in ((init.name, tensor_problem(init.name, numpy_helper.to_array(init), reference))
                                        for init in graph.initializer) if problem]
    present = {init.name for init in graph.initializer}
    mismatches += [Mismatch(where, f"initializer {name}", f"{reference.parameters[name].dtype} "
                            f"{list(reference.parameters[name].shape)} from the model's state dict", "missing")
                   for name in reference.parameters if name not in present]
    inputs = [(value.name, dims(value)) for value in graph.input]
    if inputs != [(INPUT, list(reference.input_shape))]:
        mismatches.append(Mismatch(where, "inputs", repr([(INPUT, list(reference.input_shape))]), repr(inputs)))
    outputs = [(value.name, dims(value)) for value in graph.output]
    wanted = [(name, list(shape)) for name, shape in reference.outputs.items()]
    if outputs != wanted:
        first = next((i for i, (out, want) in enumerate(zip(outputs, wanted)) if out != want), min(len(outputs), len(wanted)))
        mismatches.append(Mismatch(where, f"output {first}", repr(wanted[first]) if first < len(wanted) else "none",
                                   repr(outputs[first]) if first < len(outputs) else "none"))
    return mismatches


def tensor_problem(name: str, found: np.ndarray, reference: ModelReference) -> tuple[str, str] | None:
    """(expected, found) when an initializer is not the state dict's tensor of that name, bit for bit; else None."""
    wanted = reference.parameters.get(name)
    if wanted is None:
        return "only tensors of the model's state dict", "a tensor the model does not have"
    if found.dtype != wanted.dtype or found.shape != wanted.shape:
        return f"{wanted.dtype} {list(wanted.shape)}", f"{found.dtype} {list(found.shape)}"
    differing = np.flatnonzero((bits(found) != bits(wanted)).any(axis=1))
    if differing.size == 0:
        return None
    at = int(differing[0])
    return (f"the state dict's values ({differing.size} of {wanted.size} differ; first at flat index {at}: "
            f"{float(wanted.reshape(-1)[at]):.9g})", f"{float(found.reshape(-1)[at]):.9g}")


def bits(array: np.ndarray) -> np.ndarray:
    """Each value's bytes as a row: equal rows are the same bits (so -0.0 differs from 0.0, and NaN equals itself)."""
    return np.ascontiguousarray(array).reshape(array.size, 1).view(np.uint8)
