"""Image input: every mode becomes RGB by a named step, every bad file fails clearly.

Each image is built here in tmp_path with Pillow and numpy; nothing binary is committed.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import GifImagePlugin, Image, ImageFile

from generator.core.errors import ImageError
from generator.core.limits import MAX_IMAGE_FILE_BYTES
from generator.inputs.image import MAX_ASPECT_RATIO, MAX_PIXELS, ImageProvenance, load_image


def _save(image: Image.Image, path: Path, **params) -> Path:
    image.save(path, **params)
    return path


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in pixel) for pixel in np.asarray(image).reshape(-1, 3)]


def _noise_jpeg(path: Path) -> Path:
    noise = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    return _save(Image.fromarray(noise), path, quality=95)


def _png_claiming_size(path: Path, width: int, height: int) -> Path:
    """A valid 1x1 PNG whose IHDR (with a correct CRC) claims width x height."""
    _save(Image.new("RGB", (1, 1), (1, 2, 3)), path)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def _forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_load(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_load)


# --- files that are not usable images ------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"^image file not found: .*nope\.jpg \(check the path\)$"):
        load_image(tmp_path / "nope.jpg")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"^image file .* is a directory, not a file; pass the file itself$"):
        load_image(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"image file is empty \(0 bytes\)"):
        load_image(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("just some words\n")
    with pytest.raises(ImageError, match="not an image: PIL could not identify"):
        load_image(path)


def test_formats_outside_the_list_are_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "picture.eps"  # Pillow would hand EPS to Ghostscript
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n")
    with Image.open(path) as unrestricted:
        assert unrestricted.format == "EPS"
    with pytest.raises(
        ImageError, match=r"not an image: PIL could not identify .*\(JPEG, PNG, GIF"
    ):
        load_image(path)


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_jpeg_fails_instead_of_gray_fill(tmp_path: Path, fraction: float) -> None:
    data = _noise_jpeg(tmp_path / "full.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert "cannot decode image" in str(caught.value)
    assert "truncated" in str(caught.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_png_fails(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    data = _save(Image.fromarray(noise), tmp_path / "full.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cannot decode image .*truncated or corrupt"):
        load_image(path)


def test_over_our_limit_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _png_claiming_size(tmp_path / "big.png", 8000, 8000)  # 64 M: above ours, below Pillow's
    _forbid_decoding(monkeypatch)
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == (
        f"image too large: {path} is 8000x8000 = 64,000,000 pixels, over the limit of "
        f"{MAX_PIXELS:,}; scale it down first"
    )


def test_small_limit_applies_to_a_normal_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save(Image.new("RGB", (10, 10)), tmp_path / "small.png")
    _forbid_decoding(monkeypatch)
    with pytest.raises(ImageError, match=r"is 10x10 = 100 pixels, over the limit of 99;"):
        load_image(path, max_pixels=99)


@pytest.mark.parametrize("side", [10_000, 100_000], ids=["pillow-warning", "pillow-error"])
def test_pillow_bomb_guard_becomes_image_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, side: int
) -> None:
    path = _png_claiming_size(tmp_path / "bomb.png", side, side)
    _forbid_decoding(monkeypatch)
    with pytest.raises(ImageError) as caught:
        load_image(path, max_pixels=side * side)  # ours lets it through; Pillow's must not
    assert str(caught.value).startswith(
        f"image too large: {path}: Image size ({side * side} pixels)"
    )
    assert f"the limit here is {side * side:,} pixels" in str(caught.value)


def test_32bit_values_outside_16bit_range_are_refused(tmp_path: Path) -> None:
    path = _save(Image.fromarray(np.array([[0, 70_000]], dtype=np.int32)), tmp_path / "wide.tif")
    with Image.open(path) as check:
        assert check.mode == "I"
    with pytest.raises(ImageError, match=r"integers outside 0\.\.65535 \(mode I\)"):
        load_image(path)


def test_float_mode_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _save(Image.fromarray(np.array([[0.5, 1.5]], dtype=np.float32)), tmp_path / "float.tif")
    _forbid_decoding(monkeypatch)
    with pytest.raises(ImageError, match="unsupported pixel mode F in"):
        load_image(path)


# --- limits read from the header, before any pixel --------------------------------


@pytest.mark.parametrize(
    ("width", "height", "ratio", "long_side"),
    [(40_000, 1, "40,000", "10,240,000"), (1, 40_000, "40,000", "10,240,000"), (611, 1, "611", "156,416"),
     (12_220, 20, "611", "156,416")],
    ids=["40000x1", "1x40000", "611x1", "12220x20"],
)
def test_elongated_images_are_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int, height: int, ratio: str, long_side: str
) -> None:
    path = _png_claiming_size(tmp_path / "strip.png", width, height)
    _forbid_decoding(monkeypatch)
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == (
        f"image too elongated: {path} is {width}x{height}, a side ratio of {ratio}:1, over the limit of "
        f"610:1 (the model scales the short side to 256 pixels, which would make the long side {long_side}); "
        "crop it first"
    )


@pytest.mark.parametrize("size", [(610, 1), (1, 610), (6100, 10)])
def test_elongated_images_within_the_ratio_are_used(tmp_path: Path, size: tuple[int, int]) -> None:
    path = _save(Image.new("RGB", size, (5, 6, 7)), tmp_path / "strip.png")
    picture, provenance = load_image(path)
    assert picture.size == size and (provenance.width, provenance.height) == size
    assert MAX_ASPECT_RATIO == 610


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64x64 PNG followed by 2 GiB of zeros: valid up to IEND, then far more than any picture needs."""
    path = _save(Image.new("RGB", (64, 64), (1, 2, 3)), tmp_path / "padded.png")
    size = path.stat().st_size + (2 << 30)
    os.truncate(path, size)  # sparse: costs no disk
    monkeypatch.setattr(os, "pread", lambda *args: pytest.fail("the file was read"))
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(caught.value) == (
        f"image file too large: {path} is {size:,} bytes, over the limit of {MAX_IMAGE_FILE_BYTES:,}, and was not "
        f"read; pass a JPEG, PNG, GIF, BMP, TIFF, WEBP picture of at most {MAX_PIXELS:,} pixels"
    )


