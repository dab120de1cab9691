"""One line, always: a name from the user reaches a message escaped, and the console gets one line per error.

A file may be named ``w\\nerror: all good, published.pth``; shown raw, its
refusal would print a second line that reads like the tool's own verdict.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.models import resnet18, resnet34

from generator.pipeline.site import Progress
from generator.core.errors import (
    ImageError,
    MismatchError,
    ReportError,
    UsageError,
    WeightsError,
    one_line,
)
from generator.core.names import printable_line, printable_name
from generator.inputs import weights
from generator.inputs.image import load_image

from .archives import Member, members_of, saved, zip_archive
from .conftest import ROOT
from .test_cli import cli

# Each breaks a line on some console, or rewrites it (\r, ESC), or both.
BREAKERS = {"newline": "\n", "return": "\r", "escape": "\x1b[2K", "line-separator": "\u2028"}
NAMES = {kind: f"w{breaker}error: all good, published" for kind, breaker in BREAKERS.items()}
UNSAFE = ("\n", "\r", "\x1b", "\u2028")


def assert_one_escaped_line(message: str, name: str) -> None:
    assert not any(character in message for character in UNSAFE), repr(message)
    assert printable_name(name) in message, message


def _half_a_png(path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


WEIGHTS_CONTENT = {
    "not-a-checkpoint": lambda: b"\x13\x37 not a checkpoint at all" * 40,
    "web-page": lambda: b"<!doctype html><html><body>502</body></html>",
    "truncated": lambda: saved(resnet18(weights=None).state_dict())[:5000],
    "wrong-architecture": lambda: saved(resnet34(weights=None).state_dict()),
    "not-a-tensor": lambda: saved({"conv1.weight": 1.5}),
}


@pytest.mark.parametrize("kind", NAMES)
@pytest.mark.parametrize("content", WEIGHTS_CONTENT)
def test_a_weights_refusal_shows_the_files_name_escaped(tmp_path: Path, kind: str, content: str) -> None:
    path = tmp_path / f"{NAMES[kind]}.pth"
    path.write_bytes(WEIGHTS_CONTENT[content]())
    with pytest.raises(WeightsError) as refused:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert_one_escaped_line(str(refused.value), path.name)


IMAGE_CONTENT = {
    "not-an-image": lambda path: path.write_text("just some text\n"),
    "truncated": _half_a_png,
    "too-elongated": lambda path: Image.new("L", (7000, 2)).save(path, format="PNG"),
}


@pytest.mark.parametrize("kind", NAMES)
@pytest.mark.parametrize("content", IMAGE_CONTENT)
def test_an_image_refusal_shows_the_files_name_escaped(tmp_path: Path, kind: str, content: str) -> None:
    path = tmp_path / f"{NAMES[kind]}.png"
    IMAGE_CONTENT[content](path)
    with pytest.raises(ImageError) as refused:
        load_image(path)
    assert_one_escaped_line(str(refused.value), path.name)


@pytest.mark.parametrize("kind", NAMES)
def test_a_member_name_inside_a_checkpoint_is_escaped(tmp_path: Path, kind: str) -> None:
    """The archive's own names are the user's too: a member outside the archive's folder is quoted."""
    members = members_of(saved(resnet18(weights=None).state_dict()))
    path = tmp_path / "members.pth"
    path.write_bytes(zip_archive([*members, Member(f"elsewhere/{NAMES[kind]}", b"x")]))
    with pytest.raises(WeightsError) as refused:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert_one_escaped_line(str(refused.value), f"elsewhere/{NAMES[kind]}")


@pytest.mark.parametrize("kind", NAMES)
def test_a_key_inside_a_checkpoint_is_escaped(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "keys.pth"
    torch.save({**resnet18(weights=None).state_dict(), NAMES[kind]: torch.zeros(1)}, path)
    with pytest.raises(WeightsError) as refused:
        weights.resolve_weights(str(path), seed=0, allow_download=False)
    assert_one_escaped_line(str(refused.value), NAMES[kind])


@pytest.mark.parametrize("kind", NAMES)
def test_the_console_gets_one_line_even_from_a_message_that_names_a_path_raw(tmp_path: Path, kind: str) -> None:
    """The last guard: --out's refusal comes from the publish layer, and the console still gets one line."""
    out = tmp_path / NAMES[kind]
    out.write_text("a file, not a folder")
    result = cli("build", "--out", str(out), "--weights", "random", "--offline")
    assert result.returncode == UsageError.exit_code, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), repr(result.stderr)
    assert not any(character in result.stderr.rstrip("\n") for character in UNSAFE), repr(result.stderr)


def test_a_mismatch_listing_keeps_one_line_per_mismatch_and_no_more() -> None:
    error = MismatchError("2 mismatch(es) between the pages and the model:",
                          ["a.md: x: expected 1, found 2", f"{NAMES['newline']}.md: y: expected 3, found 4"])
    assert error.printable().splitlines() == [
        "2 mismatch(es) between the pages and the model:", "  a.md: x: expected 1, found 2",
        f"  {printable_name(NAMES['newline'])}.md: y: expected 3, found 4"]
    assert str(error) == "\n  ".join([error.summary, *error.listing])


def test_an_error_is_printed_on_one_line_with_its_escapes_kept() -> None:
    escaped, raw = printable_name(NAMES["newline"]), NAMES["escape"]
    assert ReportError(f"{raw} and {escaped}").printable() == f"{printable_name(raw)} and {escaped}"
    assert printable_line(printable_line(NAMES["line-separator"])) == printable_line(NAMES["line-separator"])
    assert one_line(ValueError(NAMES["escape"])) == printable_name(NAMES["escape"])


def test_a_progress_line_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    Progress()(f"image: {NAMES['newline']}")
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.process
def test_the_issues_sample_prints_one_line(tmp_path: Path) -> None:
    """The very file of the report, through the real command: one line, and it is the refusal."""
    path = tmp_path / "w\nerror: all good, published.pth"
    path.write_bytes(b"not a checkpoint")
    image = tmp_path / "i\nerror: fine.png"
    image.write_text("not an image")
    for option, value, code in (("--weights", path, WeightsError.exit_code), ("--image", image, ImageError.exit_code)):
        result = subprocess.run([sys.executable, "-m", "generator", "check", "--offline", option, str(value),
                                 "--docs", str(tmp_path / "docs")], cwd=ROOT, capture_output=True, text=True,
                                check=False)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and printable_name(value.name) in errors[0], result.stderr
        assert result.returncode == code, result.stderr

