"""The storage protocol every backend implements."""

from typing import Protocol


class StorageUnavailable(Exception):
    """Storage could not be reached or answered with a server error; worth retrying."""


class Storage(Protocol):
    def check_ready(self) -> None:
        """Raise if the storage cannot serve requests now."""
