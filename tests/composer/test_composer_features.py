"""The rest of the composer in headless Chromium: publishing (errors, schedule,
waiting for media), revisions, the media tray, the polling fallback, ownership, and
poster-client.js used on its own."""

import io
import re
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from config.celery import app as celery_app
from drafts.models import Draft
from drafts.services import draft_autosave
from media_uploads.models import MediaAsset
from poster.models import Community, Post
from tests.composer.conftest import PASSWORD, wait_for
from tests.composer.test_composer_browser import (
    jpeg_file,
    new_draft,
    stored,
    stored_keys,
    wait_saved,
)
from tests.events import EventsServer

pytestmark = pytest.mark.browser


def png_bytes(color: str, size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def a_worker_starting_late():
    """A real worker for a test whose uploads waited without one."""
    return start_worker(
        celery_app,
        pool="threads",
        concurrency=1,
        perform_ping_check=False,
        queues=["celery", "media"],
    )


def draft_with_one_upload(composer, tmp_path, attribute: str, value: str):
    """A new draft of a new user's, one JPEG picked, its tray item showing `attribute`
    = `value`: (page, draft id, item, media id)."""
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path))
    item = page.locator("#media-tray li").first
    expect(item).to_have_attribute(attribute, value)
    return page, draft_id, item, item.get_attribute("data-key")


def upload_two_images(page, tmp_path):
    first = jpeg_file(tmp_path, "first.jpg", (640, 480))
    second = jpeg_file(tmp_path, "second.jpg", (480, 640))
    page.locator("#file-input").set_input_files([first, second])
    items = page.locator("#media-tray li")
    expect(items).to_have_count(2)
    for index in (0, 1):
        expect(items.nth(index)).to_have_attribute("data-thumbnail", "shown")
    return items


def test_publishing_errors_appear_next_to_their_fields(composer):
    composer.user()
    page = composer.device()
    new_draft(page)
    page.get_by_label("Community").fill("nosuchplace")
    wait_saved(page)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#title-error")).to_contain_text("title_required: ")

    page.get_by_label("Title").fill("A title at last")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#community-error")).to_contain_text("community_not_found: ")
    expect(page.locator("#title-error")).to_be_empty()
    assert not Post.objects.exists()


def test_a_blocking_rule_is_listed_and_shown_at_its_field(composer):
    from poster.models import CommunityRule

    community = Community.objects.create(
        name="pics", title="Pictures", allowed_kinds=["text"]
    )
    CommunityRule.objects.create(
        community=community,
        kind="title_banned_phrases",
        value="upvote",
        severity="block",
        message="No begging for votes.",
    )
    composer.user()
    page = composer.device()
    new_draft(page)
    page.get_by_label("Title").fill("Please upvote this")
    page.get_by_label("Community").fill("pics")
    page.get_by_role("button", name="Publish").click()

    expect(page.locator("#publish-error")).to_contain_text("requirements_not_met")
    expect(page.locator("#title-error")).to_contain_text("No begging for votes.")
    expect(page.locator("#violations li")).to_have_count(1)


def test_scheduling_shows_the_time_and_leaves_the_post_scheduled(composer):
    Community.objects.create(name="travel", title="Travel", allowed_kinds=["text"])
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.get_by_label("Title").fill("Tomorrow morning")
    page.get_by_label("Community").fill("travel")
    page.get_by_label("Later").check()
    when = (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0)
    page.get_by_label("Publish at").fill(when.strftime("%Y-%m-%dT%H:%M"))

    page.get_by_role("button", name="Publish").click()

    expect(page.locator("#publish-state")).to_contain_text("scheduled: publishes at")
    post = Post.objects.get(source_draft_id=draft_id)
    assert post.status == "scheduled"
    assert abs((post.publish_at - when).total_seconds()) < 60


def test_a_post_waiting_for_its_image_is_published_by_the_ready_event(
    composer_without_worker, tmp_path
):
    composer = composer_without_worker
    Community.objects.create(name="harbours", title="Harbours", allowed_kinds=["image"])
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.wait_for_selector("body[data-live-mode='live']")
    page.get_by_label("Image", exact=True).check()
    page.get_by_label("Title").fill("Waiting for the pixels")
    page.get_by_label("Community").fill("harbours")
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path))
    item = page.locator("#media-tray li").first
    expect(item).to_have_attribute("data-status", re.compile("uploaded|processing"))

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#publish-state")).to_contain_text("pending_media")
    assert Post.objects.get(source_draft_id=draft_id).status == "pending_media"

    with a_worker_starting_late():
        expect(page.locator("#post-heading")).to_be_visible(timeout=60_000)
        expect(page.locator("#post img.post-image")).to_be_visible()
    assert Post.objects.get(source_draft_id=draft_id).status == "published"


