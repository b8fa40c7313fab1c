"""Per-user request limits, one budget per kind of request.

Scopes: `autosave` (draft PATCH), `leases` (upload leases), `publish`, and `user` for
every other API call. Rates come from settings.API_THROTTLE_RATES (environment
THROTTLE_*), read on each request so they can be changed without a restart of the
class machinery. Counters live in the default cache: Redis in production, so all
gunicorn workers share them. Over the limit: 429 `throttled` with Retry-After.
"""

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class _RatesFromSettings:
    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)


class PosterUserThrottle(_RatesFromSettings, UserRateThrottle):
    """Every authenticated API call counts against the user's general budget."""


class PosterScopedThrottle(_RatesFromSettings, ScopedRateThrottle):
    """Calls of views with a `throttle_scope` also count against that scope."""
