import io
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageCms, ImageOps

from media_uploads.images import (
    ImageRejected,
    ProcessedImage,
    Variant,
    process_image,
)
from tests.media_uploads import image_factory

LIMITS = {"max_pixels": 40_000_000, "max_frames": 300, "max_animation_pixels": 10**8}
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
METADATA_KEYS = {"exif", "xmp", "icc_profile", "comment", "photoshop", "iptc"}


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "variants"
    directory.mkdir()
    return directory


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def process(source: Path, output_dir: Path, **limits: int) -> ProcessedImage:
    return process_image(source, output_dir=output_dir, **{**LIMITS, **limits})


def summary(processed: ProcessedImage) -> list[tuple[str, int, int, str, bool]]:
    return [
        (
            variant.name,
            variant.width,
            variant.height,
            variant.format,
            variant.is_animated,
        )
        for variant in processed.variants
    ]


def reopen(variant: Variant) -> Image.Image:
    image = Image.open(variant.path)
    image.load()
    return image


def pixel(variant: Variant, xy: tuple[int, int]) -> tuple[int, ...]:
    with reopen(variant) as image:
        return image.getpixel(xy)


def close_to(
    actual: tuple[int, ...], expected: tuple[int, ...], slack: int = 6
) -> bool:
    return all(abs(a - e) <= slack for a, e in zip(actual, expected, strict=True))


@pytest.fixture
def rotated_jpeg_with_gps(tmp_path: Path) -> Path:
    """Stored 400x300 with a red top-left block; orientation 6 shows it portrait."""
    jpeg = image_factory.encode(
        image_factory.marked_image((400, 300)),
        "JPEG",
        quality=95,
        exif=image_factory.exif_with_gps(orientation=6),
        xmp=image_factory.XMP_PACKET,
        icc_profile=SRGB_ICC,
        comment=b"secret comment",
    )
    return write(tmp_path, "photo.jpg", image_factory.with_iptc(jpeg))


def test_rotated_jpeg_reports_upright_size_and_rotates_every_variant(
    rotated_jpeg_with_gps, output_dir
):
    processed = process(rotated_jpeg_with_gps, output_dir)

    assert (processed.format, processed.width, processed.height) == ("jpeg", 300, 400)
    assert (processed.is_animated, processed.frame_count) == (False, 1)
    assert summary(processed) == [
        ("w320", 300, 400, "webp", False),
        ("w160", 160, 213, "webp", False),
        ("jpeg1080", 300, 400, "jpeg", False),
    ]
    # Orientation 6 turns the stored top-left corner into the top-right one.
    for variant in processed.variants:
        right = variant.width - 1
        assert close_to(pixel(variant, (right - 2, 2)), (255, 0, 0), slack=40)
        assert close_to(pixel(variant, (2, 2)), (0, 0, 255), slack=40)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow_exif_transpose(
    orientation, tmp_path, output_dir
):
    quadrants = Image.new("RGB", (80, 60), "white")
    for colour, box in [
        ("red", (0, 0, 40, 30)),
        ("lime", (40, 0, 80, 30)),
        ("blue", (0, 30, 40, 60)),
    ]:
        quadrants.paste(colour, box)
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = write(
        tmp_path,
        "turned.jpg",
        image_factory.encode(quadrants, "JPEG", quality=95, exif=exif),
    )
    with Image.open(source) as opened:
        expected = ImageOps.exif_transpose(opened)

    processed = process(source, output_dir)

    jpeg = processed.variants[-1]
    assert (processed.width, processed.height) == expected.size
    assert (jpeg.width, jpeg.height) == expected.size
    width, height = expected.size
    for corner in [(5, 5), (width - 6, 5), (5, height - 6), (width - 6, height - 6)]:
        assert close_to(pixel(jpeg, corner), expected.getpixel(corner), slack=24)


def test_multi_picture_jpeg_uses_its_first_picture(tmp_path, output_dir):
    pictures = [Image.new("RGB", (120, 90), colour) for colour in ("red", "blue")]
    source = write(
        tmp_path,
        "camera.jpg",
        image_factory.encode(
            pictures[0], "MPO", save_all=True, append_images=[pictures[1]]
        ),
    )
    with Image.open(source) as opened:
        assert (opened.format, opened.n_frames) == ("MPO", 2)

    processed = process(source, output_dir)

    assert (processed.format, processed.is_animated, processed.frame_count) == (
        "jpeg",
        False,
        1,
    )
    assert close_to(pixel(processed.variants[0], (60, 45)), (255, 0, 0), slack=8)


