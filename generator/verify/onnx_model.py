"""The gate's side of the ONNX model: the file the site serves holds this run's weights, tensor by tensor.

This module never imports the writer (report/onnx_export.py). It reads the
site's copy of the model (what a reader's browser loads) with the ``onnx``
package's protobuf schema and compares it with the check's own ResNet18
(verify/expected.py):

- the site's copy is byte for byte docs/' copy;
- every initializer is a tensor of the model's state dict, under its name,
  of its dtype and shape, with the same bits; and every state dict tensor the
  forward pass uses is there (``num_batches_tracked`` only counts training
  steps);
- the one input is the image, of the shape the weights' transforms give;
- the outputs are the logits and the tensors the explorer shows, in this order
  and under these names: conv1 (before BatchNorm), maxpool, then for each
  BasicBlock its projected shortcut (downsampling blocks only), F(x) and its
  output, each of the shape the check's own forward pass gave;
- model.json, which the page reads beside it, names that file with its size
  and SHA-256, the same input and outputs, torchvision's transforms of the
  weights entry (resize and crop sizes, mean, standard deviation, bilinear
  with antialiasing: the page's preprocessing takes its numbers from here)
  and its category names, as the check reads them from torchvision itself,
  and the largest image the page runs (the build's limit on pixels).

What the graph computes with those weights is held by the browser tests,
which run it in onnxruntime-web against torch (tests/test_own_image_browser.py).
Each problem is one mismatch naming the tensor.

Only the schema is loaded (``onnx/onnx_ml_pb2.py``, which needs nothing but
protobuf): importing the ``onnx`` package loads its helpers and ml_dtypes,
0.6 s of CPU in every check, to read 102 tensors whose bytes are compared
here anyway. ``tensor_array`` reads a tensor as ONNX's format defines it:
little-endian raw bytes, or the typed field of its data type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import functools
import hashlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

import numpy as np

from ..core.config import MODEL_DATA, MODEL_FILE, MODEL_FOLDER
from ..core.json_input import PUBLISHED_JSON_MAX_DEPTH, loads_bounded
from ..core.limits import MAX_PIXELS
from ..publish.journal import published_bytes
from .mismatch import UNREADABLE, Mismatch

INPUT = "image"
SCHEMA = "onnx.onnx_ml_pb2"
# TensorProto.DataType -> (numpy dtype, the field that holds such values when raw_data is empty)
DATA_TYPES: dict[int, tuple[str, str]] = {1: ("<f4", "float_data"), 6: ("<i4", "int32_data"),
                                          7: ("<i8", "int64_data"), 11: ("<f8", "double_data")}
UNUSED_BUFFER = "num_batches_tracked"  # BatchNorm's count of training steps: eval mode never reads it


@dataclass(frozen=True)
class ModelReference:
    """The check's own model: its state dict (unused buffers left out) and the graph's input and output shapes."""

    parameters: dict[str, np.ndarray]
    input_shape: tuple[int, ...]  # batch of one
    outputs: dict[str, tuple[int, ...]]  # name -> shape, in the graph's order
    transforms: dict[str, Any]  # the weights entry's transforms, as model.json must state them
    categories: list[str]


def model_reference(state: dict[str, object], input_shape: tuple[int, ...], outputs: dict[str, tuple[int, ...]],
                    weights_entry: Any) -> ModelReference:
    """From the check's model's state dict (torch tensors), the batch's shape, its outputs' shapes and torchvision's
    weights entry (its transforms and category names)."""
    parameters = {name: tensor.detach().cpu().numpy().copy() for name, tensor in state.items()  # type: ignore[attr-defined]
                  if not name.endswith(UNUSED_BUFFER)}
    transforms = weights_entry.transforms()
    wanted = {"resize_size": transforms.resize_size[0], "crop_size": transforms.crop_size[0],
              "mean": list(transforms.mean), "std": list(transforms.std),
              "interpolation": transforms.interpolation.value, "antialias": transforms.antialias}
    return ModelReference(parameters, tuple(input_shape), dict(outputs), wanted,
                          list(weights_entry.meta["categories"]))


def dims(value: object) -> list[int | str]:
    """A graph value's shape as written (a symbolic dimension by its name)."""
    shape = value.type.tensor_type.shape  # type: ignore[attr-defined]
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in shape.dim]


