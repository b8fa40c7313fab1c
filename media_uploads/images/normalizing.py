"""Pixels to upright sRGB at the size needed, without metadata."""

import io
from functools import lru_cache

from PIL import Image, ImageCms

from media_uploads.images.decoding import TRANSPOSE_FOR_ORIENTATION

# Decode JPEG at the smallest DCT scale still 1.25x the largest variant: a 12 MP
# photo then decodes at half size in both orientations (2x would not for portraits).
DRAFT_GAP = 1.25
REDUCING_GAP = 3.0


def normalize(
    frame: Image.Image, size: tuple[int, int], orientation: int
) -> Image.Image:
    """Decode `frame` at `size` (after orientation) as sRGB RGB or RGBA."""
    if orientation >= 5:
        size = (size[1], size[0])
    if frame.format in ("JPEG", "MPO"):
        frame.draft(None, (round(size[0] * DRAFT_GAP), round(size[1] * DRAFT_GAP)))
    icc_profile = frame.info.get("icc_profile")
    if frame.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit PNG: keep the gray
        frame = frame.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif frame.mode not in ("L", "RGB", "RGBA", "CMYK") or "transparency" in frame.info:
        frame = frame.convert("RGBA" if frame.has_transparency_data else "RGB")
    frame = frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    if orientation in TRANSPOSE_FOR_ORIENTATION:
        frame = frame.transpose(TRANSPOSE_FOR_ORIENTATION[orientation])
    frame = _to_srgb(frame, icc_profile)
    if frame.mode == "RGBA" and frame.getextrema()[3][0] == 255:
        frame = frame.convert("RGB")
    frame.info = {}
    return frame


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc_profile:
        try:
            return ImageCms.applyTransform(
                image, _transform(icc_profile, image.mode, out_mode)
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken or mismatched profile: fall back to plain conversion
    return image if image.mode == out_mode else image.convert(out_mode)


@lru_cache(maxsize=16)
def _transform(
    icc_profile: bytes, in_mode: str, out_mode: str
) -> ImageCms.ImageCmsTransform:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    return ImageCms.buildTransform(source, _SRGB, in_mode, out_mode)


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def flatten(image: Image.Image) -> Image.Image:
    """A new RGB image: callers save it while another thread saves `image`, and
    Image.save() keeps its options on the image object."""
    if image.mode != "RGBA":
        return image.copy()
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat
