"""How large an input file may be, in a module that imports nothing heavy.

The loaders (inputs/image.py, inputs/weights.py) refuse larger files before reading them,
and the build's input digests (pipeline/stamp.py), which run before torch is
imported, stop at the same sizes: no input is read past its limit, not even
to be hashed.
"""

from __future__ import annotations

from .imagenet import IMAGENET_SIZE

MAX_PIXELS = 40_000_000
# The model's Resize scales the short side to this many pixels (the weights'
# transforms().resize_size), so a W x H image becomes about 256*W/H x 256.
MODEL_SHORT_SIDE = 256
# Any longer and the resized image alone would exceed MAX_PIXELS (610:1): the
# limit on pixels then holds for what the model makes of the image too.
MAX_ASPECT_RATIO = MAX_PIXELS // MODEL_SHORT_SIDE**2
# A file is at most an uncompressed 8-bit RGBA picture of the largest size
# accepted (4 bytes a pixel) plus 1 MiB of headers and metadata.
BYTES_PER_PIXEL = 4
HEADER_ALLOWANCE = 1 << 20


def image_file_limit(max_pixels: int) -> int:
    """The largest image file holding at most max_pixels."""
    return BYTES_PER_PIXEL * max_pixels + HEADER_ALLOWANCE


MAX_IMAGE_FILE_BYTES = image_file_limit(MAX_PIXELS)
# Room for a weights archive around its tensor bytes: the pickle (MAX_PICKLE_BYTES),
# member headers and 64-byte alignment padding, with a wide margin.
ARCHIVE_ALLOWANCE = 1 << 20
# weights.max_file_bytes() is ResNet18 in float64 plus that allowance; it needs
# torch to count the tensors. Twice the published float32 file plus the same
# allowance is never smaller (tests/test_limits.py), and needs nothing.
WEIGHTS_FILE_BOUND = 2 * IMAGENET_SIZE + ARCHIVE_ALLOWANCE
# A static asset (a stylesheet, a script, a picture the site serves as it is), and
# any file of the generator's own folders the build's digests read.
TREE_FILE_LIMIT = 64 * 1024**2
# mkdocs.yml, and each file it INHERITs: the project's is under 4 KB.
MKDOCS_YML_LIMIT = 1024**2
