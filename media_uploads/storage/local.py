"""Local-disk storage under LOCAL_STORAGE_ROOT, the embedded default."""

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from media_uploads.storage.base import StorageUnavailable


@dataclass
class LocalStorage:
    root: Path

    @classmethod
    def from_settings(cls) -> "LocalStorage":
        root = Path(settings.LOCAL_STORAGE_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        return cls(root=root)

    def check_ready(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"{self.root} is not writable")
