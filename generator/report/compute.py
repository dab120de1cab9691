"""Model, then facts, then figures: the computation behind every page, run by the build and re-run by the check."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch
from torch import nn

from ..core.config import Config
from ..core.names import printable_name
from ..inputs.image import load_image
from ..inputs.weights import resolve_weights
from ..model.resnet import RunCapture, build_model, preprocess, run
from ..runtime import forked
from .derive import derive_facts
from .facts import Facts
from .family import describe_family, remembered_family
from .summary import collect_summary


def compute_facts(config: Config, progress: Callable[[str], None], weights_resolved: Callable[[], None] = lambda: None,
                  remember_family: bool = False) -> tuple[Facts, RunCapture, nn.Module]:
    """Resolve the weights, run the model once under hooks and derive every fact; also returns what figures need
    (the capture, and the model: its conv1 filters, and the ONNX file exported from it).

    Torch runs on one thread: the tensors of one image are small, the
    notebook kernel and MkDocs run beside the build, and with two threads any
    other load on the second core slowed a pass several times (0.1 s on one
    thread, 0.7 to 3.4 s on two). ``weights_resolved`` is called once the
    weights are in hand: the notebook's cells wait for it, since weights the
    build downloads land in the cache they read. ``remember_family`` reads
    the ResNet family from the cache of earlier builds with the same code
    and packages (report/memo.py); the check never does.
    """
    torch.set_num_threads(1)
    progress("weights: resolving " + config.weights)
    state_dict, weights = resolve_weights(
        config.weights, seed=config.seed, allow_download=config.allow_download,
        download_timeout_s=config.download_timeout_s, log=progress,
    )
    progress(f"weights: {weights.source}" + (f" (sha256 {weights.sha256[:12]}…)" if weights.sha256 else ""))
    weights_resolved()
    image, image_info = load_image(config.image)
    progress(f"image: {printable_name(image_info.name)} {image_info.width}x{image_info.height} {image_info.format}")
    model = build_model(state_dict, config.seed)
    batch = preprocess(image)
    progress("model: forward pass with hooks")
    capture = run(model, batch)
    summary = collect_summary(model, batch)
    progress("family: torchvision's other ResNets, walked without weights")
    family = remembered_family() if remember_family else describe_family()
    facts = derive_facts(model, capture, summary, weights, image_info, config, family)
    return facts, capture, model


def reproduce(config: Config) -> tuple[str, dict[str, bytes], str]:
    """facts.json, every figure and the notebook's picture (base64 PNG) as these inputs make them (never downloading).

    The check runs this in a fork, so matplotlib is imported here: the check's own process never needs it.
    """
    from . import figures
    from .channel_picture import channel_png

    facts, capture, model = compute_facts(dataclasses.replace(config, allow_download=False), lambda _: None)
    conv1_weight = model.conv1.weight.detach()
    picture = base64.b64encode(channel_png(capture.stages["layer1"], 0)).decode("ascii")  # report/notebook.py draws it
    return facts.to_json(), figures.figure_bytes(facts, capture, conv1_weight), picture


def reproduction_started(config: Config) -> AbstractContextManager[Callable[[], tuple[str, dict[str, bytes], str]]]:
    """``reproduce`` in a forked process, beside the check's own work; the block gets a call that waits for it.

    The check re-derives its values and reads the pages while the figures,
    most of its cost, are drawn on the other core.
    """
    return forked.started(lambda: reproduce(config), "the check's reproduction")
