"""The page's preprocessing (docs/assets/static/preprocess.js), run in node, against torchvision's transforms on PIL.

The resize is Pillow's integer arithmetic, so the cropped 8-bit picture must
be PIL's exactly, and the tensor torch's exactly (every float32 step rounded
as torch rounds it): the bound is 0, before and after normalisation. The
images cover what a reader may hand in: the default photo, odd sizes,
portrait and landscape, upscaling (a side under the resize size), a tiny
image under the crop, extreme aspect ratios, and a side equal to the resize
size (a pass left out). A planted change of one constant (the mean, the
order of the passes, the support of the filter, Python's half-to-even
rounding of the crop, the fixed point's precision) makes the comparison
fail. Beside the transform, the bare resize is compared with PIL's on
random sizes, shrinking and enlarging each axis.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import functional as F

from generator.core.config import sample_image
from generator.core.imagenet import IMAGENET_WEIGHTS
from generator.inputs.image import load_image

from .conftest import ROOT

pytestmark = pytest.mark.process

SCRIPT = ROOT / "docs" / "assets" / "static" / "preprocess.js"
RUNNER = Path(__file__).parent / "js" / "preprocess_runner.js"
SIZES = [(512, 600), (333, 517), (1023, 257), (257, 1023), (300, 200), (100, 75), (31, 17), (5, 3), (1, 1),
         (2000, 256), (256, 391), (259, 1000), (999, 13), (224, 224), (640, 480)]


def transforms_data() -> dict[str, object]:
    """What the build writes for the page, from the weights' own transforms (checked against them by the check)."""
    transforms = IMAGENET_WEIGHTS.transforms()
    return {"resize_size": transforms.resize_size[0], "crop_size": transforms.crop_size[0],
            "mean": list(transforms.mean), "std": list(transforms.std)}


def images() -> list[Image.Image]:
    generator = np.random.default_rng(31)
    pictures = [load_image(sample_image())[0]]
    for width, height in SIZES:
        noise = generator.integers(0, 256, (height, width, 3), dtype=np.uint8)
        gradient = (np.add.outer(np.arange(height), np.arange(width)) * 255 // max(1, width + height - 2)).astype(np.uint8)
        noise[..., 1] = gradient  # smooth in one channel, noise in the others: both kinds of content
        pictures.append(Image.fromarray(noise, "RGB"))
    return pictures


def run_script(script: Path, pictures: list[Image.Image], transforms: dict[str, object]) -> list[dict[str, np.ndarray]]:
    runner = RUNNER.read_text(encoding="utf-8").replace(
        'path.join(__dirname, "..", "..", "docs", "assets", "static", "preprocess.js")', json.dumps(str(script)))
    request = {"transforms": transforms, "images": [
        {"width": p.width, "height": p.height, "rgb": base64.b64encode(np.asarray(p).tobytes()).decode("ascii")}
        for p in pictures]}
    node = shutil.which("node")
    assert node, "node is needed: make test installs it with npm"
    done = subprocess.run([node, "-e", runner], input=json.dumps(request), capture_output=True, text=True, check=True,
                          timeout=300)
    crop = int(transforms["crop_size"])  # type: ignore[call-overload]
    return [{"cropped": np.frombuffer(base64.b64decode(r["cropped"]), np.uint8).reshape(crop, crop, 3),
             "tensor": np.frombuffer(base64.b64decode(r["tensor"]), "<f4").reshape(3, crop, crop)}
            for r in json.loads(done.stdout)]


def torchvision_side(picture: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    transforms = IMAGENET_WEIGHTS.transforms()
    resized = F.resize(picture, transforms.resize_size, interpolation=transforms.interpolation,
                       antialias=transforms.antialias)
    cropped = np.asarray(F.center_crop(resized, transforms.crop_size))
    return cropped, transforms(picture).numpy()


def differences(script: Path, transforms: dict[str, object] | None = None) -> list[tuple[str, int, float]]:
    pictures = images()
    found = run_script(script, pictures, transforms or transforms_data())
    rows = []
    for picture, result in zip(pictures, found):
        cropped, tensor = torchvision_side(picture)
        pixel = int(np.abs(cropped.astype(int) - result["cropped"].astype(int)).max())
        rows.append((f"{picture.width}x{picture.height}", pixel, float(np.abs(tensor - result["tensor"]).max())))
    return rows


def test_the_page_preprocesses_exactly_as_torchvision_on_pil() -> None:
    rows = differences(SCRIPT)
    assert len(rows) == len(SIZES) + 1
    assert all(pixel == 0 and tensor == 0.0 for _, pixel, tensor in rows), rows


def test_the_resize_is_pils_on_random_sizes() -> None:
    generator = np.random.default_rng(5)
    cases, wanted = [], []
    for _ in range(300):
        width, height, out_width, out_height = (int(v) for v in generator.integers(1, 260, 4))
        pixels = generator.integers(0, 256, (height, width, 3), dtype=np.uint8)
        wanted.append(np.asarray(Image.fromarray(pixels, "RGB").resize((out_width, out_height), Image.BILINEAR)))
        cases.append({"rgb": base64.b64encode(pixels.tobytes()).decode("ascii"), "width": width, "height": height,
                      "out_width": out_width, "out_height": out_height})
    runner = (f"const fs = require('fs'); require('vm').runInThisContext(fs.readFileSync({json.dumps(str(SCRIPT))}, 'utf8'));"
              "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(cases.map((c) => Buffer.from(globalThis.ResNetPreprocess.resize("
              "new Uint8Array(Buffer.from(c.rgb, 'base64')), c.width, c.height, c.out_width, c.out_height))"
              ".toString('base64'))));")
    done = subprocess.run([shutil.which("node") or "node", "-e", runner], input=json.dumps(cases), capture_output=True,
                          text=True, check=True, timeout=300)
    found = [np.frombuffer(base64.b64decode(data), np.uint8) for data in json.loads(done.stdout)]
    wrong = [(c["width"], c["height"], c["out_width"], c["out_height"]) for c, f, w in zip(cases, found, wanted)
             if not np.array_equal(f, w.reshape(-1))]
    assert wrong == []


def test_the_weights_transforms_are_the_ones_the_script_is_tested_with() -> None:
    transforms = IMAGENET_WEIGHTS.transforms()
    assert transforms.interpolation == F.InterpolationMode.BILINEAR and transforms.antialias is True
    sample = torch.zeros(3, 2, 2)  # normalisation in float32, as the script rounds it
    assert transforms(F.to_pil_image(sample)).dtype == torch.float32


@pytest.mark.parametrize(("old", "new"), [
    ("const means = mean.map(Math.fround);", "const means = mean.map((m) => Math.fround(m + 1 / 1024));"),
    ("const horizontalFirst = !(height - outHeight > 0 && height - outHeight > (width - outWidth) * 2);",
     "const horizontalFirst = true;"),
    ("const support = filterScale;", "const support = 1;"),
    ("return floor % 2 === 0 ? floor : floor + 1;", "return floor + 1;"),
    ("const PRECISION_BITS = 32 - 8 - 2;", "const PRECISION_BITS = 32 - 8 - 4;"),
], ids=["mean", "pass-order", "no-antialias", "crop-rounding", "precision"])
def test_a_changed_constant_makes_the_comparison_fail(tmp_path: Path, old: str, new: str) -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.count(old) == 1
    planted = tmp_path / "preprocess.js"
    planted.write_text(text.replace(old, new), encoding="utf-8")
    rows = differences(planted)
    assert any(pixel or tensor for _, pixel, tensor in rows), rows
