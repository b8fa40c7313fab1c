"""Benchmark poster's image pipeline against a naive Pillow one and libvips.

    .venv/bin/python bench/images/run.py [--repeat 7]

Makes two 12 MP (4000x3000) photo-like JPEGs, EXIF orientation 1 and 6, then runs
every pipeline on every photo in a subprocess of its own, so that peak RSS
(ru_maxrss after the runs minus ru_maxrss after the imports) belongs to one
pipeline only. Each subprocess runs once to warm up, then `--repeat` timed runs.
Prints the median wall time, the peak RSS and the ratios to poster.

Pipelines, all writing WebP q80 at widths 1080, 640, 320, 160 into a temp folder:
- poster: media_uploads.images.process_image (also writes jpeg1080, a blurhash).
- naive: ImageOps.exif_transpose, then a LANCZOS resize of the full image per
  width, Pillow's default WebP method (4).
- libvips: pyvips thumbnail (shrink-on-load, autorotate) to 1080, then a pyramid
  of thumbnail_image calls, default effort (4); "libvips e2" uses effort 2 like
  poster. The operation cache is off. Skipped with a note when pyvips cannot be
  imported (pip install pyvips==3.2.0 pyvips-binary==8.18.7).
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1080, 640, 320, 160)
PIPELINES = ("poster", "naive", "libvips", "libvips e2")
Runner = Callable[[Path, Path], None]


def make_photo(path: Path, *, orientation: int) -> None:
    """Gradients, soft blotches and fine grain: compresses like a real photo."""
    from PIL import Image

    size = (4000, 3000)
    gradients = [
        Image.linear_gradient("L").resize(size),
        Image.radial_gradient("L").resize(size),
        Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size),
    ]
    channels = []
    for seed, gradient in enumerate(gradients):
        blotches = Image.effect_noise((400 + seed, 300), 64).resize(
            size, Image.Resampling.BICUBIC
        )
        grain = Image.effect_noise(size, 48)
        channels.append(Image.blend(Image.blend(gradient, blotches, 0.35), grain, 0.12))
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.merge("RGB", channels).save(path, "JPEG", quality=90, exif=exif)


def load_runner(pipeline: str) -> Runner:
    if pipeline == "poster":
        sys.path.insert(0, str(REPO_ROOT))
        from media_uploads.images import process_image

        def run_poster(source: Path, output_dir: Path) -> None:
            process_image(
                source,
                output_dir=output_dir,
                max_pixels=40_000_000,
                max_frames=300,
                max_animation_pixels=100_000_000,
            )

        return run_poster

    if pipeline == "naive":
        from PIL import Image, ImageOps

        def run_naive(source: Path, output_dir: Path) -> None:
            with Image.open(source) as opened:
                image = ImageOps.exif_transpose(opened)
                for width in WIDTHS:
                    height = round(image.height * width / image.width)
                    resized = image.resize((width, height), Image.Resampling.LANCZOS)
                    resized.save(output_dir / f"w{width}.webp", "WEBP", quality=80)

        return run_naive

    import pyvips  # only the libvips pipelines need it

    pyvips.cache_set_max(0)  # a cache hit on the same file would skip the work
    effort = 2 if pipeline == "libvips e2" else 4

    def run_libvips(source: Path, output_dir: Path) -> None:
        image = pyvips.Image.thumbnail(str(source), WIDTHS[0], height=10**6)
        image = image.copy_memory()
        for width in WIDTHS:
            if width != WIDTHS[0]:
                image = image.thumbnail_image(width, height=10**6).copy_memory()
            image.webpsave(str(output_dir / f"w{width}.webp"), Q=80, effort=effort)

    return run_libvips


def child(pipeline: str, source: Path, repeat: int) -> None:
    try:
        run = load_runner(pipeline)
    except ImportError as error:
        print(json.dumps({"skipped": f"{pipeline}: {error}"}))
        return
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings_ms = []
    with tempfile.TemporaryDirectory() as workdir:
        output_dir = Path(workdir)
        run(source, output_dir)  # warm-up: lazy plugin and codec initialisation
        for _ in range(repeat):
            started = time.perf_counter()
            run(source, output_dir)
            timings_ms.append((time.perf_counter() - started) * 1000)
        w1080_bytes = (output_dir / "w1080.webp").stat().st_size
    rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "median_ms": statistics.median(timings_ms),
                "min_ms": min(timings_ms),
                "peak_rss_mb": (rss_after_kb - rss_before_kb) / 1024,
                "w1080_bytes": w1080_bytes,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "SOURCE"))
    parser.add_argument("--make-photos", type=Path, metavar="FOLDER")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child[0], Path(arguments.child[1]), arguments.repeat)
        return
    if arguments.make_photos:
        for orientation, label in ((1, "upright"), (6, "rotated")):
            make_photo(arguments.make_photos / f"{label}.jpg", orientation=orientation)
        return

    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory() as workdir:
        # Make the photos in a subprocess too: Linux carries a parent's ru_maxrss
        # into the children it starts, which would hide theirs.
        subprocess.run([sys.executable, __file__, "--make-photos", workdir], check=True)
        photos = {
            label: Path(workdir) / f"{label}.jpg" for label in ("upright", "rotated")
        }
        for pipeline in PIPELINES:
            for label, photo in photos.items():
                completed = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        pipeline,
                        str(photo),
                        "--repeat",
                        str(arguments.repeat),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[pipeline, label] = json.loads(completed.stdout.splitlines()[-1])

    print(f"12 MP JPEG (4000x3000), median of {arguments.repeat} runs")
    print(
        f"{'pipeline':<11} {'photo':<8} {'median ms':>9} {'min ms':>7} "
        f"{'peak RSS MB':>11} {'w1080 KB':>8} {'x poster':>8}"
    )
    for (pipeline, label), result in results.items():
        if "skipped" in result:
            print(f"{pipeline:<11} {label:<8} skipped ({result['skipped']})")
            continue
        ratio = result["median_ms"] / results["poster", label]["median_ms"]
        print(
            f"{pipeline:<11} {label:<8} {result['median_ms']:>9.0f} "
            f"{result['min_ms']:>7.0f} {result['peak_rss_mb']:>11.1f} "
            f"{result['w1080_bytes'] / 1024:>8.0f} {ratio:>8.2f}"
        )
    print("x poster = median ms / poster's median ms on the same photo (naive/poster,")
    print("libvips/poster); above 1 means poster is faster.")


if __name__ == "__main__":
    main()
