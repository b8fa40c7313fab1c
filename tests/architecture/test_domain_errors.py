"""Domain errors know no HTTP; config's one table gives each its status."""

import re
from pathlib import Path

import pytest
from django.apps import apps

from config.api_errors import ERROR_STATUSES, error_status
from core.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "media_uploads", "drafts", "poster")
# Where services, selectors and tasks live: nothing of HTTP belongs there.
DOMAIN_MODULES = sorted(
    path
    for app in APPS
    for pattern in (
        "services.py",
        "services/*.py",
        "selectors.py",
        "tasks.py",
        "moderation.py",
        "events.py",
        "idempotency.py",
        "locks.py",
    )
    for path in (ROOT / app).glob(pattern)
)
HTTP_WORDS = re.compile(r"rest_framework|status_code|HTTP_\d{3}|\bHttp\w+|Retry-After")


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for subclass in cls.__subclasses__():
        found |= {subclass, *all_subclasses(subclass)}
    return found


def test_domain_modules_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in DOMAIN_MODULES}

    assert {
        "core/idempotency.py",
        "media_uploads/services/leases.py",
        "drafts/services/autosave.py",
        "poster/services.py",
        "media_uploads/tasks.py",
    } <= names


@pytest.mark.parametrize(
    "path", DOMAIN_MODULES, ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_service_selector_and_task_modules_name_no_http(path):
    assert HTTP_WORDS.findall(path.read_text()) == []


def test_every_domain_error_of_every_app_has_a_status():
    assert apps.ready
    errors = all_subclasses(DomainError)
    app_errors = {error for error in errors if error.__module__.split(".")[0] in APPS}

    assert len(app_errors) >= 30
    unresolved = [
        error.__qualname__
        for error in app_errors
        if not any(cls in ERROR_STATUSES for cls in error.__mro__)
    ]
    assert unresolved == []


def test_the_table_lists_each_concrete_error_of_the_apps():
    listed = set(ERROR_STATUSES)
    concrete = {
        error
        for error in all_subclasses(DomainError)
        if error.__module__.split(".")[0] in ("media_uploads", "drafts", "poster")
        and not error.__subclasses__()
        and error.__name__ != "DraftRevisionNotFound"  # a DraftNotFound, 404 alike
    }

    assert sorted(e.__qualname__ for e in concrete - listed) == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError(), 400),
        (type("Unlisted", (DomainError,), {})(), 400),
    ],
)
def test_an_error_takes_its_nearest_listed_ancestors_status(error, status):
    assert error_status(error) == status
