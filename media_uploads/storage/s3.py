"""S3-compatible storage through one boto3 client per process."""

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 30


@dataclass
class S3Storage:
    client: Any
    bucket: str

    @classmethod
    def from_settings(cls) -> "S3Storage":
        client = boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL,
            region_name=settings.S3_REGION,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        return cls(client=client, bucket=settings.S3_BUCKET)

    def check_ready(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)
