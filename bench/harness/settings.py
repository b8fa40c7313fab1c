"""poster's settings, with poster's URLs plus the baseline view (bench/autosave)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.autosave.baseline"
