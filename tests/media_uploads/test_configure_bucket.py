import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_configure_bucket_sets_cors_lifecycle_and_public_media(moto_storage, settings):
    settings.MEDIA_UPLOAD_ORIGINS = ["https://app.example.com"]
    output = StringIO()

    call_command("configure_bucket", stdout=StringIO())
    # Run twice: each put_bucket_* replaces its whole configuration today; this
    # keeps a rerun from stacking rules should that ever change to appending.
    call_command("configure_bucket", stdout=output)

    client, bucket = moto_storage.client, moto_storage.bucket
    cors = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert len(cors) == 2  # uploads from the app; reads from anywhere
    assert cors[0]["AllowedOrigins"] == ["https://app.example.com"]
    assert sorted(cors[0]["AllowedMethods"]) == ["POST", "PUT"]
    rules = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert len(rules) == 1
    assert rules[0]["Status"] == "Enabled"
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    # Anyone may read derivatives; nothing else, so originals under uploads/ stay
    # private.
    policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    assert [
        (each["Effect"], each["Principal"], each["Action"], each["Resource"])
        for each in policy["Statement"]
    ] == [("Allow", "*", "s3:GetObject", f"arn:aws:s3:::{bucket}/media/*")]
    assert "uploads/ is private" in output.getvalue()


def test_configure_bucket_creates_a_missing_bucket(moto_storage, settings):
    moto_storage.bucket = settings.S3_BUCKET = "poster-created-by-command"

    call_command("configure_bucket", stdout=StringIO())

    moto_storage.client.head_bucket(Bucket="poster-created-by-command")


def test_configure_bucket_needs_s3(local_storage):
    with pytest.raises(CommandError, match="STORAGE_BACKEND=s3"):
        call_command("configure_bucket", stdout=StringIO())
