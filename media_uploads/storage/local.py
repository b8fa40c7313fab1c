"""Local-disk storage under LOCAL_STORAGE_ROOT, the embedded default.

It behaves like S3 for clients: `upload_instruction` returns the same shapes as the S3
backend, pointing at poster's own `/api/v1/storage/upload/` with a token signed by
`django.core.signing` that binds key, content type, size, checksum and expiry. The
upload endpoint (`receive_upload`) enforces what S3 enforces: exact size, exact type,
exact key, expiry and checksum; it streams to a temporary file, never holds the body
in memory, and publishes the object atomically without ever overwriting one.
Metadata (the content type) is kept beside each object under `.meta/`.
"""

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

from media_uploads.storage.base import (
    CHUNK_BYTES,
    ObjectMissing,
    ObjectTooLarge,
    StorageUnavailable,
    StoredObjectInfo,
    UploadInstruction,
    sha256_base64,
)

TOKEN_SALT = "media_uploads.local_upload"  # noqa: S105 (a namespace, not a secret)


class UploadRejected(Exception):
    """The upload breaks its lease; `code` and `status` mirror what S3 answers."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# The disk (or the user's quota) is full: nothing is stored, and the same upload
# succeeds once space returns.
NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def insufficient_storage() -> UploadRejected:
    return UploadRejected(
        "insufficient_storage",
        "The server has no room for this upload right now; try again later.",
        507,
    )


@contextlib.contextmanager
def no_space_as(make_error):
    """Turn a full disk into `make_error()`; other OS errors pass unchanged."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_SPACE_ERRNOS:
            raise make_error() from error
        raise


def access_denied(message: str) -> UploadRejected:
    return UploadRejected("access_denied", message, 403)


@dataclass(frozen=True)
class UploadGrant:
    key: str
    content_type: str
    size_bytes: int
    sha256_hex: str | None
    expires_at: float