def test_a_revision_is_restored_from_the_panel(composer, settings):
    settings.DRAFT_REVISION_INTERVAL = 0  # a snapshot with every autosave
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.get_by_label("Title").fill("First title")
    wait_saved(page)
    page.get_by_label("Title").fill("Second title")
    wait_saved(page)

    page.get_by_role("button", name="Show revisions").click()
    first = page.locator("#revision-list li", has_text="First title").first
    first.get_by_role("button", name=re.compile(r"^Restore #")).click()

    expect(page.get_by_label("Title")).to_have_value("First title")
    wait_for(lambda: stored(draft_id).title == "First title")


def test_the_media_tray_edits_alt_text_caption_order_and_removes(composer, tmp_path):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.get_by_label("Gallery").check()
    items = upload_two_images(page, tmp_path)
    first_id = items.nth(0).get_attribute("data-key")
    second_id = items.nth(1).get_attribute("data-key")

    items.nth(0).get_by_label("Alt text").fill("A harbour at dawn")
    items.nth(0).get_by_label("Caption").fill("Porto, 6am")
    wait_for(
        lambda: MediaAsset.objects.filter(
            id=first_id, alt_text="A harbour at dawn", caption="Porto, 6am"
        ).exists()
    )

    items.nth(0).get_by_role("button", name="Move down").click()
    expect(items.nth(0)).to_have_attribute("data-key", second_id)
    wait_for(
        lambda: (
            [str(m.id) for m in MediaAsset.objects.held_by(draft_id)]
            == [second_id, first_id]
        )
    )

    items.nth(0).get_by_role("button", name="Remove").click()
    expect(items).to_have_count(1)
    wait_for(lambda: not MediaAsset.objects.filter(id=second_id).exists())
    page.reload()
    expect(page.locator("#media-tray li")).to_have_count(1)
    expect(page.locator("#media-tray li").first).to_have_attribute(
        "data-thumbnail", "shown"
    )


def test_a_failed_upload_is_retried_and_a_held_one_cancelled(composer, tmp_path):
    composer.user()
    page = composer.device()
    new_draft(page)
    storage_upload = "**/api/v1/storage/upload/**"

    page.route(storage_upload, lambda route: route.abort("connectionreset"))
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path, "flaky.jpg"))
    item = page.locator("#media-tray li").first
    expect(item.locator(".media-error")).to_contain_text("network_error")
    page.unroute(storage_upload)
    item.get_by_role("button", name="Retry").click()
    expect(item).to_have_attribute("data-thumbnail", "shown")

    held = []  # routes never answered: the upload hangs, as on a dead connection
    page.route(storage_upload, lambda route: held.append(route))
    with page.expect_request(storage_upload):
        page.locator("#file-input").set_input_files(jpeg_file(tmp_path, "slow.jpg"))
    slow = page.locator("#media-tray li").nth(1)
    slow.get_by_role("button", name="Cancel").click()
    expect(page.locator("#media-tray li")).to_have_count(1)
    wait_for(lambda: MediaAsset.objects.count() == 1)
    assert stored_keys_local(composer.storage) == 1 + len(
        MediaAsset.objects.get().variants.all()
    )


def test_a_late_answer_to_complete_does_not_undo_the_ready_event(composer, tmp_path):
    composer.user()
    page = composer.device()
    new_draft(page)
    held = []  # (route, the server's answer): delivered after the ready event

    def hold_the_answer(route):
        held.append((route, route.fetch()))

    page.route("**/api/v1/media/*/complete/", hold_the_answer)
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path))
    item = page.locator("#media-tray li").first
    expect(item).to_have_attribute("data-thumbnail", "shown")
    assert held and held[0][1].json()["status"] in ("uploaded", "processing")

    with page.expect_response("**/api/v1/media/*/complete/"):
        held[0][0].fulfill(response=held[0][1])
    page.wait_for_timeout(500)  # the page handles the answer within a few ms
    expect(item).to_have_attribute("data-status", "ready")
    expect(item).to_have_attribute("data-thumbnail", "shown")


