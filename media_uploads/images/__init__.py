"""Turn one uploaded image file into the variants poster serves.

Pure Pillow, no Django: a path goes in, files in `output_dir` come out, and a
`ProcessedImage` describes them. Callers give limits and handle one exception::

    from media_uploads.images import ImageRejected, process_image

    with tempfile.TemporaryDirectory() as workdir:
        try:
            processed = process_image(
                upload_path,
                output_dir=Path(workdir),
                max_pixels=40_000_000,
                max_frames=300,
                max_animation_pixels=100_000_000,
            )
        except ImageRejected as rejection:
            fail(code=rejection.code, reason=rejection.message)  # "image_too_large"
        else:
            for variant in processed.variants:  # variant.path, variant.content_type
                store(variant)

What the pipeline guarantees:

- The format is whatever an allowlisted decoder (JPEG, PNG, GIF, WebP, HEIF, AVIF)
  recognises; the declared content type and the file name never decide.
- Size and frame limits are checked from the header before pixels are decoded.
- `width`/`height` are after EXIF orientation. Colours are converted to sRGB.
- Every variant is re-encoded from pixels, so no EXIF (GPS), XMP, IPTC, comment,
  ICC profile or bytes appended after the image survive.
- WebP variants "w160", "w320", "w640", "w1080" are never upscaled: an image
  narrower than a width gets the smaller widths plus one at its own size, named
  after the next width up (a 500 px wide image gets w160, w320 and a 500 px
  "w640"; there is no "w1080"). "jpeg1080" (at most 1080 px wide, alpha flattened
  on white) serves old clients. Variants are listed largest first.
- An animated GIF/WebP/APNG keeps its animation in the largest WebP variant only;
  the other variants show the first frame. Animation frames are resized in memory,
  so an animation costs up to 4 bytes per output pixel per frame.

Not thread-safe: decoding runs under `warnings.catch_warnings()`.
"""

from media_uploads.images.encoding import Variant
from media_uploads.images.pipeline import ProcessedImage, process_image
from media_uploads.images.rejections import (
    AnimationTooLarge,
    CorruptImage,
    ImageRejected,
    ImageTooLarge,
    UnsupportedFormat,
)

__all__ = (
    "AnimationTooLarge",
    "CorruptImage",
    "ImageRejected",
    "ImageTooLarge",
    "ProcessedImage",
    "UnsupportedFormat",
    "Variant",
    "process_image",
)
