"""API users: people and tokens for the API, created on demand."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from core.tokens import api_token_issue


@dataclass(frozen=True)
class ApiUserCredentials:
    user: AbstractUser
    token: str
    was_created: bool


@transaction.atomic
def api_user_ensure(
    *,
    username: str,
    is_staff: bool = False,
    is_superuser: bool = False,
    password: str | None = None,
) -> ApiUserCredentials:
    """Create the user if missing and issue it a new API token; safe to repeat.

    Tokens are stored as digests, so an earlier key cannot be shown again: each call
    issues a new one (earlier ones keep working until they expire or are revoked). A
    given password is (re)set, so a demo user's printed password is always the one
    that works.
    """
    user_model = get_user_model()
    user, was_created = user_model.objects.get_or_create(username=username)
    changed_fields = []
    if (is_staff or is_superuser) and not user.is_staff:
        user.is_staff = True
        changed_fields.append("is_staff")
    if is_superuser and not user.is_superuser:
        user.is_superuser = True
        changed_fields.append("is_superuser")
    if password is not None and not user.check_password(password):
        user.set_password(password)
        changed_fields.append("password")
    elif was_created:
        user.set_unusable_password()
        changed_fields.append("password")
    if changed_fields:
        user.save(update_fields=changed_fields)
    issued = api_token_issue(user=user, name="create_api_user")
    return ApiUserCredentials(user=user, token=issued.key, was_created=was_created)