def test_a_late_read_of_the_media_does_not_undo_the_ready_event(
    composer_without_worker, tmp_path
):
    page, draft_id, item, media_id = draft_with_one_upload(
        composer_without_worker, tmp_path, "data-status", "uploaded"
    )

    held = []  # (route, the server's answer): delivered after the ready event
    page.route(
        f"**/api/v1/media/{media_id}/",
        lambda route: held.append((route, route.fetch())),
    )
    page.goto(f"/compose/?draft={draft_id}")
    page.wait_for_selector("body[data-live-mode='live']")
    while not held:
        page.wait_for_timeout(50)
    assert held[0][1].json()["status"] == "uploaded"
    item = page.locator("#media-tray li").first
    with a_worker_starting_late():
        expect(item).to_have_attribute("data-thumbnail", "shown", timeout=60_000)

    with page.expect_response(f"**/api/v1/media/{media_id}/"):
        held[0][0].fulfill(response=held[0][1])
    page.wait_for_timeout(500)  # the page handles the answer within a few ms
    expect(item).to_have_attribute("data-status", "ready")


def stored_keys_local(storage) -> int:
    return sum(
        1
        for path in storage.root.rglob("*")
        if path.is_file() and ".meta" not in path.parts
    )


def test_images_can_be_dropped_and_pasted(composer):
    composer.user()
    page = composer.device()
    new_draft(page)
    files = {"dropped.png": png_bytes("red"), "pasted.png": png_bytes("green")}

    def transfer(name: str):
        return page.evaluate_handle(
            """([name, bytes]) => {
                const transfer = new DataTransfer();
                const data = new Uint8Array(bytes);
                transfer.items.add(new File([data], name, {type: 'image/png'}));
                return transfer;
            }""",
            [name, list(files[name])],
        )

    page.locator("#dropzone").dispatch_event(
        "drop", {"dataTransfer": transfer("dropped.png")}
    )
    page.evaluate(
        """(transfer) => document.dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: transfer}))""",
        transfer("pasted.png"),
    )

    items = page.locator("#media-tray li")
    expect(items).to_have_count(2)
    names = sorted(items.locator(".media-name").all_inner_texts())
    assert names == ["dropped.png", "pasted.png"]
    for index in (0, 1):
        expect(items.nth(index)).to_have_attribute("data-thumbnail", "shown")


def test_without_the_event_stream_the_page_polls(composer, settings, live_server):
    # An events process nobody runs: EventSource fails, and the page falls back.
    settings.EVENTS_URL = EventsServer().url
    user = composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.wait_for_selector("body[data-live-mode='polling']", timeout=30_000)

    draft = stored(draft_id)
    draft_autosave(
        draft_id=draft.id,
        owner=user,
        base_version=draft.version,
        changes={"body": "Typed on the phone"},
    )

    expect(page.get_by_label("Body")).to_have_value("Typed on the phone")


def test_another_users_draft_is_not_found(composer):
    owner = composer.user("owner")
    draft = Draft.objects.create(owner=owner, kind="text", title="Private plans")
    composer.user("intruder")
    page = composer.device("intruder")

    page.goto(f"/compose/?draft={draft.id}")
    page.wait_for_selector("body[data-ready='true']")

    expect(page.locator("#page-error")).to_contain_text("not_found: ")
    assert "Private plans" not in page.content()
    expect(page.locator("#editor")).to_be_hidden()


