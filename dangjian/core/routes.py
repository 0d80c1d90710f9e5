"""``route(name)``: the URL of a route without arguments, reversed once per process;
``asset(path)``: the URL of a static file (its hashed name in production), looked up once.

``reverse`` walks the URL resolver on every call (about 20 µs); the page shell and list pages
ask for the same handful of argument-free routes on every request. The result depends only on
the name, the script prefix and the URL configuration, which form the cache key.
"""

from __future__ import annotations

from collections.abc import Hashable

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

from dangjian.core.memo import remember

_routes: dict[Hashable, str] = {}
_assets: dict[Hashable, str] = {}


def route(name: str) -> str:
    key = (name, get_script_prefix(), get_urlconf())
    return remember(_routes, key, lambda: reverse(name))


def asset(path: str) -> str:
    """``{% static path %}`` (every page links seven of them; the manifest lookup and URL
    quoting cost about 20 µs each), keyed by the path and ``STATIC_URL``."""
    return remember(_assets, (path, settings.STATIC_URL or ""), lambda: static(path))