def test_no_metadata_survives_in_any_variant(rotated_jpeg_with_gps, output_dir):
    with Image.open(rotated_jpeg_with_gps) as source:
        assert METADATA_KEYS - {"iptc"} <= source.info.keys()

    processed = process(rotated_jpeg_with_gps, output_dir)

    for variant in processed.variants:
        data = variant.path.read_bytes()
        with reopen(variant) as image:
            assert image.info.keys() & METADATA_KEYS == set()
            assert dict(image.getexif()) == {}
        for marker in (b"Exif", b"ICC_PROFILE", b"ICCP", b"XMP ", b"8BIM"):
            assert marker not in data
        for secret in (b"secret-xmp", b"secret-iptc", b"secret comment"):
            assert secret not in data
        assert variant.size_bytes == len(data)


def test_large_jpeg_gets_every_width_and_a_jpeg_for_old_clients(tmp_path, output_dir):
    source = write(
        tmp_path,
        "big.jpg",
        image_factory.encode(image_factory.marked_image((2000, 1500)), "JPEG"),
    )

    processed = process(source, output_dir)

    assert summary(processed) == [
        ("w1080", 1080, 810, "webp", False),
        ("w640", 640, 480, "webp", False),
        ("w320", 320, 240, "webp", False),
        ("w160", 160, 120, "webp", False),
        ("jpeg1080", 1080, 810, "jpeg", False),
    ]
    assert [(v.path.name, v.content_type) for v in processed.variants] == [
        ("w1080.webp", "image/webp"),
        ("w640.webp", "image/webp"),
        ("w320.webp", "image/webp"),
        ("w160.webp", "image/webp"),
        ("jpeg1080.jpg", "image/jpeg"),
    ]
    assert sorted(path.name for path in output_dir.iterdir()) == [
        "jpeg1080.jpg",
        "w1080.webp",
        "w160.webp",
        "w320.webp",
        "w640.webp",
    ]


def test_small_image_is_never_upscaled(tmp_path, output_dir):
    source = write(
        tmp_path, "small.png", image_factory.encode(Image.new("RGB", (100, 80)), "PNG")
    )

    processed = process(source, output_dir)

    assert summary(processed) == [
        ("w160", 100, 80, "webp", False),
        ("jpeg1080", 100, 80, "jpeg", False),
    ]
    assert [reopen(variant).size for variant in processed.variants] == [
        (100, 80),
        (100, 80),
    ]


def test_own_size_variant_takes_the_name_of_the_next_width_up(tmp_path, output_dir):
    source = write(
        tmp_path, "mid.png", image_factory.encode(Image.new("RGB", (500, 250)), "PNG")
    )

    processed = process(source, output_dir)

    assert summary(processed) == [
        ("w640", 500, 250, "webp", False),
        ("w320", 320, 160, "webp", False),
        ("w160", 160, 80, "webp", False),
        ("jpeg1080", 500, 250, "jpeg", False),
    ]


def test_png_with_alpha_keeps_alpha_in_webp_and_flattens_jpeg_on_white(
    tmp_path, output_dir
):
    image = Image.new("RGBA", (200, 100), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 100, 100))  # left half fully transparent
    source = write(tmp_path, "alpha.png", image_factory.encode(image, "PNG"))

    processed = process(source, output_dir)

    w320, w160, jpeg = processed.variants
    assert (reopen(w320).mode, reopen(w160).mode, reopen(jpeg).mode) == (
        "RGBA",
        "RGBA",
        "RGB",
    )
    assert pixel(w320, (10, 50))[3] == 0
    assert close_to(pixel(w320, (190, 50)), (0, 128, 0, 255))
    assert close_to(pixel(jpeg, (10, 50)), (255, 255, 255))
    assert close_to(pixel(jpeg, (190, 50)), (0, 128, 0))


def test_palette_gif_with_transparency_becomes_rgba(tmp_path, output_dir):
    image = Image.new("P", (60, 40), 1)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(0, (0, 0, 30, 40))
    source = write(
        tmp_path, "still.gif", image_factory.encode(image, "GIF", transparency=0)
    )

    processed = process(source, output_dir)

    assert (processed.format, processed.is_animated) == ("gif", False)
    w160 = processed.variants[0]
    assert reopen(w160).mode == "RGBA"
    assert pixel(w160, (5, 20))[3] == 0
    assert close_to(pixel(w160, (55, 20)), (0, 0, 255, 255))


