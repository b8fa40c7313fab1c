"""Variant sizes and encoders: WebP widths and a JPEG for old clients."""

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

WEBP_WIDTHS = (160, 320, 640, 1080)
MAX_WEBP_SIDE = 16383
WEBP_QUALITY = 80
WEBP_METHOD = 2
JPEG_QUALITY = 82


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


def variant_plan(width: int, height: int) -> list[tuple[str, int, int]]:
    """Name and size of each WebP variant, largest first."""
    plan = []
    for target in WEBP_WIDTHS:
        scale = min(1.0, target / width, MAX_WEBP_SIDE / height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        plan.append((f"w{target}", *size))
        if target >= width:
            break
    return plan[::-1]


def save_webp(
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


def save_jpeg(
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
