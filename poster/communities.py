"""Communities: created by staff (admin) or, for a demo, by command; who moderates."""

from django.contrib.auth.models import AbstractBaseUser

from poster.models import Community

MODERATORS_GROUP = "moderators"


def community_ensure(*, name: str, title: str, allowed_kinds: list[str]) -> Community:
    """Create the community if missing; an existing one is left as staff set it."""
    community, _ = Community.objects.get_or_create(
        name=name, defaults={"title": title, "allowed_kinds": allowed_kinds}
    )
    return community


def user_is_moderator(user: AbstractBaseUser) -> bool:
    """Superusers, and staff in the `moderators` group (migration 0003)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=MODERATORS_GROUP).exists()
