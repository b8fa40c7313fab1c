"""Whether something above media (a post) still shows an asset.

Media cannot import the apps that use them. Each such app registers, in its
`AppConfig.ready()`, a condition on `MediaAsset` that holds for the assets it shows;
deletion refuses those, and cleanup never takes them for unattached.
"""

from collections.abc import Callable
from functools import reduce
from operator import or_

from django.db.models import Q

from media_uploads.models import MediaAsset

InUseCondition = Callable[[], Q]
_in_use_conditions: list[InUseCondition] = []


def media_in_use_condition_register(condition: InUseCondition) -> None:
    if condition not in _in_use_conditions:
        _in_use_conditions.append(condition)


def media_in_use_condition() -> Q:
    """A condition true for every asset some app shows (false when none registered)."""
    return reduce(or_, (condition() for condition in _in_use_conditions), Q(pk__in=[]))


def media_is_in_use(asset: MediaAsset) -> bool:
    return MediaAsset.objects.filter(media_in_use_condition(), id=asset.id).exists()