def test_poster_client_uploads_with_a_presigned_post_on_its_own(
    composer, localstack_storage, settings
):
    """The module without the page: a lease without a checksum is a presigned POST."""
    from django.core.management import call_command

    settings.MEDIA_UPLOAD_ORIGINS = [composer.base_url]
    call_command("configure_bucket", stdout=io.StringIO())
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    methods = []
    page.on(
        "requestfinished",
        lambda request: (
            methods.append(request.method)
            if request.url.startswith(settings.S3_ENDPOINT_URL)
            else None
        ),
    )

    answer = page.evaluate(
        """async ([draft, bytes]) => {
            const m = await import('/static/composer/poster-client.js');
            const client = new m.PosterClient();
            const file = new File([new Uint8Array(bytes)], 'plain.png',
                                  {type: 'image/png'});
            const upload = new m.MediaUpload(client, file, {draft, checksum: false});
            const seen = [];
            upload.addEventListener('state', (e) => seen.push(e.detail.state));
            await upload.start();
            return {seen, method: upload.asset.upload.method, id: upload.asset.id};
        }""",
        [draft_id, list(png_bytes("blue"))],
    )

    assert answer["method"] == "POST"
    assert methods == ["POST"]
    assert answer["seen"][:3] == ["leasing", "uploading", "completing"]
    wait_for(
        lambda: MediaAsset.objects.get(id=answer["id"]).status == "ready",
        timeout_seconds=60,
    )
    assert any(k.startswith("uploads/") for k in stored_keys(localstack_storage))


def test_edits_made_after_the_session_ended_wait_for_sign_in(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    other_tab = page.context.new_page()
    other_tab.goto("/compose/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url(re.compile(r"/accounts/login/"))

    page.get_by_label("Body").fill("Typed after signing out elsewhere")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Signed out: "))
    assert stored(draft_id).body == ""

    other_tab.get_by_label("Username").fill("writer")
    other_tab.get_by_label("Password").fill(PASSWORD)
    other_tab.get_by_role("button", name="Sign in").click()
    other_tab.wait_for_url(re.compile(r"/compose/"))

    wait_for(
        lambda: stored(draft_id).body == "Typed after signing out elsewhere",
        timeout_seconds=45,
    )
    wait_saved(page)


@pytest.mark.parametrize("tray_drawn", ["before_the_save", "after_the_save"])
def test_alt_text_typed_offline_survives_the_tab_and_is_saved_later(
    composer, tmp_path, tray_drawn
):
    page, draft_id, item, media_id = draft_with_one_upload(
        composer, tmp_path, "data-thumbnail", "shown"
    )
    context = page.context

    context.set_offline(True)
    item.get_by_label("Alt text").fill("Fishing boats at low tide")
    expect(item).to_have_attribute("data-edits", "waiting")
    page.close()
    context.set_offline(False)
    assert MediaAsset.objects.get(id=media_id).alt_text == ""

    def alt_text_stored():
        return (
            MediaAsset.objects.get(id=media_id).alt_text == "Fishing boats at low tide"
        )

    again = context.new_page()
    held = []  # the draft's answer, held back so the start-up flush ends first
    draft_url = f"**/api/v1/drafts/{draft_id}/"
    if tray_drawn == "after_the_save":
        again.route(draft_url, lambda route: held.append(route))
    again.goto(f"/compose/?draft={draft_id}")
    if tray_drawn == "after_the_save":
        wait_for(alt_text_stored)
        while not held:
            again.wait_for_timeout(50)
        held[0].continue_()
    again.wait_for_selector("body[data-ready='true']")
    restored = again.locator("#media-tray li").first
    expect(restored.get_by_label("Alt text")).to_have_value("Fishing boats at low tide")
    wait_for(alt_text_stored)
    expect(restored).to_have_attribute("data-edits", "saved")


def test_link_flags_and_flair_are_edited_like_the_text(composer):
    from poster.models import CommunityFlair

    community = Community.objects.create(
        name="news", title="News", allowed_kinds=["link"]
    )
    flair = CommunityFlair.objects.create(community=community, text="Local")
    CommunityFlair.objects.create(community=community, text="Mods", is_mod_only=True)
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    link = page.locator("input[type=url]")
    expect(link).to_be_hidden()  # a text post has no link field

    page.get_by_role("radio", name="Link").check()
    expect(link).to_be_visible()
    link.fill("https://example.com/harbour-reopens")
    page.get_by_label("Community").fill("news")
    page.get_by_label("Community").press("Tab")
    flairs = page.get_by_label("Flair")
    expect(flairs.locator("option")).to_have_count(2)  # none, and Local: not Mods
    flairs.select_option(label="Local")
    page.get_by_label("NSFW").check()
    page.get_by_label("Spoiler").check()
    wait_saved(page)

    draft = stored(draft_id)
    assert (draft.kind, draft.url, draft.community, draft.flair) == (
        "link",
        "https://example.com/harbour-reopens",
        "news",
        flair.id,
    )
    assert draft.is_nsfw and draft.is_spoiler
