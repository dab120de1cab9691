"""Open the user's image defensively and turn it into the RGB picture the model sees.

Pillow decodes whatever it is given: enormous sizes (it only warns below twice
its own limit), truncated files when a global switch is on, and pixel modes the
model cannot take. Here the file is opened through a bounded reader (a regular
file, at most limits.MAX_IMAGE_FILE_BYTES), the size, the aspect ratio and the pixel mode are
checked from the header before any pixel is decoded, truncation is an error,
and every change made on the way to RGB is a named step recorded in the
provenance, so the report can say what was done.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..core.errors import ImageError, one_line
from ..core.input_file import open_input
from ..core.limits import MAX_ASPECT_RATIO, MAX_PIXELS, MODEL_SHORT_SIDE, image_file_limit
from ..core.names import printable_path

# 16-bit scaling works on bands of rows of about this many pixels at a time.
_SCALE_BLOCK_PIXELS = 1 << 18

_GRAYSCALE = "grayscale-to-rgb"
_PALETTE = "palette-to-rgb"
# The conversion step that each readable mode needs before it becomes RGB.
_MODE_STEPS: dict[str, str | None] = {
    "RGB": None,
    "RGBA": None,
    "1": _GRAYSCALE,
    "L": _GRAYSCALE,
    "LA": _GRAYSCALE,
    "P": _PALETTE,
    "PA": _PALETTE,
    "CMYK": "cmyk-to-rgb",
}
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
# EXIF orientations 2..8 mirror or rotate; 1 is upright and others are invalid.
_TRANSPOSING_ORIENTATIONS = range(2, 9)
# Formats Pillow may try; others (EPS runs Ghostscript, for one) are refused unread.
_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")
# What Pillow raises for data it cannot decode.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class ImageProvenance:
    """What the input image was and what was done to it."""

    name: str  # file name only, as given
    sha256: str  # of the file bytes
    width: int  # of the RGB image used, after EXIF transpose
    height: int
    original_mode: str  # Pillow mode as read, e.g. "RGB", "L", "P", "CMYK", "RGBA", "I;16"
    format: str  # Pillow format, e.g. "JPEG"
    conversions: tuple[str, ...]  # steps applied, in order (codes listed in load_image)


def load_image(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, ImageProvenance]:
    """Read ``path`` into a fully loaded RGB image, detached from the file.

    Conversion codes, in the order applied: "first-frame-of-animation",
    "exif-transposed", "16bit-scaled-to-8bit", "grayscale-to-rgb",
    "palette-to-rgb", "cmyk-to-rgb", "alpha-blended-on-white".
    Raises ImageError with a one-line message for anything else.
    """
    path = Path(path)
    with open_input(
        path, limit=image_file_limit(max_pixels), error=ImageError,
        noun="image file", advice=f"pass a {', '.join(_FORMATS)} picture of at most {max_pixels:,} pixels",
    ) as file:
        digest = file.sha256()
        picture, original_mode, image_format, conversions = _decode(file.stream(), path, max_pixels)
    provenance = ImageProvenance(
        name=path.name,
        sha256=digest,
        width=picture.width,
        height=picture.height,
        original_mode=original_mode,
        format=image_format,
        conversions=tuple(conversions),
    )
    return picture, provenance


def _decode(stream: BinaryIO, path: Path, max_pixels: int) -> tuple[Image.Image, str, str, list[str]]:
    """Header checks, then the first frame decoded and converted to RGB."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(stream, formats=_FORMATS) as source:
                _check_header(source, path, max_pixels)
                original_mode, image_format = source.mode, source.format or "unknown"
                picture, conversions = _to_rgb(source, path)
        except UnidentifiedImageError as exc:
            raise ImageError(
                f"not an image: PIL could not identify {printable_path(path)} as one of the formats "
                f"accepted here ({', '.join(_FORMATS)}); pass such a file"
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(
                f"image too large: {printable_path(path)}: {one_line(exc)} (the limit here is {max_pixels:,} "
                "pixels); scale it down first"
            ) from exc
        except _DECODE_ERRORS as exc:
            raise ImageError(
                f"cannot decode image {printable_path(path)}: {one_line(exc)}; the file is truncated or "
                "corrupt, export it again"
            ) from exc
    return picture, original_mode, image_format, conversions


def _check_header(source: Image.Image, path: Path, max_pixels: int) -> None:
    """Size, aspect ratio and pixel mode, from the header: nothing is decoded yet."""
    width, height = source.size
    if width * height > max_pixels:
        raise ImageError(
            f"image too large: {printable_path(path)} is {width}x{height} = {width * height:,} pixels, "
            f"over the limit of {max_pixels:,}; scale it down first"
        )
    short, long = sorted((width, height))
    if long > MAX_ASPECT_RATIO * short:
        short = max(short, 1)  # Pillow opens no image with a zero side; still, never divide by zero
        raise ImageError(
            f"image too elongated: {printable_path(path)} is {width}x{height}, a side ratio of {long / short:,.0f}:1, "
            f"over the limit of {MAX_ASPECT_RATIO}:1 (the model scales the short side to "
            f"{MODEL_SHORT_SIDE} pixels, which would make the long side {long * MODEL_SHORT_SIDE // short:,}); "
            "crop it first"
        )
    _check_mode(source.mode, path)


def _check_mode(mode: str, path: Path) -> None:
    if mode not in _MODE_STEPS and mode not in _SIXTEEN_BIT:
        raise ImageError(
            f"unsupported pixel mode {mode} in {printable_path(path)}; convert the image to RGB, "
            "grayscale or palette PNG/JPEG first"
        )


def _to_rgb(source: Image.Image, path: Path) -> tuple[Image.Image, list[str]]:
    """Decode the first frame and convert it to a new RGB image, naming each step."""
    conversions: list[str] = []
    if getattr(source, "is_animated", False):  # n_frames would walk every frame: 25 s for a 160 MB GIF
        source.seek(0)
        conversions.append("first-frame-of-animation")
    source.load()  # raises on truncation: ImageFile.LOAD_TRUNCATED_IMAGES stays False
    picture = source
    if source.getexif().get(ExifTags.Base.Orientation, 1) in _TRANSPOSING_ORIENTATIONS:
        picture = ImageOps.exif_transpose(source)
        conversions.append("exif-transposed")
    _check_mode(picture.mode, path)  # decoding can change it (a GIF frame, a TIFF page)
    if picture.mode in _SIXTEEN_BIT:
        picture = _scale_16bit(picture, path)
        conversions.append("16bit-scaled-to-8bit")
    step = _MODE_STEPS[picture.mode]
    if step is not None:
        conversions.append(step)
    if picture.has_transparency_data:
        conversions.append("alpha-blended-on-white")
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), conversions
    return picture.convert("RGB"), conversions  # always a new image, never the file's


def _scale_16bit(picture: Image.Image, path: Path) -> Image.Image:
    """Map 0..65535 onto 0..255 with rounding (65535 -> 255, 32768 -> 128).

    Works on bands of rows, so its temporary arrays stay a few MB whatever
    the image size; only the 8-bit result is full size.
    """
    width, height = picture.size
    scaled = np.empty((height, width), dtype=np.uint8)
    rows = max(1, _SCALE_BLOCK_PIXELS // width)
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        values = np.asarray(picture.crop((0, top, width, bottom))).astype(np.int64)
        if values.min() < 0 or values.max() > 65535:
            raise ImageError(
                f"unsupported pixel values in {printable_path(path)}: integers outside 0..65535 "
                f"(mode {picture.mode}); save it as an 8- or 16-bit image first"
            )
        scaled[top:bottom] = (values * 255 + 32767) // 65535
    return Image.fromarray(scaled)
