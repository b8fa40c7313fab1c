"""Per-user request budgets, one per kind of request, checked in one round trip.

Every authenticated API call counts against the user's `user` budget; a view with a
`throttle_scope` (`autosave`, `leases`, `publish`) also counts against that one.
Rates come from settings.API_THROTTLE_RATES (environment THROTTLE_*), read on each
request. Counters are fixed windows: with CACHE_URL=redis://, one script call (one
round trip) per request, shared by every web process; otherwise the
Django cache (the embedded default's file cache). Over a budget: 429 `throttled` with
Retry-After until the window ends.
"""

import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'240/min' -> (240, 60)."""
    count, period = rate.split("/")
    return int(count), PERIOD_SECONDS[period[0].lower()]


# Count hits on every key and start each key's window on its first hit, in one
# command: a pipeline costs one parse per command, a script one in all.
COUNT_HITS_SCRIPT = """
local counts = {}
for index, key in ipairs(KEYS) do
  counts[index] = redis.call('INCR', key)
  if counts[index] == 1 then redis.call('EXPIRE', key, ARGV[index]) end
end
return counts
"""


@cache
def _count_hits_script(url: str):
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return client.register_script(COUNT_HITS_SCRIPT)


def _count_hits(keys: list[tuple[str, int]]) -> list[int]:
    """Add one hit to each (key, window) counter; return the new counts."""
    url = settings.CACHE_URL
    if url.startswith(("redis://", "rediss://")):
        return _count_hits_script(url)(
            keys=[key for key, _ in keys], args=[window for _, window in keys]
        )
    counts = []
    for key, window_seconds in keys:
        django_cache.add(key, 0, window_seconds)
        try:
            counts.append(django_cache.incr(key))
        except ValueError:  # expired between add and incr
            django_cache.set(key, 1, window_seconds)
            counts.append(1)
    return counts


def _read_hits(keys: list[str]) -> list[int]:
    """The counts of `keys` now, without adding a hit."""
    url = settings.CACHE_URL
    if url.startswith(("redis://", "rediss://")):
        client = _count_hits_script(url).registered_client
        return [int(count or 0) for count in client.mget(keys)]
    counts = django_cache.get_many(keys)
    return [int(counts.get(key, 0)) for key in keys]


def throttle_budgets(user_id: int, *, now: float | None = None) -> list[dict[str, Any]]:
    """Each budget a user's requests count against, with what is left of it now."""
    now = time.time() if now is None else now
    budgets = []
    for scope, rate in settings.API_THROTTLE_RATES.items():
        if rate:
            limit, window_seconds = parse_rate(rate)
            window = int(now // window_seconds)
            key = f"throttle:{scope}:{user_id}:{window}"
            budgets.append((scope, key, limit, window_seconds))
    counts = _read_hits([key for _, key, _, _ in budgets])
    return [
        {
            "scope": scope,
            "limit": limit,
            "window_seconds": window_seconds,
            "remaining": max(limit - count, 0),
            "resets_in_seconds": max(1, round(window_seconds - now % window_seconds)),
        }
        for (scope, _, limit, window_seconds), count in zip(
            budgets, counts, strict=True
        )
    ]


class PosterThrottle(BaseThrottle):
    # `view` is an APIView; importing that here would import DRF's views too early.
    def allow_request(self, request: Request, view: Any) -> bool:
        self.wait_seconds: float | None = None
        if not request.user or not request.user.is_authenticated:
            return True
        scopes = ["user"]
        if getattr(view, "throttle_scope", None):
            scopes.append(view.throttle_scope)
        now = time.time()
        budgets = []
        for scope in scopes:
            rate = settings.API_THROTTLE_RATES.get(scope)
            if rate:
                limit, window_seconds = parse_rate(rate)
                window = int(now // window_seconds)
                key = f"throttle:{scope}:{request.user.pk}:{window}"
                budgets.append((key, window_seconds, limit))
        counts = _count_hits([(key, window) for key, window, _ in budgets])
        for (_, window_seconds, limit), count in zip(budgets, counts, strict=True):
            if count > limit:
                self.wait_seconds = window_seconds - (now % window_seconds)
                return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
