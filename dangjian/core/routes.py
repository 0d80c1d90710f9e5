"""``route(name)``: the URL of a route without arguments, reversed once per process;
``asset(path)``: the URL of a static file (its hashed name in production), looked up once.

``reverse`` walks the URL resolver on every call (about 20 µs); the page shell and list pages
ask for the same handful of argument-free routes on every request. The result depends only on
the name, the script prefix and the URL configuration, which form the cache key.
"""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

_routes: dict[tuple[str, str, object], str] = {}


def route(name: str) -> str:
    key = (name, get_script_prefix(), get_urlconf())
    url = _routes.get(key)
    if url is None:
        if len(_routes) > 1000:
            _routes.clear()
        url = _routes[key] = reverse(name)
    return url


_assets: dict[tuple[str, str], str] = {}


def asset(path: str) -> str:
    """``{% static path %}`` (every page links seven of them; the manifest lookup and URL
    quoting cost about 20 µs each), keyed by the path and ``STATIC_URL``."""
    key = (path, settings.STATIC_URL or "")
    url = _assets.get(key)
    if url is None:
        if len(_assets) > 1000:
            _assets.clear()
        url = _assets[key] = static(path)
    return url
