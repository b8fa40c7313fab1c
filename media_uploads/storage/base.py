"""The storage protocol every backend implements, and the values it returns.

Keys are `/`-separated paths chosen by poster (`uploads/<owner>/<asset>` for private
originals, `media/<asset>/<name>.<ext>` for public derivatives), never by clients.
Backends raise `StorageUnavailable` for anything worth retrying (network, 5xx) and
return `None` from `head` for an object that does not exist.
"""

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

# How much of an object passes through memory at once, on every path that streams one.
CHUNK_BYTES = 256 * 1024
ORIGINALS_PREFIX = "uploads"
PUBLIC_PREFIX = "media"


def original_key(*, owner_id: object, asset_id: object) -> str:
    """Where an asset's uploaded original is stored: private, one per asset."""
    return f"{ORIGINALS_PREFIX}/{owner_id}/{asset_id}"


def original_key_owner_id(key: str) -> str | None:
    """The owner id an original's key names, or None if `key` is not one."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != ORIGINALS_PREFIX:
        return None
    return parts[1]


def sha256_base64(sha256_hex: str) -> str:
    """The form S3's x-amz-checksum-sha256 header takes."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


class StorageUnavailable(Exception):
    """Storage could not be reached or answered with a server error; worth retrying."""


class ObjectMissing(Exception):
    """The object to download or copy does not exist."""


class ObjectTooLarge(Exception):
    """A stored object is larger than the caller allows."""


@dataclass(frozen=True)
class UploadInstruction:
    """What a generic client does to upload: a multipart POST or a plain PUT.

    For POST, send `fields` as form fields in order and the file last, as `file`.
    For PUT, send the bytes as the body with exactly `headers`.
    """

    method: str
    url: str
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None

    def as_dict(self) -> dict:
        instruction = {"method": self.method, "url": self.url}
        if self.fields is not None:
            instruction["fields"] = self.fields
        if self.headers is not None:
            instruction["headers"] = self.headers
        return instruction


@dataclass(frozen=True)
class StoredObjectInfo:
    size_bytes: int
    content_type: str


class Storage(Protocol):
    def check_ready(self) -> None:
        """Raise if the storage cannot serve requests now."""

    def upload_instruction(
        self,
        *,
        key: str,
        content_type: str,
        size_bytes: int,
        sha256_hex: str | None,
        expires_in_seconds: int,
    ) -> UploadInstruction:
        """Presign an upload of exactly these bytes to exactly this key."""

    def head(self, key: str) -> StoredObjectInfo | None: ...

    def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object succeeds."""

    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        """Copy the object into `destination`; raise ObjectTooLarge past `max_bytes`."""

    def put_file(
        self, key: str, source: Path, *, content_type: str, cache_control: str
    ) -> None: ...

    def copy(self, source_key: str, destination_key: str) -> None:
        """Copy an object with its content type and cache control."""

    def public_url(self, key: str) -> str: ...
