"""The composer in a real browser: Debian's Chromium driven by Playwright.

The page is served by pytest-django's live server (127.0.0.1, the test database),
with a real Celery worker and the events process (uvicorn, tests/events.py) on
another port of the same host, as `make run` lays them out: the page opens the
stream cross-origin with its session cookie.
"""

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from tests.events import EventsServer

CHROMIUM_ARGUMENTS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No network but loopback here: Chromium's own background requests would fail.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "composer-test-password-1"  # noqa: S105 (a test user's)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def chromium_path() -> str:
    path = os.environ.get("POSTER_CHROMIUM", "")
    if not path or not os.access(path, os.X_OK):
        message = (
            "Chromium is missing: `make test` installs it (scripts/browser.sh "
            "install); or set POSTER_CHROMIUM to a Chromium binary"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="package")
def browser(chromium_path):
    """One Chromium for this package's tests, stopped when they end.

    Playwright's synchronous API runs an event loop in the test's thread, which
    Django takes for async code: DJANGO_ALLOW_ASYNC_UNSAFE lets the tests' own ORM
    calls (synchronous, and safe) run meanwhile. It is removed with the browser, and
    processes these tests start get it emptied.
    """
    from playwright.sync_api import expect, sync_playwright

    # A loaded 2-core machine runs the page, its server, a worker and the events
    # process at once: give expectations the same 20 s as actions.
    expect.set_options(timeout=20_000)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGUMENTS
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@dataclass
class Composer:
    """The running page's address, its events process, and its signed-in users."""

    base_url: str
    events: EventsServer
    browser: object
    storage: object = None
    contexts: list = field(default_factory=list)

    def user(self, username: str = "writer"):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(PASSWORD)
        user.save()
        return user

    def device(self, username: str = "writer", viewport: dict | None = None):
        """A browser context (a phone or a laptop) signed in through the login page."""
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport or DESKTOP
        )
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/compose/")
        page.wait_for_url(re.compile(r"/accounts/login/"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/compose/"))
        page.wait_for_selector("body[data-ready='true']")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def composer_without_worker(
    transactional_db, live_server, browser, settings, local_storage
) -> Iterator[Composer]:
    """The page, the API and the events process; media wait for a worker."""
    # make run serves plain HTTP on loopback with SECURE_COOKIES=false; so do tests.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    events = EventsServer(
        EVENTS_ALLOWED_ORIGINS=live_server.url,
        SECURE_COOKIES="false",
        DJANGO_ALLOW_ASYNC_UNSAFE="",
    ).start()
    settings.EVENTS_URL = events.url
    running = Composer(base_url=live_server.url, events=events, browser=browser)
    running.storage = local_storage
    try:
        yield running
    finally:
        running.close()
        events.kill()


@pytest.fixture
def composer(composer_without_worker, celery_worker) -> Composer:
    """The page with a real Celery worker processing its uploads."""
    return composer_without_worker


def wait_for(condition, timeout_seconds: float = 20, message: str = "") -> None:
    """Poll a condition about the database (what the server stored)."""
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, message or "condition not met in time"
        time.sleep(0.1)
