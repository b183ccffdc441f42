"""Per-process caches whose keys clients influence, each bounded by a size setting.

A client chooses query texts, selections, variable values and tokens, so a cache keyed by
any of them must forget: each is an LRU (cachetools) of at most `settings.<setting>`
entries, read on every write, so a changed setting (or a test's) applies at once.
docs/security.md ("Client-keyed caches") lists them.
"""

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, ParamSpec, TypeVar

from cachetools import LRUCache
from django.conf import settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")


class SizedLRU(Generic[K, V]):
    """A thread-safe LRU of at most `settings.<setting>` entries (0 keeps nothing)."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        # Threads of one process share it: cachetools' caches are not thread-safe.
        self._lock = threading.Lock()
        self._cache: LRUCache[K, V] = LRUCache(maxsize=0)

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: K, value: V) -> None:
        size = int(getattr(settings, self.setting))
        with self._lock:
            if size != self._cache.maxsize:
                # Only when the setting changed (tests): starting afresh is fine then.
                self._cache = LRUCache(maxsize=max(size, 0))
            if size > 0:
                self._cache[key] = value

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The cached value of `key`, else `build()` (outside the lock), kept."""
        value = self.get(key)
        if value is None:
            value = build()
            self.put(key, value)
        return value

    def pop(self, key: K) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


def sized_lru_cache(setting: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """functools.lru_cache with its size read from `settings.<setting>`, for a function of
    hashable positional arguments; the wrapper's `.cache` is the SizedLRU."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        cache: SizedLRU[Any, Any] = SizedLRU(setting)

        @functools.wraps(function)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items())))
            return cache.get_or_build(key, lambda: function(*args, **kwargs))  # type: ignore[no-any-return]

        cached.cache = cache  # type: ignore[attr-defined]
        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return decorate
