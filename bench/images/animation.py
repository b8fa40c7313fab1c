"""Peak memory of the worst animation poster's default limits allow.

    .venv/bin/python bench/images/animation.py [--repeat 3]

Makes the longest, largest animation the defaults let through: MEDIA_MAX_FRAMES (300)
frames of 1490x1118 px (1.67 MP, so 300 frames stay under MEDIA_MAX_ANIMATION_PIXELS,
500 M), a GIF whose every frame differs, under MEDIA_MAX_BYTES. Then, each run in a
subprocess of its own, processes it with:
- poster: media_uploads.images.process_image, which decodes and encodes one frame at
  a time;
- all frames first (the baseline, poster's earlier pipeline): every frame decoded and
  normalized into a list, then the same WebP encoder.
Peak RSS is ru_maxrss after the run minus ru_maxrss after the imports (what an idle
worker process holds). Prints each run, the median, the spread and the ratio; the
target is at most 300 MB above idle for poster.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FRAMES = 300
SIZE = (1490, 1118)
LIMITS = {
    "max_pixels": 50_000_000,
    "max_frames": 300,
    "max_animation_pixels": 500_000_000,
}
TARGET_MB = 300
PIPELINES = ("poster", "all frames first")


def make_animation(path: Path) -> None:
    """Bands of colour that move each frame: every frame is new to the encoder."""
    from PIL import Image, ImageDraw

    frames = []
    for index in range(FRAMES):
        frame = Image.new("P", SIZE, 0)
        frame.putpalette([channel for n in range(256) for channel in (n, 255 - n, 128)])
        draw = ImageDraw.Draw(frame)
        for band in range(0, SIZE[0], 150):  # wide bands keep the GIF under 20 MiB
            colour = (band // 150 + index * 3) % 256
            draw.rectangle((band, 0, band + 149, SIZE[1]), fill=colour)
        draw.ellipse((index * 4, 200, index * 4 + 300, 500), fill=(index * 7) % 256)
        frames.append(frame)
    frames[0].save(
        path, "GIF", save_all=True, append_images=frames[1:], duration=40, loop=0
    )


def run_all_frames_first(source: Path, output_dir: Path) -> None:
    """The baseline: what poster did before, decode every frame, then encode."""
    from PIL import Image

    from media_uploads.images.encoding import save_webp, variant_plan
    from media_uploads.images.normalizing import normalize

    with Image.open(source) as image:
        plan = variant_plan(*image.size)
        frames, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(normalize(image, plan[0][1:], 1))
            durations.append(image.info.get("duration", 0))
        save_webp(frames, plan[0], output_dir, [], durations, 0)


def child(pipeline: str, source: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT))
    from media_uploads.images import process_image

    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        if pipeline == "poster":
            processed = process_image(source, output_dir=Path(workdir), **LIMITS)
            assert processed.frame_count == FRAMES
        else:
            run_all_frames_first(source, Path(workdir))
        seconds = time.perf_counter() - started
    rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "idle_rss_mb": rss_before_kb / 1024,
                "peak_over_idle_mb": (rss_after_kb - rss_before_kb) / 1024,
                "seconds": seconds,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=PIPELINES)
    parser.add_argument("--make", type=Path)
    parser.add_argument("--source", type=Path)
    arguments = parser.parse_args()
    if arguments.make:
        make_animation(arguments.make)
        return
    if arguments.child:
        child(arguments.child, arguments.source)
        return
    with tempfile.TemporaryDirectory() as workdir:
        source = Path(workdir) / "worst.gif"
        # In a subprocess: Linux carries a parent's ru_maxrss into its children.
        subprocess.run([sys.executable, __file__, "--make", str(source)], check=True)
        size_mb = source.stat().st_size / 2**20
        print(f"{FRAMES} frames of {SIZE[0]}x{SIZE[1]}, GIF of {size_mb:.1f} MiB")
        assert size_mb <= 20, "larger than MEDIA_MAX_BYTES: not an allowed upload"
        results: dict[str, list[dict]] = {name: [] for name in PIPELINES}
        for run in range(arguments.repeat):
            for name in PIPELINES:  # interleaved, so load drifts hit both alike
                completed = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        name,
                        "--source",
                        str(source),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                result = json.loads(completed.stdout)
                results[name].append(result)
                print(
                    f"run {run + 1} {name:>16}: {result['peak_over_idle_mb']:7.1f} MB "
                    f"over idle ({result['idle_rss_mb']:.0f} MB), "
                    f"{result['seconds']:.1f} s"
                )
    medians = {}
    for name in PIPELINES:
        peaks = [result["peak_over_idle_mb"] for result in results[name]]
        medians[name] = statistics.median(peaks)
        print(
            f"{name:>16}: median {medians[name]:.1f} MB over idle, "
            f"spread {min(peaks):.1f}-{max(peaks):.1f} MB"
        )
    poster, baseline = medians["poster"], medians["all frames first"]
    verdict = "met" if poster <= TARGET_MB else "MISSED"
    print(
        f"poster peak / all-frames-first peak = {poster / baseline:.2f}x; "
        f"poster {poster:.0f} MB over idle (target <= {TARGET_MB} MB: {verdict})"
    )
    print("The machine is shared and loaded: times vary, peak RSS far less.")


if __name__ == "__main__":
    main()
