"""Object storage behind one small interface; see `base.Storage`.

`get_storage()` returns the process-wide backend chosen by `STORAGE_BACKEND`. Creating
an S3 client costs about 100 ms, so each process builds one and reuses it.
"""

from functools import cache

from django.conf import settings

from media_uploads.storage.base import Storage


@cache
def get_storage() -> Storage:
    if settings.STORAGE_BACKEND == "s3":
        from media_uploads.storage.s3 import S3Storage

        return S3Storage.from_settings()
    from media_uploads.storage.local import LocalStorage

    return LocalStorage.from_settings()


__all__ = ("Storage", "get_storage")
