"""The paper's CIFAR-10 networks (its section 4.2), plain and residual, at any depth 6n+2.

A 3x3 convolution, then three stages of n blocks of two 3x3 convolutions
each (16, 32 and 64 channels; the first convolution of the second and third
stage halves the size), global average pooling and a fully connected
layer: 6n+2 weighted layers. Every convolution is followed by BatchNorm.
The residual nets add the input of each block to its output before the last
ReLU, with the paper's parameter-free shortcut (option A) where the size
halves: the input subsampled and its extra channels zero, so a plain net and
a residual net of one depth have exactly the same parameters.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from .recipe import SETUP

WIDTHS: tuple[int, ...] = SETUP.widths
KINDS: tuple[str, ...] = ("plain", "residual")


class Block(nn.Module):
    """Two 3x3 convolutions; with ``shortcut`` the block's input is added before the last ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, shortcut: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = shortcut
        self.stride = stride
        self.extra_channels = out_channels - in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(functional.relu(self.bn1(self.conv1(x)))))
        if self.shortcut:
            identity = x[:, :, :: self.stride, :: self.stride]
            out = out + functional.pad(identity, (0, 0, 0, 0, 0, self.extra_channels))
        return functional.relu(out)


class CifarNet(nn.Module):
    """The paper's 6n+2-layer net for small images; ``kind`` is "plain" or "residual"."""

    def __init__(self, depth: int, kind: str, in_channels: int, classes: int,
                 widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        if (depth - 2) % 6 or depth < 8 or kind not in KINDS:
            raise ValueError(f"no {kind} net of depth {depth}: the depth is 6n+2 and the kind one of {KINDS}")
        blocks_per_stage = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers: list[nn.Module] = []
        channels = widths[0]
        for stage, width in enumerate(widths):
            for index in range(blocks_per_stage):
                stride = 2 if stage > 0 and index == 0 else 1
                layers.append(Block(channels, width, stride, shortcut=kind == "residual"))
                channels = width
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(functional.relu(self.bn1(self.conv1(x))))
        return self.fc(out.mean(dim=(2, 3)))


def weighted_layers(net: nn.Module) -> int:
    """The depth in the net's name: its convolutions and fully connected layers."""
    return sum(isinstance(module, (nn.Conv2d, nn.Linear)) for module in net.modules())
