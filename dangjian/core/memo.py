"""``remember(cache, key, make)``: a per-process memo bounded by clearing.

For values that change only with a deploy (reversed URLs, static URLs, menu entries' HTML,
drop-down HTML): the dict is cleared when it reaches ``limit`` entries, so a pathological
number of keys cannot grow memory without bound.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


def remember(
    cache: dict[Hashable, T], key: Hashable, make: Callable[[], T], limit: int = 1000
) -> T:
    value = cache.get(key)
    if value is None:
        if len(cache) >= limit:
            cache.clear()
        value = cache[key] = make()
    return value
