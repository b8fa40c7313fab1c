"""A typed client generated from /api/schema/ walks the whole flow, as the mobile and
web teams' generated clients do: if the generator cannot express something, the
schema is what needs fixing, so generation runs with --fail-on-warning and the flow
uses nothing but the generated client (and, for the upload, the instruction the
lease answers with)."""

import importlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.service import REPO_DIR

PACKAGE = "poster_generated_client"
READY_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def generated(demo_service, tmp_path_factory):
    """The client package, generated into a temporary folder and imported."""
    folder = tmp_path_factory.mktemp("generated")
    config = folder / "config.json"
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    completed = subprocess.run(
        [
            str(REPO_DIR / ".venv" / "bin" / "openapi-python-client"),
            "generate",
            "--url",
            f"{demo_service.base_url}/api/schema/?format=json",
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(folder / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Warning" not in completed.stdout + completed.stderr
    sys.path.insert(0, str(folder))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(folder))
        for module in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[module]


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_as_instructed(instruction, content: bytes, *, filename: str) -> int:
    """Send the bytes the way the lease says: a form POST or a PUT."""
    if instruction.method.value == "POST":
        fields = instruction.fields.additional_properties
        answer = httpx.post(
            instruction.url,
            data=fields,  # httpx sends these in order, before the file
            files={"file": (filename, content, fields["Content-Type"])},
            timeout=60,
        )
    else:
        answer = httpx.put(
            instruction.url,
            content=content,
            headers=instruction.headers.additional_properties,
            timeout=60,
        )
    return answer.status_code


def test_a_generated_client_walks_the_flow(demo_service, generated):
    client_module = generated("client")
    models = generated("models")
    api = {
        name: generated(f"api.v1.{name}")
        for name in (
            "drafts_create",
            "drafts_autosave",
            "drafts_get",
            "drafts_publish",
            "media_lease",
            "media_complete",
            "media_get",
            "posts_get",
        )
    }
    client = client_module.AuthenticatedClient(
        base_url=demo_service.base_url,
        token=demo_service.api_user("generated-client"),
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    image = png_bytes(320, 200)

    # A draft, then an autosave with the version it was created at.
    created = api["drafts_create"].sync_detailed(
        client=client,
        body=models.DraftCreateRequest(
            kind=models.KindEnum.IMAGE, title="Generated", community="general"
        ),
    )
    assert created.status_code == 201
    draft_id = created.parsed.id
    first_version = created.headers["ETag"]
    saved = api["drafts_autosave"].sync_detailed(
        draft_id,
        client=client,
        body=models.PatchedDraftInputRequest(body="First words"),
        if_match=first_version,
    )
    assert (saved.status_code, saved.parsed.body, saved.parsed.merged) == (
        200,
        "First words",
        False,
    )

    # Another device still at the first version changes the same field: a 412 the
    # client can switch on by its typed code.
    stale = api["drafts_autosave"].sync_detailed(
        draft_id,
        client=client,
        body=models.PatchedDraftInputRequest(body="Other words"),
        if_match=first_version,
    )
    assert stale.status_code == 412
    conflict_code = stale.parsed.error.code
    assert conflict_code is models.DraftsAutosaveError412ErrorCode.EDIT_CONFLICT
    assert stale.headers["ETag"] == saved.headers["ETag"]

    # Lease an image into the draft, upload it as instructed, complete, wait.
    lease = api["media_lease"].sync(
        client=client,
        body=models.MediaLeaseRequest(
            filename="photo.png",
            content_type=models.ContentTypeEnum.IMAGEPNG,
            size_bytes=len(image),
            draft=draft_id,
        ),
    )
    assert isinstance(lease, models.LeaseOutput)
    assert upload_as_instructed(lease.upload, image, filename="photo.png") in (
        200,
        201,
        204,
    )
    completed = api["media_complete"].sync_detailed(lease.id, client=client)
    assert completed.status_code in (200, 202)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    media = api["media_get"].sync(lease.id, client=client)
    while media.status is not models.MediaOutputStatusEnum.READY:
        assert media.status is not models.MediaOutputStatusEnum.FAILED, (
            media.failure_code
        )
        assert time.monotonic() < deadline, media.status
        time.sleep(0.2)
        media = api["media_get"].sync(lease.id, client=client)
    assert (media.width, media.height) == (320, 200)

    # Publish the version last seen, then read the post.
    current = api["drafts_get"].sync_detailed(draft_id, client=client)
    published = api["drafts_publish"].sync_detailed(
        draft_id,
        client=client,
        body=models.PublishRequest(),
        if_match=current.headers["ETag"],
    )
    assert published.status_code == 201
    post = api["posts_get"].sync(published.parsed.id, client=client)
    assert isinstance(post, models.PostOutput)
    assert (post.status, post.title, post.body, post.community, post.kind) == (
        models.PostOutputStatusEnum.PUBLISHED,
        "Generated",
        "First words",
        "general",
        models.KindEnum.IMAGE,
    )
    (post_media,) = post.media
    assert (post_media.id, post_media.width, post_media.height) == (lease.id, 320, 200)
    assert {variant.name for variant in post_media.variants} >= {"w160", "w320"}


def test_the_generated_client_types_each_operations_error_codes(generated):
    models = generated("models")

    assert [code.value for code in models.DraftsPublishError428ErrorCode] == [
        "precondition_required"
    ]
    assert {code.value for code in models.MediaLeaseError429ErrorCode} == {
        "too_many_pending_uploads",
        "upload_quota_exceeded",
        "throttled",
    }
    assert Path(models.__file__).parent.name == "models"