@dataclass
class LocalStorage:
    root: Path

    @classmethod
    def from_settings(cls) -> "LocalStorage":
        root = Path(settings.LOCAL_STORAGE_ROOT)
        for folder in (root, root / ".tmp", root / ".meta"):
            folder.mkdir(parents=True, exist_ok=True)
        return cls(root=root)

    def check_ready(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"{self.root} is not writable")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents or key.startswith("."):
            raise ValueError(f"key {key!r} leaves the storage root")
        return path

    def _meta_path(self, key: str) -> Path:
        return self.root / ".meta" / f"{key}.json"

    # Uploads -----------------------------------------------------------------------

    def upload_instruction(
        self,
        *,
        key: str,
        content_type: str,
        size_bytes: int,
        sha256_hex: str | None,
        expires_in_seconds: int,
    ) -> UploadInstruction:
        token = signing.dumps(
            {
                "k": key,
                "t": content_type,
                "n": size_bytes,
                "h": sha256_hex,
                "e": time.time() + expires_in_seconds,
            },
            salt=TOKEN_SALT,
            compress=True,
        )
        url = f"{reverse('local-storage-upload')}?token={quote(token)}"
        if sha256_hex is None:
            return UploadInstruction(
                method="POST",
                url=url,
                fields={"key": key, "Content-Type": content_type},
            )
        return UploadInstruction(
            method="PUT",
            url=url,
            headers={
                "Content-Type": content_type,
                "x-amz-checksum-sha256": sha256_base64(sha256_hex),
            },
        )

    def upload_grant(self, token: str) -> UploadGrant:
        try:
            claims = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature as error:
            raise access_denied("The upload token is not valid.") from error
        grant = UploadGrant(
            key=claims["k"],
            content_type=claims["t"],
            size_bytes=claims["n"],
            sha256_hex=claims["h"],
            expires_at=claims["e"],
        )
        if time.time() > grant.expires_at:
            raise UploadRejected("policy_expired", "The upload lease has expired.", 403)
        return grant

    def grant_check(self, grant: UploadGrant, *, key: str, content_type: str) -> None:
        if key != grant.key:
            raise access_denied("The key does not match the upload lease.")
        if content_type != grant.content_type:
            raise access_denied("The content type does not match the upload lease.")

    def upload_writer(self, grant: UploadGrant) -> "LeasedUploadWriter":
        return LeasedUploadWriter(self, grant)

    def _publish(self, source: Path, *, key: str, content_type: str) -> None:
        """Give `source` its key atomically; an existing object is never replaced."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta_path = self._meta_path(key)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise UploadRejected(
                "object_exists", "This upload was already completed.", 409
            )
        with no_space_as(insufficient_storage):
            _write_atomically(meta_path, json.dumps({"content_type": content_type}))
            try:
                os.link(source, path)
            except FileExistsError as error:
                raise UploadRejected(
                    "object_exists", "This upload was already completed.", 409
                ) from error
            except OSError:
                # No object without its metadata, and no metadata without its object.
                meta_path.unlink(missing_ok=True)
                raise

    # Objects -----------------------------------------------------------------------

    def head(self, key: str) -> StoredObjectInfo | None:
        path = self._path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not S_ISREG(stat.st_mode):  # a folder is no object (S3 has none)
            return None
        size = stat.st_size
        try:
            content_type = json.loads(self._meta_path(key).read_text())["content_type"]
        except (FileNotFoundError, ValueError, KeyError):
            content_type = "application/octet-stream"
        return StoredObjectInfo(size_bytes=size, content_type=content_type)

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._meta_path(key)):
            path.unlink(missing_ok=True)

    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        try:
            source = self._path(key).open("rb")
        except FileNotFoundError as error:
            raise ObjectMissing(key) from error
        with source:
            copied = 0
            while chunk := source.read(CHUNK_BYTES):
                copied += len(chunk)
                if copied > max_bytes:
                    raise ObjectTooLarge(key)
                destination.write(chunk)
        return copied

    def put_file(
        self, key: str, source: Path, *, content_type: str, cache_control: str
    ) -> None:
        """Write a derivative; replacing one is fine, since its key is deterministic."""
        with source.open("rb") as data:
            self._put_stream(
                key, data, content_type=content_type, cache_control=cache_control
            )

    def _put_stream(
        self, key: str, data: BinaryIO, *, content_type: str, cache_control: str
    ) -> None:
        with no_space_as(lambda: StorageUnavailable(f"{self.root} is full")):
            self._put_stream_or_raise(
                key, data, content_type=content_type, cache_control=cache_control
            )

    def _put_stream_or_raise(
        self, key: str, data: BinaryIO, *, content_type: str, cache_control: str
    ) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._meta_path(key).parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(
            self._meta_path(key),
            json.dumps({"content_type": content_type, "cache_control": cache_control}),
        )
        descriptor, temporary = tempfile.mkstemp(dir=self.root / ".tmp")
        try:
            with os.fdopen(descriptor, "wb") as out:
                shutil.copyfileobj(data, out)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def copy(self, source_key: str, destination_key: str) -> None:
        # Open the source first: if it is gone, nothing of the copy is written.
        try:
            meta = json.loads(self._meta_path(source_key).read_text())
            source = self._path(source_key).open("rb")
        except FileNotFoundError as error:
            raise ObjectMissing(source_key) from error
        with source:
            self._put_stream(
                destination_key,
                source,
                content_type=meta["content_type"],
                cache_control=meta.get("cache_control", ""),
            )

    def public_url(self, key: str) -> str:
        # Without a CDN, poster serves derivatives itself at /<key> (/media/...).
        base = settings.MEDIA_PUBLIC_BASE_URL or "/"
        return f"{base.rstrip('/')}/{key}"

    def public_file(self, key: str) -> tuple[Path, str] | None:
        """The file and content type of a public derivative, for poster to serve."""
        public_root = (self.root / "media").resolve()
        try:
            if public_root not in self._path(key).parents:
                return None
        except ValueError:
            return None
        info = self.head(key)
        if info is None:
            return None
        return self._path(key), info.content_type


class LeasedUploadWriter:
    """Streams one leased upload into a temporary file, then publishes it.

    `write` refuses the first byte past the leased size; `commit` checks key, type,
    size and checksum, and gives the file its key atomically. Used as a context
    manager, the temporary file is always removed.
    """

    def __init__(self, storage: LocalStorage, grant: UploadGrant) -> None:
        self.storage = storage
        self.grant = grant
        # Closed in __exit__: the writer is always used as a context manager.
        self.file = tempfile.NamedTemporaryFile(dir=storage.root / ".tmp")  # noqa: SIM115
        self.digest = hashlib.sha256()
        self.received_bytes = 0

    def __enter__(self) -> "LeasedUploadWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()

    def write(self, chunk: bytes) -> None:
        self.received_bytes += len(chunk)
        if self.received_bytes > self.grant.size_bytes:
            raise UploadRejected(
                "entity_too_large", "The body is larger than leased.", 400
            )
        self.digest.update(chunk)
        with no_space_as(insufficient_storage):
            self.file.write(chunk)

    def commit(self, *, key: str, content_type: str) -> None:
        self.storage.grant_check(self.grant, key=key, content_type=content_type)
        if self.received_bytes < self.grant.size_bytes:
            raise UploadRejected(
                "entity_too_small", "The body is smaller than leased.", 400
            )
        if self.grant.sha256_hex and self.digest.hexdigest() != self.grant.sha256_hex:
            raise UploadRejected(
                "bad_digest", "The body does not match its SHA-256 checksum.", 400
            )
        with no_space_as(insufficient_storage):
            self.file.flush()
            os.fsync(self.file.fileno())
        self.storage._publish(Path(self.file.name), key=key, content_type=content_type)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
