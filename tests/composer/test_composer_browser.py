"""The composer page in headless Chromium: autosave, offline, two devices, conflicts,
uploads through CORS to LocalStack, refused files, and screenshots."""

import io
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from drafts.models import Draft
from tests.composer.conftest import DESKTOP, PHONE, wait_for

pytestmark = pytest.mark.browser

REPO_DIR = Path(__file__).resolve().parents[2]
DOCS_DIR = REPO_DIR / "docs"


def new_draft(page):
    page.get_by_role("button", name="Start a new post").click()
    page.wait_for_url("**/compose/?draft=*")
    return page.url.split("draft=")[1]


def status(page) -> str:
    return page.locator("#save-status").inner_text()


# Waits go through locators: the page's Content-Security-Policy forbids the string
# evaluation that page.wait_for_function would need.
def wait_saved(page) -> None:
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def wait_offline(page) -> None:
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Offline: "))


def stored(draft_id) -> Draft:
    return Draft.objects.get(id=draft_id)


# 1 -------------------------------------------------------------------------------


def test_typed_text_reaches_the_server_within_5_s_and_survives_a_reload(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)

    page.get_by_label("Title").press_sequentially("Sunset over the bay")
    page.get_by_label("Body").press_sequentially("Taken from the ferry at 7pm.")

    wait_for(
        lambda: (
            (stored(draft_id).title, stored(draft_id).body)
            == ("Sunset over the bay", "Taken from the ferry at 7pm.")
        ),
        timeout_seconds=5,
        message="the server did not have the text within 5 s",
    )
    wait_saved(page)
    assert status(page) == "Saved"
    assert page.locator("#title-count").inner_text() == "19/300"

    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.get_by_label("Title").input_value() == "Sunset over the bay"
    assert page.get_by_label("Body").input_value() == "Taken from the ferry at 7pm."


