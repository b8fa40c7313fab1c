"""S3-compatible storage through one boto3 client per process.

Uploads are presigned so that S3 itself enforces the lease:
- without a checksum, a presigned POST whose policy binds the exact key, the exact
  content type and the exact size (`content-length-range` n..n), expiring with the
  lease;
- with a SHA-256, a presigned PUT that signs Content-Type, Content-Length and
  `x-amz-checksum-sha256`, so S3 answers BadDigest to any other bytes and
  SignatureDoesNotMatch to any other type or length.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from media_uploads.storage.base import (
    CHUNK_BYTES,
    ObjectMissing,
    ObjectTooLarge,
    StorageUnavailable,
    StoredObjectInfo,
    UploadInstruction,
    sha256_base64,
)

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 30
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


def _is_not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES


def _is_transient(error: Exception) -> bool:
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or status in (408, 429)
    return isinstance(error, BotoCoreError)


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
                # Only send and check checksums where poster asks for them; the
                # presigned PUT carries its own x-amz-checksum-sha256.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        return cls(client=client, bucket=settings.S3_BUCKET)

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except (ClientError, BotoCoreError) as error:
            if _is_transient(error):
                raise StorageUnavailable(f"{operation}: {error}") from error
            raise

    def check_ready(self) -> None:
        self._call("head_bucket")

    def upload_instruction(
        self,
        *,
        key: str,
        content_type: str,
        size_bytes: int,
        sha256_hex: str | None,
        expires_in_seconds: int,
    ) -> UploadInstruction:
        if sha256_hex is None:
            presigned = self.client.generate_presigned_post(
                Bucket=self.bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[
                    {"key": key},
                    {"Content-Type": content_type},
                    ["content-length-range", size_bytes, size_bytes],
                ],
                ExpiresIn=expires_in_seconds,
            )
            return UploadInstruction(
                method="POST", url=presigned["url"], fields=presigned["fields"]
            )
        checksum = sha256_base64(sha256_hex)
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": size_bytes,
                "ChecksumSHA256": checksum,
            },
            ExpiresIn=expires_in_seconds,
        )
        return UploadInstruction(
            method="PUT",
            url=url,
            headers={"Content-Type": content_type, "x-amz-checksum-sha256": checksum},
        )

    def head(self, key: str) -> StoredObjectInfo | None:
        try:
            answer = self._call("head_object", Key=key)
        except ClientError as error:
            if _is_not_found(error):
                return None
            raise
        return StoredObjectInfo(
            size_bytes=answer["ContentLength"], content_type=answer["ContentType"]
        )

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=key)

    def download(self, key: str, destination: BinaryIO, *, max_bytes: int) -> int:
        try:
            answer = self._call("get_object", Key=key)
        except ClientError as error:
            if _is_not_found(error):
                raise ObjectMissing(key) from error
            raise
        if answer["ContentLength"] > max_bytes:
            answer["Body"].close()
            raise ObjectTooLarge(key)
        copied = 0
        try:
            for chunk in answer["Body"].iter_chunks(CHUNK_BYTES):
                copied += len(chunk)
                if copied > max_bytes:
                    raise ObjectTooLarge(key)
                destination.write(chunk)
        except BotoCoreError as error:
            raise StorageUnavailable(f"get_object: {error}") from error
        finally:
            answer["Body"].close()
        return copied

    def put_file(
        self, key: str, source: Path, *, content_type: str, cache_control: str
    ) -> None:
        with source.open("rb") as body:
            self._call(
                "put_object",
                Key=key,
                Body=body,
                ContentType=content_type,
                CacheControl=cache_control,
            )

    def copy(self, source_key: str, destination_key: str) -> None:
        try:
            self._call(
                "copy_object",
                Key=destination_key,
                CopySource={"Bucket": self.bucket, "Key": source_key},
                MetadataDirective="COPY",
            )
        except ClientError as error:
            if _is_not_found(error):
                raise ObjectMissing(source_key) from error
            raise

    def public_url(self, key: str) -> str:
        base = settings.MEDIA_PUBLIC_BASE_URL
        if not base:
            endpoint = settings.S3_ENDPOINT_URL or (
                f"https://s3.{settings.S3_REGION}.amazonaws.com"
            )
            base = f"{endpoint.rstrip('/')}/{self.bucket}"
        return f"{base.rstrip('/')}/{key}"

    def configure_bucket(self, *, allowed_origins: list[str]) -> list[str]:
        """Create the bucket if allowed, set CORS for uploads and a lifecycle rule."""
        done = []
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            params: dict[str, Any] = {"Bucket": self.bucket}
            if settings.S3_REGION != "us-east-1":
                params["CreateBucketConfiguration"] = {
                    "LocationConstraint": settings.S3_REGION
                }
            self.client.create_bucket(**params)
            done.append(f"created bucket {self.bucket}")
        self.client.put_bucket_cors(
            Bucket=self.bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": allowed_origins,
                        "AllowedMethods": ["POST", "PUT"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3600,
                    },
                    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
                ]
            },
        )
        done.append(f"CORS allows uploads from {', '.join(allowed_origins)}")
        self.client.put_bucket_lifecycle_configuration(
            Bucket=self.bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "abort-incomplete-multipart-uploads",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        )
        done.append("incomplete multipart uploads are aborted after 1 day")
        # Derivatives under media/ are public; originals under uploads/ stay private.
        self.client.put_bucket_policy(
            Bucket=self.bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublicDerivatives",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{self.bucket}/media/*",
                        }
                    ],
                }
            ),
        )
        done.append("objects under media/ are publicly readable; uploads/ is private")
        return done