@functools.cache
def schema() -> ModuleType:
    """ONNX's generated protobuf classes, without the rest of the onnx package (loaded once, under a name of
    this module's: registered as onnx's own, an ``import onnx`` after it would find no ``onnx.onnx_ml_pb2``)."""
    loaded = sys.modules.get(SCHEMA)
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("onnx")
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("onnx is not installed: pip install -r requirements.txt")
    spec = importlib.util.spec_from_file_location(f"{__name__}.schema",
                                                  Path(package.submodule_search_locations[0]) / "onnx_ml_pb2.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def tensor_array(tensor: Any) -> np.ndarray:
    """A TensorProto's values, as ONNX's format defines them; ValueError for a kind this model never holds."""
    kind = DATA_TYPES.get(tensor.data_type)
    if kind is None or tensor.data_location == 1:  # 1: EXTERNAL, values in another file
        raise ValueError(f"data type {tensor.data_type}" + (", stored outside the file" if kind else ""))
    dtype, field = kind
    shape = tuple(tensor.dims)
    if tensor.raw_data:
        values = np.frombuffer(tensor.raw_data, dtype=dtype)
    else:
        values = np.array(getattr(tensor, field), dtype=dtype)
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{values.size} values for shape {list(shape)}")
    return values.astype(np.dtype(dtype).newbyteorder("="), copy=False).reshape(shape)


def compare(site: Path, docs: Path, reference: ModelReference) -> list[Mismatch]:
    """The site's model against docs/' copy and the check's model."""
    where = f"{MODEL_FOLDER}/{MODEL_FILE}"
    data = published_bytes(site / MODEL_FOLDER / MODEL_FILE)
    if data is None:
        return [Mismatch(where, "file", "the run's model as ONNX",
                         "missing" if not (site / MODEL_FOLDER / MODEL_FILE).exists() else UNREADABLE)]
    if published_bytes(docs / MODEL_FOLDER / MODEL_FILE) != data:
        return [Mismatch(where, "file", "the site's copy, byte for byte, in docs", "another file or none")]
    try:
        model = schema().ModelProto.FromString(data)
    except Exception as error:  # noqa: BLE001  protobuf raises its own DecodeError and others: any is a broken file
        return [Mismatch(where, "file", "an ONNX model", f"unreadable ({type(error).__name__})")]
    if not model.ir_version or not model.HasField("graph"):  # an empty file, or other bytes protobuf happens to accept
        return [Mismatch(where, "file", "an ONNX model", "no model (no format version or no graph)")]
    graph = model.graph
    return graph_mismatches(where, graph, reference) + compare_page_data(site, docs, data, reference)


def graph_mismatches(where: str, graph: Any, reference: ModelReference) -> list[Mismatch]:
    """Every initializer against the state dict, then the graph's input and outputs."""
    mismatches = []
    for init in graph.initializer:
        try:
            problem = tensor_problem(init.name, tensor_array(init), reference)
        except ValueError as error:
            problem = ("a tensor of the model's state dict", f"unreadable ({error})")
        if problem:
            mismatches.append(Mismatch(where, f"initializer {init.name}", *problem))
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


def compare_page_data(site: Path, docs: Path, model: bytes, reference: ModelReference) -> list[Mismatch]:
    """model.json against the model file it describes and torchvision's weights entry, field by field."""
    where = f"{MODEL_FOLDER}/{MODEL_DATA}"
    data = published_bytes(site / MODEL_FOLDER / MODEL_DATA)
    if data is None:
        return [Mismatch(where, "file", "the model's data for the page", "missing or " + UNREADABLE)]
    if published_bytes(docs / MODEL_FOLDER / MODEL_DATA) != data:
        return [Mismatch(where, "file", "the site's copy, byte for byte, in docs", "another file or none")]
    try:
        found = loads_bounded(data.decode("utf-8"), PUBLISHED_JSON_MAX_DEPTH)
    except (ValueError, UnicodeDecodeError) as error:
        return [Mismatch(where, "file", "JSON", f"unreadable ({type(error).__name__})")]
    wanted = {"file": MODEL_FILE, "bytes": len(model), "sha256": hashlib.sha256(model).hexdigest(), "input": INPUT,
              "outputs": list(reference.outputs), "transforms": reference.transforms,
              "categories": reference.categories, "max_pixels": MAX_PIXELS}
    if not isinstance(found, dict) or set(found) != set(wanted):
        return [Mismatch(where, "fields", ", ".join(sorted(wanted)),
                         ", ".join(sorted(found)) if isinstance(found, dict) else type(found).__name__)]
    mismatches = []
    for key, value in wanted.items():
        if isinstance(value, dict) and isinstance(found[key], dict):
            mismatches += [Mismatch(where, f"{key}.{name}", repr(value.get(name)), repr(found[key].get(name)))
                           for name in sorted(set(value) | set(found[key])) if found[key].get(name) != value.get(name)]
        elif found[key] != value:
            mismatches.append(Mismatch(where, key, brief(value), brief(found[key])))
    return mismatches


def brief(value: object) -> str:
    """A value for a one-line mismatch: a list of a thousand names is cut."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def tensor_problem(name: str, found: np.ndarray, reference: ModelReference) -> tuple[str, str] | None:
    """(expected, found) when an initializer is not the state dict's tensor of that name, bit for bit; else None."""
    wanted = reference.parameters.get(name)
    if wanted is None:
        return "only tensors of the model's state dict", "a tensor the model does not have"
    if found.dtype != wanted.dtype or found.shape != wanted.shape:
        return f"{wanted.dtype} {list(wanted.shape)}", f"{found.dtype} {list(found.shape)}"
    differing = np.flatnonzero(bits(found) != bits(wanted))
    if differing.size == 0:
        return None
    at = int(differing[0])
    return (f"the state dict's values ({differing.size} of {wanted.size} differ; first at flat index {at}: "
            f"{float(wanted.reshape(-1)[at]):.9g})", f"{float(found.reshape(-1)[at]):.9g}")


def bits(array: np.ndarray) -> np.ndarray:
    """Each value's bits as one unsigned integer of its width: equal integers are the same bits (so -0.0 differs
    from 0.0, and NaN equals itself); 30 times faster than comparing bytes."""
    return np.ascontiguousarray(array).reshape(-1).view(np.dtype(f"u{array.dtype.itemsize}"))
