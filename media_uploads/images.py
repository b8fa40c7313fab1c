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

import io
import struct
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import blurhash
import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageStat, UnidentifiedImageError

pillow_heif.register_heif_opener()  # AVIF comes with Pillow 12 itself.

WEBP_WIDTHS = (160, 320, 640, 1080)
MAX_WEBP_SIDE = 16383
WEBP_QUALITY = 80
WEBP_METHOD = 2
JPEG_QUALITY = 82
# Decode JPEG at the smallest DCT scale still 1.25x the largest variant: a 12 MP
# photo then decodes at half size in both orientations (2x would not for portraits).
DRAFT_GAP = 1.25
REDUCING_GAP = 3.0
BLURHASH_SIDE = 32

_DECODERS = ["JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIF"]
_FORMAT_NAMES = {
    "JPEG": "jpeg",
    "MPO": "jpeg",  # a JPEG with extra pictures (depth, preview) after the first
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "HEIF": "heif",
    "AVIF": "avif",
}
_ANIMATABLE = {"GIF", "WEBP", "PNG", "AVIF"}
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    RuntimeError,
    IndexError,
    struct.error,
)
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    format: str
    content_type: str
    path: Path
    size_bytes: int
    is_animated: bool


@dataclass(frozen=True)
class ProcessedImage:
    format: str
    width: int
    height: int
    is_animated: bool
    frame_count: int
    blurhash: str
    average_color: str
    variants: tuple[Variant, ...]


def process_image(
    source_path: Path,
    *,
    output_dir: Path,
    max_pixels: int,
    max_frames: int,
    max_animation_pixels: int,
) -> ProcessedImage:
    """Validate `source_path` and write its variants into `output_dir`.

    Raise an `ImageRejected` subclass for bad input; nothing is left in
    `output_dir` then. Pillow's own decompression-bomb limit
    (`Image.MAX_IMAGE_PIXELS`) also rejects, so it caps `max_pixels`.
    """
    if source_path.stat().st_size == 0:
        raise CorruptImage("The file is empty.")
    written: list[Path] = []
    with source_path.open("rb") as fp:
        image = _open(fp)
        try:
            return _process(
                image,
                source_path,
                output_dir,
                written,
                max_pixels=max_pixels,
                max_frames=max_frames,
                max_animation_pixels=max_animation_pixels,
            )
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        finally:
            image.close()


def _open(fp: io.BufferedReader) -> Image.Image:
    with _decoding():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return Image.open(fp, formats=_DECODERS)
        except UnidentifiedImageError as error:
            fp.seek(0)
            head = fp.read(32)
            if head.startswith(_SIGNATURES) or head[4:8] == b"ftyp":
                raise CorruptImage("The image data is damaged.") from error
            raise UnsupportedFormat(
                "Use a JPEG, PNG, GIF, WebP, HEIC or AVIF image."
            ) from error


@contextmanager
def _decoding() -> Iterator[None]:
    """Turn what decoders raise on bad input into rejections."""
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge("The image has too many pixels.") from error
    except _DECODE_ERRORS as error:
        raise CorruptImage("The image data is damaged or truncated.") from error


