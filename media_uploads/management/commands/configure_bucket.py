from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from media_uploads.storage import get_storage
from media_uploads.storage.s3 import S3Storage


class Command(BaseCommand):
    help = (
        "Create the S3 bucket when allowed, allow browser uploads (CORS) from "
        "MEDIA_UPLOAD_ORIGINS, make media/ public, and abort stale multipart uploads."
    )

    def handle(self, *args, **options) -> None:
        storage = get_storage()
        if not isinstance(storage, S3Storage):
            raise CommandError("configure_bucket needs STORAGE_BACKEND=s3.")
        for line in storage.configure_bucket(
            allowed_origins=list(settings.MEDIA_UPLOAD_ORIGINS)
        ):
            self.stdout.write(line)