def test_the_size_limit_follows_the_pixel_limit(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (10, 10)), tmp_path / "small.png")
    padded = path.stat().st_size + 4 * 5 + (1 << 20)  # just over 4 bytes a pixel plus 1 MiB, for 5 pixels
    os.truncate(path, padded)
    with pytest.raises(ImageError, match=r"image file too large: .* over the limit of 1,048,596,"):
        load_image(path, max_pixels=5)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused(device: str) -> None:
    with pytest.raises(ImageError, match=rf"^image file {device} is a character device, not a regular file"):
        load_image(Path(device))


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "camera.jpg"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match=r"is a FIFO \(named pipe\), not a regular file, and was not read"):
        load_image(fifo)


def test_sixteen_bit_scaling_works_in_bounded_memory(tmp_path: Path) -> None:
    """The old code made full-size int64 copies (16+ bytes a pixel); now only the 8-bit result is full size."""
    values = np.tile(np.arange(0, 65536, 16, dtype=np.uint16), (2000, 1))[:, :2000]
    path = _save(Image.fromarray(values), tmp_path / "deep.tif")
    tracemalloc.start()
    try:
        picture, provenance = load_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert provenance.conversions == ("16bit-scaled-to-8bit", "grayscale-to-rgb")
    assert peak < 4 * values.size  # numpy arrays only: Pillow's own buffers are not traced
    expected = ((values.astype(np.int64) * 255 + 32767) // 65535).astype(np.uint8)
    assert np.array_equal(np.asarray(picture)[..., 0], expected)


# --- images that are converted --------------------------------------------------


def test_rgb_jpeg_needs_no_conversion(tmp_path: Path) -> None:
    path = _noise_jpeg(tmp_path / "photo.jpg")
    image, provenance = load_image(path)
    assert provenance == ImageProvenance(
        name="photo.jpg",
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        width=64,
        height=64,
        original_mode="RGB",
        format="JPEG",
        conversions=(),
    )
    assert image.mode == "RGB"
    with Image.open(path) as reference:
        assert np.array_equal(np.asarray(image), np.asarray(reference.convert("RGB")))


def test_result_is_detached_from_the_file(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (3, 2), (9, 8, 7)), tmp_path / "plain.png")
    image, _ = load_image(path)
    path.unlink()
    assert getattr(image, "fp", None) is None
    assert image.getpixel((2, 1)) == (9, 8, 7)


def test_grayscale(tmp_path: Path) -> None:
    path = _save(Image.fromarray(np.array([[0, 100, 255]], dtype=np.uint8)), tmp_path / "gray.png")
    image, provenance = load_image(path)
    assert (provenance.original_mode, provenance.conversions) == ("L", ("grayscale-to-rgb",))
    assert image.mode == "RGB"
    assert _pixels(image) == [(0, 0, 0), (100, 100, 100), (255, 255, 255)]


def test_grayscale_with_alpha(tmp_path: Path) -> None:
    gray_alpha = np.array([[[100, 255], [30, 0]]], dtype=np.uint8)
    bands = [Image.fromarray(gray_alpha[..., 0]), Image.fromarray(gray_alpha[..., 1])]
    path = _save(Image.merge("LA", bands), tmp_path / "gray-alpha.png")
    image, provenance = load_image(path)
    assert provenance.original_mode == "LA"
    assert provenance.conversions == ("grayscale-to-rgb", "alpha-blended-on-white")
    assert _pixels(image) == [(100, 100, 100), (255, 255, 255)]


