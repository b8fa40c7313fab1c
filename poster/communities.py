"""Communities: created by staff (admin) or, for a demo, by command."""

from poster.models import Community


def community_ensure(*, name: str, title: str, allowed_kinds: list[str]) -> Community:
    """Create the community if missing; an existing one is left as staff set it."""
    community, _ = Community.objects.get_or_create(
        name=name, defaults={"title": title, "allowed_kinds": allowed_kinds}
    )
    return community
