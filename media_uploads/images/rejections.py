"""Why a file cannot become a poster image: a stable code and a human message."""

import struct
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    RuntimeError,
    IndexError,
    struct.error,
)


class ImageRejected(Exception):
    """The file cannot become a poster image; `code` is stable, `message` human."""

    code = "image_rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFormat(ImageRejected):
    code = "unsupported_format"


class ImageTooLarge(ImageRejected):
    code = "image_too_large"


class AnimationTooLarge(ImageRejected):
    code = "animation_too_large"


class CorruptImage(ImageRejected):
    code = "corrupt_image"


@contextmanager
def decoding() -> Iterator[None]:
    """Turn what decoders raise on bad input into rejections."""
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge("The image has too many pixels.") from error
    except DECODE_ERRORS as error:
        raise CorruptImage("The image data is damaged or truncated.") from error