def test_ten_seconds_of_continuous_typing_sends_at_most_11_saves(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    saves = []
    page.on(
        "request",
        lambda request: (
            saves.append(request)
            if request.method == "PATCH" and f"/drafts/{draft_id}/" in request.url
            else None
        ),
    )
    body = page.get_by_label("Body")
    body.focus()

    typed = []
    started = time.monotonic()
    while time.monotonic() - started < 10:
        letter = "abcdefghij"[len(typed) % 10]
        page.keyboard.type(letter)
        typed.append(letter)
        page.wait_for_timeout(40)
    wait_saved(page)

    assert len(saves) <= 11, f"{len(saves)} saves for 10 s of typing"
    assert len(saves) >= 5  # it did save while typing went on
    assert stored(draft_id).body == "".join(typed)


# 2 -------------------------------------------------------------------------------


def test_offline_edits_wait_and_are_saved_when_the_network_returns(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    page.get_by_label("Title").press_sequentially("Trip notes")
    wait_saved(page)

    page.context.set_offline(True)
    page.get_by_label("Body").press_sequentially("Day 1: rain. ")
    wait_offline(page)
    assert "edits waiting" in status(page)
    page.get_by_label("Body").press_sequentially("Day 2: sun.")
    page.get_by_label("Title").press("End")
    page.keyboard.type(" (draft)")
    assert stored(draft_id).body == ""

    page.context.set_offline(False)
    wait_saved(page)
    draft = stored(draft_id)
    assert (draft.title, draft.body) == (
        "Trip notes (draft)",
        "Day 1: rain. Day 2: sun.",
    )


def test_edits_of_a_tab_that_died_offline_are_sent_by_the_next_page(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)
    context = page.context

    context.set_offline(True)
    page.get_by_label("Body").press_sequentially("Written in a tunnel")
    wait_offline(page)
    page.close()  # the tab crashes (or is closed) before the network comes back
    context.set_offline(False)
    assert stored(draft_id).body == ""

    again = context.new_page()
    again.goto(f"/compose/?draft={draft_id}")
    again.wait_for_selector("body[data-ready='true']")
    assert again.get_by_label("Body").input_value() == "Written in a tunnel"
    wait_for(lambda: stored(draft_id).body == "Written in a tunnel")
    wait_saved(again)


# 3 -------------------------------------------------------------------------------


def test_two_devices_editing_different_fields_each_see_the_other(composer):
    composer.user()
    laptop = composer.device()
    draft_id = new_draft(laptop)
    phone = composer.device(viewport=PHONE)
    phone.goto(f"/compose/?draft={draft_id}")
    phone.wait_for_selector("body[data-ready='true']")
    phone.wait_for_selector("body[data-live-mode='live']")
    laptop.wait_for_selector("body[data-live-mode='live']")

    laptop.get_by_label("Title").press_sequentially("Best ramen in town")
    phone.get_by_label("Body").press_sequentially("The broth is the thing.")

    wait_for(
        lambda: (
            (stored(draft_id).title, stored(draft_id).body)
            == ("Best ramen in town", "The broth is the thing.")
        )
    )
    expect(phone.get_by_label("Title")).to_have_value("Best ramen in town")
    expect(laptop.get_by_label("Body")).to_have_value("The broth is the thing.")


# 4 -------------------------------------------------------------------------------


def conflicting_edits(composer):
    """The phone edits the body offline while the laptop saves its own body."""
    composer.user()
    laptop = composer.device()
    draft_id = new_draft(laptop)
    laptop.get_by_label("Body").press_sequentially("Original text")
    wait_saved(laptop)
    phone = composer.device(viewport=PHONE)
    phone.goto(f"/compose/?draft={draft_id}")
    phone.wait_for_selector("body[data-ready='true']")

    phone.context.set_offline(True)
    phone.get_by_label("Body").fill("Phone's version")
    phone.get_by_label("Body").press("End")
    phone.get_by_label("Body").press_sequentially(" of the text")
    laptop.get_by_label("Body").fill("Laptop's version of the text")
    laptop.get_by_label("Body").press_sequentially("!")
    wait_saved(laptop)
    wait_for(lambda: stored(draft_id).body == "Laptop's version of the text!")
    phone.context.set_offline(False)

    panel = phone.locator("#conflict")
    panel.wait_for(state="visible")
    field = panel.locator(".conflict-field[data-field='body']")
    assert field.locator(".mine pre").inner_text() == "Phone's version of the text"
    assert field.locator(".theirs pre").inner_text() == "Laptop's version of the text!"
    assert "another device" in status(phone)
    return draft_id, laptop, phone, field


def test_a_conflict_resolved_with_keep_mine_stores_this_devices_text(composer):
    draft_id, laptop, phone, field = conflicting_edits(composer)

    field.get_by_role("button", name="Keep mine").click()

    wait_for(lambda: stored(draft_id).body == "Phone's version of the text")
    wait_saved(phone)
    assert phone.locator("#conflict").is_hidden()
    expect(laptop.get_by_label("Body")).to_have_value("Phone's version of the text")


def test_a_conflict_resolved_with_take_theirs_shows_the_other_devices_text(composer):
    draft_id, laptop, phone, field = conflicting_edits(composer)
    version = stored(draft_id).version

    field.get_by_role("button", name="Take theirs").click()

    assert phone.get_by_label("Body").input_value() == "Laptop's version of the text!"
    wait_saved(phone)
    draft = stored(draft_id)
    assert (draft.body, draft.version) == ("Laptop's version of the text!", version)


# 5 and 6: uploads straight to LocalStack's S3 from the page's own origin ------------


def jpeg_file(tmp_path, name="harbour.jpg", size=(1200, 800)) -> Path:
    image = Image.new("RGB", size, "#2a6f97")
    for x in range(0, size[0], 40):  # some detail, so the JPEG is not trivial
        for y in range(0, size[1], 40):
            image.putpixel((x, y), (255, (x * 7) % 256, (y * 3) % 256))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def s3_composer(composer, localstack_storage, settings):
    """The composer with media on LocalStack: a bucket that configure_bucket set up
    to take uploads from the page's origin only (CORS)."""
    from django.core.management import call_command

    settings.MEDIA_UPLOAD_ORIGINS = [composer.base_url]
    call_command("configure_bucket", stdout=io.StringIO())
    composer.storage = localstack_storage
    return composer


def stored_keys(storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.localstack
def test_a_photo_goes_through_cors_to_s3_and_its_post_shows_it(s3_composer, tmp_path):
    from poster.models import Community, Post

    Community.objects.create(name="harbours", title="Harbours", allowed_kinds=["image"])
    s3_composer.user()
    page = s3_composer.device()
    draft_id = new_draft(page)
    page.wait_for_selector("body[data-live-mode='live']")
    storage_origin = settings.S3_ENDPOINT_URL
    assert not storage_origin.startswith(s3_composer.base_url)  # another origin
    media_reads, storage_requests = [], []
    page.on(
        "request",
        lambda request: (
            media_reads.append(request.url)
            if request.method == "GET" and "/api/v1/media/" in request.url
            else None
        ),
    )
    page.on(
        "requestfinished",
        lambda request: (
            storage_requests.append(request.method)
            if request.url.startswith(storage_origin)
            and request.method in ("PUT", "POST")
            else None
        ),
    )

    page.get_by_label("Image", exact=True).check()
    page.get_by_label("Title").fill("Morning at the harbour")
    page.get_by_label("Community").fill("harbours")
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path))

    item = page.locator("#media-tray li").first
    expect(item.locator("progress")).to_have_attribute("value", "100")
    expect(item).to_have_attribute("data-thumbnail", "shown")
    thumbnail = item.locator("img.preview")
    assert thumbnail.evaluate("image => image.naturalWidth") > 0
    assert thumbnail.get_attribute("src").startswith(storage_origin)
    assert storage_requests == ["PUT"]  # the upload went to storage, not to poster
    assert media_reads == []  # ready came from the event stream: nothing polled

    page.get_by_role("button", name="Publish").click()
    heading = page.locator("#post-heading")
    expect(heading).to_be_visible()
    post = Post.objects.get(author__username="writer")
    assert (post.status, post.title) == ("published", "Morning at the harbour")
    image = page.locator("#post img.post-image")
    expect(image).to_be_visible()
    assert image.evaluate("image => image.complete && image.naturalWidth") > 0
    assert image.get_attribute("src").startswith(storage_origin)
    assert stored(draft_id).consumed_at is not None


@pytest.mark.localstack
def test_storage_refuses_a_page_whose_origin_cors_does_not_allow(
    s3_composer, tmp_path, settings
):
    """The control for the test above: the preflight is real, and decides."""
    from django.core.management import call_command

    settings.MEDIA_UPLOAD_ORIGINS = ["https://elsewhere.example"]
    call_command("configure_bucket", stdout=io.StringIO())
    s3_composer.user()
    page = s3_composer.device()
    new_draft(page)

    page.locator("#file-input").set_input_files(jpeg_file(tmp_path))

    item = page.locator("#media-tray li").first
    expect(item).to_have_attribute("data-status", "failed")
    expect(item.locator(".media-error")).to_contain_text("network_error")
    assert not [k for k in stored_keys(s3_composer.storage) if k.startswith("uploads/")]


@pytest.mark.localstack
def test_refused_files_show_their_error_and_leave_storage_empty(
    s3_composer, tmp_path, settings
):
    s3_composer.user()
    page = s3_composer.device()
    new_draft(page)
    text = tmp_path / "notes.jpg"
    text.write_text("shopping list: bread, milk, eggs\n" * 20)
    too_large = tmp_path / "huge.jpg"
    too_large.write_bytes(b"\xff\xd8\xff" + b"\0" * settings.MEDIA_MAX_BYTES)

    page.locator("#file-input").set_input_files([text, too_large])

    items = page.locator("#media-tray li")
    expect(items).to_have_count(2)
    for item in (items.nth(0), items.nth(1)):
        expect(item).to_have_attribute("data-status", "failed")
    errors = [items.nth(i).locator(".media-error").inner_text() for i in (0, 1)]
    assert errors[0].startswith("unsupported_format: ")
    assert errors[1].startswith("file_too_large: ")
    assert items.nth(1).locator(".retry").is_hidden()
    # The text file was uploaded, refused by processing and deleted with it.
    wait_for(lambda: stored_keys(s3_composer.storage) == [])


# 7 -------------------------------------------------------------------------------


def unlabelled_controls(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select, button')]
            .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
            .filter((el) => !(el.labels && el.labels.length) &&
                            !el.getAttribute('aria-label') &&
                            !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map((el) => el.outerHTML)"""
    )


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_composer_fits_phone_and_desktop_widths_and_is_screenshotted(
    composer, tmp_path, name, viewport
):
    from poster.models import Community

    Community.objects.create(name="travel", title="Travel", allowed_kinds=["text"])
    composer.user()
    page = composer.device(viewport=viewport)
    new_draft(page)
    page.get_by_label("Title").fill("Three days in Lisbon")
    page.get_by_label("Body").fill(
        "Trams, tiles and pastel de nata. Day one: Alfama before the crowds, "
        "then the miradouros at sunset."
    )
    page.get_by_label("Community").fill("travel")
    page.get_by_label("Community").press("Tab")
    page.locator("#file-input").set_input_files(jpeg_file(tmp_path, "tram.jpg"))
    expect(page.locator("#media-tray li").first).to_have_attribute(
        "data-thumbnail", "shown"
    )
    page.locator("#media-tray li").first.get_by_label("Alt text").fill(
        "A yellow tram on a steep street"
    )
    wait_saved(page)

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the page scrolls sideways"
    assert unlabelled_controls(page) == []
    assert page.locator("#save-status").get_attribute("aria-live") == "polite"
    # POSTER_UPDATE_SCREENSHOTS=1 writes them where the README shows them.
    target = (
        DOCS_DIR if os.environ.get("POSTER_UPDATE_SCREENSHOTS") == "1" else tmp_path
    )
    shot = target / f"composer-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    committed = DOCS_DIR / f"composer-{name}.png"
    assert committed.exists(), f"{committed} is missing"
    assert f"docs/composer-{name}.png" in (REPO_DIR / "README.md").read_text()


def test_the_editor_works_from_the_keyboard(composer):
    composer.user()
    page = composer.device()
    draft_id = new_draft(page)

    page.get_by_label("Title").focus()
    page.keyboard.type("Keyboard only")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Body")).to_be_focused()
    page.keyboard.type("No mouse was used.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Community")).to_be_focused()
    page.keyboard.type("travel")
    wait_saved(page)

    draft = stored(draft_id)
    assert (draft.title, draft.body, draft.community) == (
        "Keyboard only",
        "No mouse was used.",
        "travel",
    )