def test_gray_png_with_transparent_colour_becomes_rgba(tmp_path, output_dir):
    image = Image.new("L", (40, 20), 200)
    image.paste(0, (0, 0, 20, 20))
    source = write(
        tmp_path, "gray.png", image_factory.encode(image, "PNG", transparency=0)
    )

    processed = process(source, output_dir)

    w160 = processed.variants[0]
    assert reopen(w160).mode == "RGBA"
    assert pixel(w160, (5, 10))[3] == 0
    assert close_to(pixel(w160, (35, 10)), (200, 200, 200, 255))


def test_opaque_rgba_png_is_stored_without_alpha(tmp_path, output_dir):
    image = Image.new("RGBA", (50, 50), (10, 20, 30, 255))
    source = write(tmp_path, "opaque.png", image_factory.encode(image, "PNG"))

    processed = process(source, output_dir)

    assert reopen(processed.variants[0]).mode == "RGB"
    assert processed.average_color == "#0a141e"


def test_cmyk_jpeg_without_profile_comes_out_as_rgb(tmp_path, output_dir):
    image = Image.new("CMYK", (64, 64), (0, 255, 255, 0))
    source = write(tmp_path, "cmyk.jpg", image_factory.encode(image, "JPEG"))

    processed = process(source, output_dir)

    assert processed.average_color == "#ff0000"
    for variant in processed.variants:
        assert reopen(variant).mode == "RGB"
        assert close_to(pixel(variant, (30, 30)), (255, 0, 0), slack=8)


def test_cmyk_jpeg_with_profile_is_converted_through_the_profile(tmp_path, output_dir):
    image = Image.new("CMYK", (64, 64), (0, 255, 255, 128))
    profile = image_factory.cmyk_profile_black_ink_only()
    source = write(
        tmp_path,
        "cmyk-icc.jpg",
        image_factory.encode(image, "JPEG", quality=100, icc_profile=profile),
    )

    processed = process(source, output_dir)

    # The profile ignores the red inks: half black ink is L*=50 gray, sRGB 118.
    assert processed.average_color == "#767676"
    for variant in processed.variants:
        assert close_to(pixel(variant, (30, 30)), (118, 118, 118), slack=3)


def test_16_bit_png_keeps_its_gray_level(tmp_path, output_dir):
    image = Image.new("I;16", (40, 30), 128 * 257)
    source = write(tmp_path, "deep.png", image_factory.encode(image, "PNG"))
    with Image.open(source) as opened:
        assert opened.mode == "I;16"

    processed = process(source, output_dir)

    assert processed.average_color == "#808080"
    for variant in processed.variants:
        assert close_to(pixel(variant, (20, 15)), (128, 128, 128), slack=2)


def test_animated_gif_keeps_animation_only_in_largest_variant(tmp_path, output_dir):
    colours = ["red", "lime", "blue"]
    frames = [Image.new("RGB", (200, 100), colour) for colour in colours]
    source = write(
        tmp_path,
        "anim.gif",
        image_factory.encode(
            frames[0],
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=[100, 200, 300],
            loop=0,
        ),
    )

    processed = process(source, output_dir)

    assert (processed.format, processed.is_animated, processed.frame_count) == (
        "gif",
        True,
        3,
    )
    assert summary(processed) == [
        ("w320", 200, 100, "webp", True),
        ("w160", 160, 80, "webp", False),
        ("jpeg1080", 200, 100, "jpeg", False),
    ]
    with reopen(processed.variants[0]) as animation:
        assert (animation.n_frames, animation.info["loop"]) == (3, 0)
        seen = []
        for index in range(3):
            animation.seek(index)
            animation.load()  # WebP frames update info["duration"] on load
            seen.append(
                (
                    animation.info["duration"],
                    animation.convert("RGB").getpixel((50, 50)),
                )
            )
    assert [duration for duration, _ in seen] == [100, 200, 300]
    for (_, actual), expected in zip(
        seen, [(255, 0, 0), (0, 255, 0), (0, 0, 255)], strict=True
    ):
        assert close_to(actual, expected, slack=10)
    for still in processed.variants[1:]:
        assert getattr(reopen(still), "n_frames", 1) == 1
        assert close_to(pixel(still, (50, 50))[:3], (255, 0, 0), slack=10)


