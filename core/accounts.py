"""API users: people and tokens for the API, created on demand."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from rest_framework.authtoken.models import Token


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
    """Create the user and its API token if missing; safe to call again and again.

    An existing user keeps its token. A given password is (re)set, so a demo user's
    printed password is always the one that works.
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
    token, _ = Token.objects.get_or_create(user=user)
    return ApiUserCredentials(user=user, token=token.key, was_created=was_created)
