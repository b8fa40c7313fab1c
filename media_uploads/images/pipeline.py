"""The pipeline: one uploaded file in, its variants out (see the package doc)."""

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import blurhash
from PIL import Image, ImageStat

from media_uploads.images.decoding import (
    FORMAT_NAMES,
    count_frames,
    exif_orientation,
    open_image,
)
from media_uploads.images.encoding import (
    Variant,
    save_jpeg,
    save_webp,
    variant_plan,
)
from media_uploads.images.normalizing import flatten, normalize
from media_uploads.images.rejections import (
    AnimationTooLarge,
    CorruptImage,
    ImageTooLarge,
    decoding,
)

BLURHASH_SIDE = 32


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
        image = open_image(fp)
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


class FramesAfterTheFirst:
    """An animation's frames after the first, decoded and normalized one at a time,
    when the WebP encoder seeks to each, so no more than one frame is ever held
    (decoding them all first held ~1 GB for the longest animation the defaults
    allow).

    It stands, in `append_images`, for an image of `n_frames` frames: Pillow's
    animated WebP writer (`WebPImagePlugin._save_all`, Pillow 12.2, pinned) reads
    `n_frames`, then for each frame calls `seek`, reads `mode` and `getim()`, and reads
    the frame's duration from the `durations` list after adding it, which `seek`
    appends to.
    """

    def __init__(
        self,
        image: Image.Image,
        *,
        frame_count: int,
        size: tuple[int, int],
        orientation: int,
        durations: list[int],
    ) -> None:
        self.image = image
        self.n_frames = frame_count - 1
        self.size = size
        self.orientation = orientation
        self.durations = durations
        self.pixels = image.width * image.height
        self.frame: Image.Image | None = None

    def seek(self, index: int) -> None:
        with decoding():
            self.image.seek(index + 1)
            if self.image.width * self.image.height != self.pixels:
                raise CorruptImage("A frame does not fit the image.")  # canvas grew
            self.frame = normalize(self.image, self.size, self.orientation)
        self.durations.append(self.image.info.get("duration", 0))

    @property
    def mode(self) -> str:
        return self.frame.mode

    def getim(self):
        return self.frame.getim()


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
    with decoding():
        frame_count = count_frames(image, source_path, limit=max_frames)
    if frame_count > max_frames:
        raise AnimationTooLarge(f"The animation has over {max_frames} frames.")
    if frame_count > 1 and frame_count * pixels > max_animation_pixels:
        raise AnimationTooLarge("The animation has too many pixels in all.")

    orientation = exif_orientation(image)
    width, height = image.size
    if orientation >= 5:
        width, height = height, width
    plan = variant_plan(width, height)
    largest = plan[0][1:]
    with decoding():
        frames: list = [normalize(image, largest, orientation)]
    durations = [image.info.get("duration", 0)]
    if frame_count > 1:
        # The other frames are decoded one at a time while the encoder takes them.
        frames.append(
            FramesAfterTheFirst(
                image,
                frame_count=frame_count,
                size=largest,
                orientation=orientation,
                durations=durations,
            )
        )
    # A GIF without a loop count plays once; WebP's loop=0 would mean forever.
    loop = image.info.get("loop", 1 if image.format == "GIF" else 0)

    with ThreadPoolExecutor(max_workers=1) as pool:
        # Encode the largest variant on a second core: Pillow releases the GIL.
        largest_variant = pool.submit(
            save_webp, frames, plan[0], output_dir, written, durations, loop
        )
        first = frames[0]
        jpeg = save_jpeg(flatten(first), ("jpeg1080", *largest), output_dir, written)
        smaller, variants = first, []
        for step in plan[1:]:
            smaller = smaller.resize(step[1:], Image.Resampling.LANCZOS, reducing_gap=2)
            variants.append(save_webp([smaller], step, output_dir, written))
        variants.insert(0, largest_variant.result())

    thumbnail = flatten(smaller)
    thumbnail.thumbnail((BLURHASH_SIDE, BLURHASH_SIDE), Image.Resampling.BOX)
    red, green, blue = (round(mean) for mean in ImageStat.Stat(thumbnail).mean)
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Image.getdata, deprecated in Pillow 12.
        warnings.simplefilter("ignore", DeprecationWarning)
        hash_ = blurhash.encode(thumbnail, 4, 3)  # encode() closes the image
    return ProcessedImage(
        format=FORMAT_NAMES[image.format or ""],
        width=width,
        height=height,
        is_animated=frame_count > 1,
        frame_count=frame_count,
        blurhash=hash_,
        average_color=f"#{red:02x}{green:02x}{blue:02x}",
        variants=(*variants, jpeg),
    )