def test_gif_without_loop_count_plays_once_as_webp(tmp_path, output_dir):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    source = write(
        tmp_path,
        "once.gif",
        image_factory.encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
    )

    processed = process(source, output_dir)

    assert reopen(processed.variants[0]).info["loop"] == 1


def test_animated_webp_is_recognised_and_stays_animated(tmp_path, output_dir):
    frames = [Image.new("RGBA", (64, 64), colour) for colour in ("red", "blue")]
    source = write(
        tmp_path,
        "anim.webp",
        image_factory.encode(
            frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50
        ),
    )

    processed = process(source, output_dir)

    assert (processed.format, processed.frame_count) == ("webp", 2)
    assert reopen(processed.variants[0]).n_frames == 2


def test_heic_is_decoded(tmp_path, output_dir):
    heif = pillow_heif.from_pillow(Image.new("RGB", (64, 48), (200, 30, 30)))
    source = tmp_path / "phone.heic"
    heif.save(source, quality=90)

    processed = process(source, output_dir)

    assert (processed.format, processed.width, processed.height) == ("heif", 64, 48)
    assert summary(processed) == [
        ("w160", 64, 48, "webp", False),
        ("jpeg1080", 64, 48, "jpeg", False),
    ]
    assert close_to(pixel(processed.variants[0], (30, 20)), (200, 30, 30), slack=12)


def test_avif_is_decoded(tmp_path, output_dir):
    source = write(
        tmp_path,
        "photo.avif",
        image_factory.encode(Image.new("RGB", (64, 48), (30, 30, 200)), "AVIF"),
    )

    processed = process(source, output_dir)

    assert (processed.format, processed.width, processed.height) == ("avif", 64, 48)
    assert close_to(pixel(processed.variants[0], (30, 20)), (30, 30, 200), slack=12)


def test_jpeg_with_html_appended_gives_clean_variants(tmp_path, output_dir):
    jpeg = image_factory.encode(Image.new("RGB", (300, 200), "orange"), "JPEG")
    html = b"<html><script>alert(1)</script></html>"
    source = write(tmp_path, "polyglot.jpg", jpeg + html)

    processed = process(source, output_dir)

    assert processed.format == "jpeg"
    assert len(processed.variants) == 3
    for variant in processed.variants:
        assert b"<html" not in variant.path.read_bytes()


def test_blurhash_and_average_color_describe_the_picture(tmp_path, output_dir):
    source = write(
        tmp_path,
        "blue.png",
        image_factory.encode(Image.new("RGB", (90, 60), "blue"), "PNG"),
    )

    processed = process(source, output_dir)

    assert processed.average_color == "#0000ff"
    assert processed.blurhash == "LF0036fXfQfXfZfSfQfSfQfQfQfQ"


def _first_part(format_: str, fraction: float) -> bytes:
    noise = Image.effect_noise((256, 256), 64).convert("RGB")
    if format_ == "HEIF":
        buffer = io.BytesIO()
        pillow_heif.from_pillow(noise).save(buffer, quality=50)
        data = buffer.getvalue()
    else:
        data = image_factory.encode(noise, format_)
    return data[: int(len(data) * fraction)]


BAD_FILES = {
    "zero bytes": ("empty.jpg", lambda: b"", "corrupt_image"),
    "truncated jpeg": ("cut.jpg", lambda: _first_part("JPEG", 0.5), "corrupt_image"),
    "jpeg cut in its header": (
        "head.jpg",
        lambda: _first_part("JPEG", 0.03),
        "corrupt_image",
    ),
    "jpeg marker only": ("mark.jpg", lambda: b"\xff\xd8\xff\xe0\x00", "corrupt_image"),
    "truncated png": ("cut.png", lambda: _first_part("PNG", 0.5), "corrupt_image"),
    "truncated webp": ("cut.webp", lambda: _first_part("WEBP", 0.5), "corrupt_image"),
    "truncated heic": ("cut.heic", lambda: _first_part("HEIF", 0.5), "corrupt_image"),
    "truncated avif": ("cut.avif", lambda: _first_part("AVIF", 0.5), "corrupt_image"),
    "html named jpg": (
        "page.jpg",
        lambda: b"<!DOCTYPE html><html><body>hi</body></html>",
        "unsupported_format",
    ),
    "svg": (
        "logo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        "unsupported_format",
    ),
    "pdf": (
        "doc.pdf",
        lambda: b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n",
        "unsupported_format",
    ),
    "psd": ("layers.psd", lambda: image_factory.psd(8, 6), "unsupported_format"),
    "png declaring 20000x20000": (
        "bomb.png",
        lambda: image_factory.png_declaring(20000, 20000),
        "image_too_large",
    ),
    "gif with 10000 frames": (
        "frames.gif",
        lambda: image_factory.gif_with_frames(10_000),
        "animation_too_large",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.keys())
def test_bad_file_is_rejected_with_its_code_and_leaves_nothing(
    case, tmp_path, output_dir
):
    name, make, code = BAD_FILES[case]
    source = write(tmp_path, name, make())

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir)

    assert rejection.value.code == code
    assert rejection.value.message
    assert list(output_dir.iterdir()) == []


