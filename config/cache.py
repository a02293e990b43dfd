"""The cache backend used with REDIS_URL: Django's RedisCache that behaves as an empty cache
while Redis cannot be reached, instead of failing the request.

The cache only holds what can be computed again (upload job stages, completeness figures, rate
limit counters), so a page must never fail because Redis restarts (DESIGN.md: Runtime; see
docs/faults.md). Each failure is logged; the operation answers as a cache miss would.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
F = TypeVar("F", bound=Callable[..., Any])


def _miss(answer: Callable[..., Any]) -> Callable[[F], F]:
    """Run the cache operation; when Redis cannot be reached, log and return ``answer(...)``
    called with the operation's arguments."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def safe(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                log.warning(
                    "cache %s unavailable (%s): %s", method.__name__, type(exc).__name__, exc
                )
                return answer(*args, **kwargs)

        return safe  # type: ignore[return-value]

    return wrap


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> Any:
    # Django's answer for incr/decr of a key that is not there (django-ratelimit catches it).
    raise ValueError(f"Key {key!r} not found (cache unavailable).")


class ResilientRedisCache(RedisCache):
    add = _miss(lambda *a, **k: False)(RedisCache.add)
    get = _miss(lambda key, default=None, *a, **k: default)(RedisCache.get)
    set = _miss(lambda *a, **k: None)(RedisCache.set)
    touch = _miss(lambda *a, **k: False)(RedisCache.touch)
    delete = _miss(lambda *a, **k: False)(RedisCache.delete)
    get_many = _miss(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _miss(lambda *a, **k: False)(RedisCache.has_key)
    incr = _miss(_missing_key)(RedisCache.incr)
    set_many = _miss(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete_many = _miss(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _miss(lambda *a, **k: False)(RedisCache.clear)
