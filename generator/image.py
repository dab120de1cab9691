"""Open the user's image defensively and turn it into the RGB picture the model sees.

Pillow decodes whatever it is given: enormous sizes (it only warns below twice
its own limit), truncated files when a global switch is on, and pixel modes the
model cannot take. Here the size is checked from the header before any pixel is
decoded, truncation is an error, and every change made on the way to RGB is a
named step recorded in the provenance, so the report can say what was done.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from generator.errors import ImageError

MAX_PIXELS = 40_000_000

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
    data = _read_bytes(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=_FORMATS) as source:
                width, height = source.size
                if width * height > max_pixels:
                    raise ImageError(
                        f"image too large: {path} is {width}x{height} = {width * height:,} pixels, "
                        f"over the limit of {max_pixels:,}; scale it down first"
                    )
                original_mode, image_format = source.mode, source.format or "unknown"
                picture, conversions = _to_rgb(source, path)
        except UnidentifiedImageError as exc:
            raise ImageError(
                f"not an image: PIL could not identify {path} as one of the formats "
                f"accepted here ({', '.join(_FORMATS)}); pass such a file"
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(
                f"image too large: {path}: {_one_line(exc)} (the limit here is {max_pixels:,} "
                "pixels); scale it down first"
            ) from exc
        except _DECODE_ERRORS as exc:
            raise ImageError(
                f"cannot decode image {path}: {_one_line(exc)}; the file is truncated or "
                "corrupt, export it again"
            ) from exc
    provenance = ImageProvenance(
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        width=picture.width,
        height=picture.height,
        original_mode=original_mode,
        format=image_format,
        conversions=tuple(conversions),
    )
    return picture, provenance


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ImageError(f"image not found: {path}")
    if path.is_dir():
        raise ImageError(f"image path is a directory, not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if not data:
        raise ImageError(f"image file is empty (0 bytes): {path}")
    return data


def _to_rgb(source: Image.Image, path: Path) -> tuple[Image.Image, list[str]]:
    """Decode the first frame and convert it to a new RGB image, naming each step."""
    conversions: list[str] = []
    if getattr(source, "n_frames", 1) > 1:
        source.seek(0)
        conversions.append("first-frame-of-animation")
    source.load()  # raises on truncation: ImageFile.LOAD_TRUNCATED_IMAGES stays False
    picture = source
    if source.getexif().get(ExifTags.Base.Orientation, 1) in _TRANSPOSING_ORIENTATIONS:
        picture = ImageOps.exif_transpose(source)
        conversions.append("exif-transposed")
    mode = picture.mode
    if mode in _SIXTEEN_BIT:
        picture = _scale_16bit(picture, path)
        conversions.append("16bit-scaled-to-8bit")
        mode = picture.mode
    if mode not in _MODE_STEPS:
        raise ImageError(
            f"unsupported pixel mode {mode} in {path}; convert the image to RGB, "
            "grayscale or palette PNG/JPEG first"
        )
    step = _MODE_STEPS[mode]
    if step is not None:
        conversions.append(step)
    if picture.has_transparency_data:
        conversions.append("alpha-blended-on-white")
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), conversions
    return picture.convert("RGB"), conversions  # always a new image, never the file's


def _scale_16bit(picture: Image.Image, path: Path) -> Image.Image:
    """Map 0..65535 onto 0..255 with rounding (65535 -> 255, 32768 -> 128)."""
    values = np.asarray(picture).astype(np.int64)
    if values.size and (values.min() < 0 or values.max() > 65535):
        raise ImageError(
            f"unsupported pixel values in {path}: integers outside 0..65535 "
            f"(mode {picture.mode}); save it as an 8- or 16-bit image first"
        )
    scaled = (values * 255 + 32767) // 65535
    return Image.fromarray(scaled.astype(np.uint8))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