def test_psd_fixture_is_a_real_psd_pillow_could_decode(tmp_path):
    source = write(tmp_path, "layers.psd", image_factory.psd(8, 6))

    with Image.open(source) as image:
        assert (image.format, image.size) == ("PSD", (8, 6))


def test_bomb_png_is_small_and_rejected_from_its_header(tmp_path, output_dir):
    data = image_factory.png_declaring(9000, 9000)
    source = write(tmp_path, "bomb.png", data)

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir, max_pixels=50_000_000)

    assert len(data) < 4096
    assert rejection.value.code == "image_too_large"
    assert rejection.value.message == (
        "The image has 81000000 pixels; the limit is 50000000."
    )


def test_pillow_decompression_warning_counts_as_too_large(tmp_path, output_dir):
    # 100 MP is over Image.MAX_IMAGE_PIXELS (89 MP) but under twice it: a warning.
    source = write(tmp_path, "big.png", image_factory.png_declaring(10000, 10000))

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir, max_pixels=200_000_000)

    assert rejection.value.code == "image_too_large"


def test_animation_over_frame_limit_is_rejected(tmp_path, output_dir):
    source = write(tmp_path, "many.gif", image_factory.gif_with_frames(11))

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir, max_frames=10)

    assert rejection.value.code == "animation_too_large"
    assert rejection.value.message == "The animation has over 10 frames."


def test_animation_over_pixel_budget_is_rejected(tmp_path, output_dir):
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "blue")] * 3
    source = write(
        tmp_path,
        "heavy.gif",
        image_factory.encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
    )

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir, max_animation_pixels=59_999)

    assert rejection.value.code == "animation_too_large"
    assert list(output_dir.iterdir()) == []


def test_gif_frame_larger_than_its_canvas_is_corrupt(tmp_path, output_dir):
    gif = image_factory.gif_with_frames(3, last_frame_size=(3000, 3000))
    source = write(tmp_path, "grows.gif", gif)

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir)

    assert rejection.value.code == "corrupt_image"
    assert rejection.value.message == "A frame does not fit the image."
    assert list(output_dir.iterdir()) == []


def test_gif_truncated_in_a_later_frame_is_corrupt_and_leaves_nothing(
    tmp_path, output_dir
):
    frames = [
        Image.effect_noise((120, 120), 80).convert("RGB").quantize() for _ in range(3)
    ]
    gif = image_factory.encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:]
    )
    source = write(tmp_path, "cut.gif", gif[: len(gif) - 2000])

    with pytest.raises(ImageRejected) as rejection:
        process(source, output_dir)

    assert rejection.value.code == "corrupt_image"
    assert list(output_dir.iterdir()) == []


def test_an_animation_is_decoded_one_frame_at_a_time(tmp_path, output_dir, monkeypatch):
    import weakref

    from media_uploads.images import pipeline

    alive, most_alive = set(), 0
    real_normalize = pipeline.normalize

    def counted_normalize(*args, **kwargs):
        nonlocal most_alive
        frame = real_normalize(*args, **kwargs)
        alive.add(id(frame))
        weakref.finalize(frame, alive.discard, id(frame))
        most_alive = max(most_alive, len(alive))
        return frame

    monkeypatch.setattr(pipeline, "normalize", counted_normalize)
    frames = [Image.new("RGB", (300, 200), (i * 6, 0, 255 - i * 6)) for i in range(40)]
    source = write(
        tmp_path,
        "long.gif",
        image_factory.encode(
            frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50
        ),
    )

    processed = process(source, output_dir)

    assert processed.frame_count == 40
    with reopen(processed.variants[0]) as animation:
        assert animation.n_frames == 40
    # The first frame (kept for the still variants), the one being encoded and the
    # one replacing it; decoding every frame first held all 40.
    assert most_alive <= 3
