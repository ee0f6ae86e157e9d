"""Decoding untrusted snapshot bytes (JPEG or PNG only) with the size read from the header first."""

from __future__ import annotations

import struct

import cv2
import numpy as np

MAX_BYTES = 32 * 2**20  # a 4K JPEG snapshot is a few MB; more is not a camera picture
MAX_SIDE = 8192
MAX_PIXELS = MAX_SIDE * MAX_SIDE
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn have no length field
# OpenCV applies the EXIF orientation by default, which would swap the header's width and height.
_FLAGS = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
_REDUCED = {1: _FLAGS, 2: cv2.IMREAD_REDUCED_COLOR_2 | cv2.IMREAD_IGNORE_ORIENTATION,
            4: cv2.IMREAD_REDUCED_COLOR_4 | cv2.IMREAD_IGNORE_ORIENTATION,
            8: cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION}


def image_size(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) from a JPEG or PNG header, without decoding; ValueError otherwise."""
    if data.startswith(_PNG_SIGNATURE):
        return ("png", *_png_size(data))
    if data.startswith(b"\xff\xd8"):
        return ("jpeg", *_jpeg_size(data))
    raise ValueError(f"not a JPEG or PNG image (starts with {data[:8].hex() or 'nothing'})")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ValueError("PNG without an IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    if b"IEND" not in data[-64:]:
        raise ValueError("truncated PNG (no IEND chunk at the end)")
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the marker segments up to the first scan; every SOF before it is checked."""
    size: tuple[int, int] | None = None
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise ValueError(f"malformed JPEG: expected a marker at byte {pos}")
        while pos < end and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker == 0xD9:
            raise ValueError("malformed JPEG: end of image before any scan")
        if pos + 2 > end:
            break
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if length < 2 or pos + length > end:
            raise ValueError(f"malformed or truncated JPEG: segment FF{marker:02X} overruns the data")
        if marker in _SOF:
            if length < 8:
                raise ValueError("malformed JPEG: short start-of-frame segment")
            height, width = struct.unpack(">HH", data[pos + 3:pos + 7])
            if size is not None and size != (width, height):
                raise ValueError("malformed JPEG: two frame headers with different sizes")
            size = (width, height)
        elif marker == 0xDA:
            if size is None:
                raise ValueError("malformed JPEG: scan before any frame header")
            # A complete JPEG ends with EOI; a grab cut off mid-transfer does not.
            if data.rfind(b"\xff\xd9") < pos:
                raise ValueError("truncated JPEG (no end-of-image marker after the scan)")
            return size
        pos += length
    raise ValueError("truncated JPEG (no scan data)")


def decode_image(data: bytes, *, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS,
                 max_bytes: int = MAX_BYTES, min_width: int | None = None) -> np.ndarray:
    """Decode a JPEG or PNG snapshot to a BGR uint8 array (H, W, 3).

    The width and height are read from the header and checked before anything is decoded, so a
    decompression bomb (a few KB claiming 60000x60000) costs nothing; other formats, garbage and
    truncated files are a ValueError whose message says what is wrong.
    `min_width` lets a JPEG be decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, several
    times cheaper than a full decode of a 4K frame) as long as the result stays at least that wide;
    the image-quality checks need no more than Thresholds.work_width (1280).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"image data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise ValueError("empty image data")
    if len(data) > max_bytes:
        raise ValueError(f"image data is {len(data)} bytes, more than the {max_bytes} allowed")
    kind, width, height = image_size(data)
    if width == 0 or height == 0:
        raise ValueError(f"{kind.upper()} header gives an empty size {width}x{height}")
    if width > max_side or height > max_side or width * height > max_pixels:
        raise ValueError(f"{kind.upper()} header claims {width}x{height} pixels, more than the "
                         f"{max_side}x{max_side} / {max_pixels} pixels allowed")
    scale = 1
    if kind == "jpeg" and min_width:
        while scale < 8 and width // (scale * 2) >= min_width:
            scale *= 2
    image = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[scale])
    if image is None or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"could not decode the {kind.upper()} data (corrupt image)")
    if image.shape[:2] != (-(-height // scale), -(-width // scale)):
        raise ValueError(f"decoded size {image.shape[1]}x{image.shape[0]} differs from the header's "
                         f"{width}x{height}")
    return image
