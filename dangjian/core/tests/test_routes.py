"""``core.routes.route`` and ``{% route %}`` give what ``reverse`` / ``{% url %}`` give."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from dangjian.core.routes import route

NAMES = ["people:list", "accounts:logout", "orgs:picker", "reminders:bell"]


@pytest.mark.parametrize("name", NAMES)
def test_route_equals_reverse_also_under_a_script_prefix(name):
    assert route(name) == reverse(name)
    assert route(name) == reverse(name)  # the cached answer
    set_script_prefix("/dj/")
    try:
        assert route(name) == reverse(name) and route(name).startswith("/dj/")
    finally:
        set_script_prefix("/")
    assert route(name) == reverse(name)


def test_unknown_route_raises_like_reverse():
    with pytest.raises(NoReverseMatch):
        route("people:no-such-page")


def test_route_tag():
    rendered = Template('{% load shell %}{% route "people:list" %}').render(Context({}))
    assert rendered == reverse("people:list")


def test_asset_equals_static():
    from django.templatetags.static import static

    from dangjian.core.routes import asset

    for path in ("core/app.js", "vendor/htmx.min.js", "orgs/picker.js"):
        assert asset(path) == static(path) == asset(path)
    rendered = Template('{% load shell %}{% asset "core/app.css" %}').render(Context({}))
    assert rendered == static("core/app.css")
