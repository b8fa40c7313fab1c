"""poster's settings, with the benchmark's URLconf: poster's URLs plus the baseline."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.autosave.bench_urls"
