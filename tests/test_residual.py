"""The residual add: captured honestly (clones), and the identity holds for all eight blocks."""

from __future__ import annotations

import torch

from generator.core.config import sample_image
from generator.inputs.image import load_image
from generator.model.resnet import build_model, preprocess, run
from generator.report.derive import check_residuals

from .conftest import Build


def capture():
    image, _ = load_image(sample_image())
    return run(build_model(None, seed=0), preprocess(image))


def test_all_eight_blocks_satisfy_the_identity(built: Build) -> None:
    checks = built.facts.residual
    assert [c.name for c in checks] == [f"layer{s}.{b}" for s in range(1, 5) for b in range(2)]
    assert all(c.allclose for c in checks)
    assert all(c.max_abs_diff <= c.atol for c in checks)
    assert [c.downsample for c in checks] == [False, False, True, False, True, False, True, False]


def test_captured_residual_is_the_pre_add_tensor_not_an_overwritten_reference() -> None:
    """In-place add and ReLU would turn a kept reference into the output; clones keep F(x)."""
    for block in capture().blocks:
        assert (block.residual < 0).any(), block.name
        assert not torch.equal(block.residual, block.output), block.name
        assert (block.output >= 0).all(), block.name


def test_the_comparison_fails_when_the_shortcut_is_left_out() -> None:
    """The check can fail: ReLU(F(x)) alone is not the block's output."""
    for block in capture().blocks:
        assert not torch.allclose(torch.relu(block.residual), block.output), block.name


def test_check_residuals_reports_a_broken_block() -> None:
    run_capture = capture()
    run_capture.blocks[3].output = run_capture.blocks[3].output + 1.0
    checks = check_residuals(run_capture)
    assert [c.allclose for c in checks].count(False) == 1 and not checks[3].allclose
    assert checks[3].max_abs_diff >= 1.0 - 1e-6
