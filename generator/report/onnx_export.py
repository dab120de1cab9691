"""The run's ResNet18 as an ONNX file, with every tensor the explorer shows as an output, for the page that runs it.

The graph is torch.onnx's TorchScript exporter (``dynamo=False``): one trace
of a module that calls ResNet18's own submodules in torchvision's order and
returns, beside the logits, conv1's output (before BatchNorm), the max
pooling's, and for every BasicBlock its projected shortcut (downsampling
blocks only: an identity block's shortcut is the previous block's output),
F(x) (bn2's output) and its output; a stage's output is its last block's.
Measured here: 0.3 s warm, about 1.2 s in a fresh process that has imported
torch, where the dynamo exporter needs onnxscript and several seconds.

Two options keep the file a faithful copy of the weights, which the check
compares tensor by tensor with the model's state dict (verify/onnx_model.py):
``training=PRESERVE`` on a model in eval mode exports BatchNorm as inference
BatchNorm without folding it into the convolutions (EVAL mode's peephole
folds it, and conv1's own output would vanish), and
``keep_initializers_as_inputs`` stops the exporter from merging initializers
of equal values into one (random weights have 40 identical BatchNorm tensors),
so every state dict tensor keeps its own name. The initializers are then taken
out of the graph's inputs, so that the only input is the image. The bytes are
the same every run (tests/test_onnx_export.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from ..core import atomic
from ..core.config import MODEL_DATA, MODEL_FILE
from ..core.imagenet import IMAGENET_WEIGHTS
from ..core.limits import MAX_PIXELS
from ..model.resnet import STAGES, basic_blocks

INPUT = "image"
LOGITS = "logits"
OPSET = 17  # every operator here (Conv, BatchNormalization, MaxPool, Add, Relu, GlobalAveragePool, Gemm) is older


def output_names(model: nn.Module) -> list[str]:
    """The graph's outputs, in order: the logits, conv1 and maxpool, then each block's tensors."""
    names = [LOGITS, "conv1", "maxpool"]
    for name, block in basic_blocks(model):
        names += [*([f"{name}.shortcut"] if block.downsample is not None else []), f"{name}.residual",
                  f"{name}.output"]
    return names


class Explained(nn.Module):
    """ResNet18's forward pass, submodule by submodule, returning every tensor the explorer shows.

    The submodules are ResNet18's own, registered under their own names, so the
    initializers carry the state dict's names.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        convolved = self.conv1(image)
        x = self.maxpool(self.relu(self.bn1(convolved)))
        shown = [convolved, x]
        for stage in STAGES:
            for block in self.get_submodule(stage):
                residual = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
                shortcut = x if block.downsample is None else block.downsample(x)
                x = torch.relu(residual + shortcut)  # BasicBlock: out += identity, then ReLU
                shown += [*([shortcut] if block.downsample is not None else []), residual, x]
        logits = self.fc(torch.flatten(self.avgpool(x), 1))
        return (logits, *shown)


def onnx_bytes(model: nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """The ONNX file of this model in eval mode for a batch of one of input_shape: the same bytes every run."""
    import onnx

    explained = Explained(model).eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice: it is chosen on purpose
        torch.onnx.export(explained, (torch.zeros(1, *input_shape),), buffer, dynamo=False, opset_version=OPSET,
                          input_names=[INPUT], output_names=output_names(model), do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE, keep_initializers_as_inputs=True)
    exported = onnx.load_from_string(buffer.getvalue())
    image = [value for value in exported.graph.input if value.name == INPUT]
    del exported.graph.input[:]  # the initializers were inputs too: the page feeds the image alone
    exported.graph.input.extend(image)
    return exported.SerializeToString(deterministic=True)


def page_data(model_bytes: bytes, names: list[str]) -> bytes:
    """model.json: what the page needs beside the file, every number from torchvision's weights entry.

    The file's size (the progress bar) and SHA-256, the graph's input and
    outputs, the weights' transforms (the page's preprocessing reads its
    sizes, mean and standard deviation from here: none is typed into the
    script), the category names the top-5 shows, and the largest image it
    runs, in pixels: the build's own limit (core/limits.py), which the page
    states.
    """
    transforms = IMAGENET_WEIGHTS.transforms()
    data = {
        "file": MODEL_FILE, "bytes": len(model_bytes), "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "input": INPUT, "outputs": names,
        "transforms": {"resize_size": transforms.resize_size[0], "crop_size": transforms.crop_size[0],
                       "mean": list(transforms.mean), "std": list(transforms.std),
                       "interpolation": transforms.interpolation.value, "antialias": transforms.antialias},
        "categories": list(IMAGENET_WEIGHTS.meta["categories"]),
        "max_pixels": MAX_PIXELS,
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_model(model: nn.Module, input_shape: tuple[int, ...], folder: Path) -> list[str]:
    """The ONNX file and model.json into folder; returns their names."""
    data = onnx_bytes(model, input_shape)
    atomic.write_bytes(folder / MODEL_FILE, data)
    atomic.write_bytes(folder / MODEL_DATA, page_data(data, output_names(model)))
    return [MODEL_DATA, MODEL_FILE]