def _process(
    image: Image.Image,
    source_path: Path,
    output_dir: Path,
    written: list[Path],
    *,
    max_pixels: int,
    max_frames: int,
    max_animation_pixels: int,
) -> ProcessedImage:
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise ImageTooLarge(
            f"The image has {pixels} pixels; the limit is {max_pixels}."
        )
    with _decoding():
        frame_count = _count_frames(image, source_path, limit=max_frames)
    if frame_count > max_frames:
        raise AnimationTooLarge(f"The animation has over {max_frames} frames.")
    if frame_count > 1 and frame_count * pixels > max_animation_pixels:
        raise AnimationTooLarge("The animation has too many pixels in all.")

    orientation = _orientation(image)
    width, height = image.size
    if orientation >= 5:
        width, height = height, width
    plan = _plan(width, height)
    largest = plan[0][1:]
    with _decoding():
        frames = [_normalize(image, largest, orientation)]
        durations = [image.info.get("duration", 0)]
        for index in range(1, frame_count):
            image.seek(index)
            if image.width * image.height != pixels:  # a GIF frame grew the canvas
                raise CorruptImage("A frame does not fit the image.")
            frames.append(_normalize(image, largest, orientation))
            durations.append(image.info.get("duration", 0))
    # A GIF without a loop count plays once; WebP's loop=0 would mean forever.
    loop = image.info.get("loop", 1 if image.format == "GIF" else 0)

    with ThreadPoolExecutor(max_workers=1) as pool:
        # Encode the largest variant on a second core: Pillow releases the GIL.
        largest_variant = pool.submit(
            _save_webp, frames, plan[0], output_dir, written, durations, loop
        )
        first = frames[0]
        jpeg = _save_jpeg(_flatten(first), ("jpeg1080", *largest), output_dir, written)
        smaller, variants = first, []
        for step in plan[1:]:
            smaller = smaller.resize(step[1:], Image.Resampling.LANCZOS, reducing_gap=2)
            variants.append(_save_webp([smaller], step, output_dir, written))
        variants.insert(0, largest_variant.result())

    thumbnail = _flatten(smaller)
    thumbnail.thumbnail((BLURHASH_SIDE, BLURHASH_SIDE), Image.Resampling.BOX)
    red, green, blue = (round(mean) for mean in ImageStat.Stat(thumbnail).mean)
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Image.getdata, deprecated in Pillow 12.
        warnings.simplefilter("ignore", DeprecationWarning)
        hash_ = blurhash.encode(thumbnail, 4, 3)  # encode() closes the image
    return ProcessedImage(
        format=_FORMAT_NAMES[image.format or ""],
        width=width,
        height=height,
        is_animated=frame_count > 1,
        frame_count=frame_count,
        blurhash=hash_,
        average_color=f"#{red:02x}{green:02x}{blue:02x}",
        variants=(*variants, jpeg),
    )


def _count_frames(image: Image.Image, source_path: Path, *, limit: int) -> int:
    """Count frames without decoding them, stopping once past `limit`."""
    if image.format not in _ANIMATABLE or not getattr(image, "is_animated", False):
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


def _orientation(image: Image.Image) -> int:
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _DECODE_ERRORS:
        return 1
    return orientation if orientation in _TRANSPOSE_FOR_ORIENTATION else 1


def _plan(width: int, height: int) -> list[tuple[str, int, int]]:
    """Name and size of each WebP variant, largest first."""
    plan = []
    for target in WEBP_WIDTHS:
        scale = min(1.0, target / width, MAX_WEBP_SIDE / height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        plan.append((f"w{target}", *size))
        if target >= width:
            break
    return plan[::-1]


def _normalize(
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
    if orientation in _TRANSPOSE_FOR_ORIENTATION:
        frame = frame.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])
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


def _flatten(image: Image.Image) -> Image.Image:
    """A new RGB image: callers save it while another thread saves `image`, and
    Image.save() keeps its options on the image object."""
    if image.mode != "RGBA":
        return image.copy()
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _save_webp(
    frames: list[Image.Image],
    step: tuple[str, int, int],
    output_dir: Path,
    written: list[Path],
    durations: list[int] | None = None,
    loop: int = 0,
) -> Variant:
    path = output_dir / f"{step[0]}.webp"
    written.append(path)
    frames[0].save(
        path,
        "WEBP",
        save_all=len(frames) > 1,
        append_images=frames[1:],
        duration=durations or 0,
        loop=loop,
        quality=WEBP_QUALITY,
        method=WEBP_METHOD,
    )
    return _variant(step, "webp", path, is_animated=len(frames) > 1)


def _save_jpeg(
    image: Image.Image,
    step: tuple[str, int, int],
    output_dir: Path,
    written: list[Path],
) -> Variant:
    path = output_dir / f"{step[0]}.jpg"
    written.append(path)
    image.save(path, "JPEG", quality=JPEG_QUALITY)
    return _variant(step, "jpeg", path, is_animated=False)


def _variant(
    step: tuple[str, int, int], format_: str, path: Path, *, is_animated: bool
) -> Variant:
    name, width, height = step
    return Variant(
        name=name,
        width=width,
        height=height,
        format=format_,
        content_type=f"image/{format_}",
        path=path,
        size_bytes=path.stat().st_size,
        is_animated=is_animated,
    )
