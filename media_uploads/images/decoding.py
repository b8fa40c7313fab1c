"""Opening files with allowlisted decoders and reading limits from headers."""

import io
import warnings
from pathlib import Path

import pillow_heif
from PIL import ExifTags, Image, UnidentifiedImageError

from media_uploads.images.rejections import (
    DECODE_ERRORS,
    CorruptImage,
    UnsupportedFormat,
    decoding,
)

pillow_heif.register_heif_opener()  # AVIF comes with Pillow 12 itself.

DECODERS = ["JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIF"]
FORMAT_NAMES = {
    "JPEG": "jpeg",
    "MPO": "jpeg",  # a JPEG with extra pictures (depth, preview) after the first
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "HEIF": "heif",
    "AVIF": "avif",
}
ANIMATABLE = {"GIF", "WEBP", "PNG", "AVIF"}
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")

TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def open_image(fp: io.BufferedReader) -> Image.Image:
    with decoding():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return Image.open(fp, formats=DECODERS)
        except UnidentifiedImageError as error:
            fp.seek(0)
            head = fp.read(32)
            if head.startswith(SIGNATURES) or head[4:8] == b"ftyp":
                raise CorruptImage("The image data is damaged.") from error
            raise UnsupportedFormat(
                "Use a JPEG, PNG, GIF, WebP, HEIC or AVIF image."
            ) from error


def count_frames(image: Image.Image, source_path: Path, *, limit: int) -> int:
    """Count frames without decoding them, stopping once past `limit`."""
    if image.format not in ANIMATABLE or not getattr(image, "is_animated", False):
        return 1
    if image.format != "GIF":
        return image.n_frames  # read from the container header
    with source_path.open("rb") as fp:
        header = fp.read(13)
        _skip_color_table(fp, header[10] if len(header) == 13 else 0)
        frames = 0
        while frames <= limit:
            block = fp.read(1)
            if block == b"!":  # extension: label, then data sub-blocks
                fp.read(1)
            elif block == b",":  # image descriptor
                frames += 1
                descriptor = fp.read(9)
                _skip_color_table(fp, descriptor[8] if len(descriptor) == 9 else 0)
                fp.read(1)  # LZW minimum code size
            else:  # trailer, end of file or junk: Pillow stops there too
                return frames
            while (size := fp.read(1)) and size[0]:
                fp.seek(size[0], io.SEEK_CUR)
        return frames


def _skip_color_table(fp: io.BufferedReader, flags: int) -> None:
    if flags & 0x80:
        fp.seek(3 << ((flags & 0x07) + 1), io.SEEK_CUR)


def exif_orientation(image: Image.Image) -> int:
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_ERRORS:
        return 1
    return orientation if orientation in TRANSPOSE_FOR_ORIENTATION else 1