def _palette_image() -> Image.Image:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 255, 0])
    image.putpixel((1, 0), 1)
    return image


def test_palette(tmp_path: Path) -> None:
    path = _save(_palette_image(), tmp_path / "palette.png")
    image, provenance = load_image(path)
    assert (provenance.original_mode, provenance.conversions) == ("P", ("palette-to-rgb",))
    assert _pixels(image) == [(255, 0, 0), (0, 255, 0)]


def test_palette_with_transparency(tmp_path: Path) -> None:
    path = _save(_palette_image(), tmp_path / "palette-alpha.png", transparency=0)
    image, provenance = load_image(path)
    assert provenance.original_mode == "P"
    assert provenance.conversions == ("palette-to-rgb", "alpha-blended-on-white")
    assert _pixels(image) == [(255, 255, 255), (0, 255, 0)]


@pytest.mark.parametrize(("suffix", "tolerance"), [(".tif", 0), (".jpg", 6)])
def test_cmyk(tmp_path: Path, suffix: str, tolerance: int) -> None:
    path = _save(Image.new("CMYK", (4, 4), (0, 255, 255, 0)), tmp_path / f"cmyk{suffix}")
    image, provenance = load_image(path)
    assert (provenance.original_mode, provenance.conversions) == ("CMYK", ("cmyk-to-rgb",))
    assert np.abs(np.asarray(image, dtype=int) - [255, 0, 0]).max() <= tolerance


def test_rgba_is_blended_on_white(tmp_path: Path) -> None:
    rgba = np.array([[[255, 0, 0, 0], [0, 0, 255, 255], [255, 0, 0, 128]]], dtype=np.uint8)
    path = _save(Image.fromarray(rgba), tmp_path / "alpha.png")
    image, provenance = load_image(path)
    assert (provenance.original_mode, provenance.conversions) == (
        "RGBA",
        ("alpha-blended-on-white",),
    )
    transparent, opaque, half = _pixels(image)
    assert transparent == (255, 255, 255)
    assert opaque == (0, 0, 255)
    assert half[0] == 255
    assert 126 <= half[1] == half[2] <= 128


def test_16bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    path = _save(Image.fromarray(values), tmp_path / "deep.png")
    image, provenance = load_image(path)
    assert provenance.original_mode == "I;16"
    assert provenance.conversions == ("16bit-scaled-to-8bit", "grayscale-to-rgb")
    assert _pixels(image) == [(0, 0, 0), (1, 1, 1), (128, 128, 128), (255, 255, 255)]


def test_32bit_integer_mode_in_range_is_scaled(tmp_path: Path) -> None:
    path = _save(Image.fromarray(np.array([[65535, 32768]], dtype=np.int32)), tmp_path / "int.tif")
    image, provenance = load_image(path)
    assert provenance.original_mode == "I"
    assert _pixels(image) == [(255, 255, 255), (128, 128, 128)]


def test_animated_gif_uses_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (3, 3), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as check:
        assert check.n_frames == 3
    image, provenance = load_image(path)
    assert provenance.format == "GIF"
    assert provenance.original_mode == "P"
    assert provenance.conversions == ("first-frame-of-animation", "palette-to-rgb")
    assert set(_pixels(image)) == {(255, 0, 0)}


def test_an_animation_is_not_walked_frame_by_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting frames reads the whole file: a GIF of millions of 1x1 frames took seconds per MB."""
    frames = [Image.new("RGB", (2, 2), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    monkeypatch.setattr(
        GifImagePlugin.GifImageFile, "n_frames", property(lambda self: pytest.fail("every frame was walked"))
    )
    _, provenance = load_image(path)
    assert provenance.conversions == ("first-frame-of-animation", "palette-to-rgb")


_LOSSLESS_ENOUGH = {".png": {}, ".jpg": {"quality": 100, "subsampling": 0}}


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_exif_orientation_is_applied(tmp_path: Path, suffix: str) -> None:
    source = Image.new("RGB", (4, 2), (0, 0, 255))
    source.paste((255, 0, 0), (0, 0, 2, 1))  # mark the top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    path = _save(source, tmp_path / f"rotated{suffix}", exif=exif, **_LOSSLESS_ENOUGH[suffix])
    image, provenance = load_image(path)
    assert provenance.conversions == ("exif-transposed",)
    assert (image.size, provenance.width, provenance.height) == ((2, 4), 2, 4)
    corner = image.getpixel((1, 0))  # the top-left corner ends up top-right
    assert corner[0] > 200
    assert corner[2] < 60


def test_upright_exif_is_not_a_conversion(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    path = _save(Image.new("RGB", (4, 2)), tmp_path / "upright.png", exif=exif)
    image, provenance = load_image(path)
    assert image.size == (4, 2)
    assert provenance.conversions == ()
