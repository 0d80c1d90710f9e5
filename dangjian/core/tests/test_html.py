"""``core.html`` escapes exactly like Django's ``format_html`` / ``format_html_join``."""

from __future__ import annotations

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe

from dangjian.core import html

NASTY = [
    "plain",
    "",
    "<script>alert('x')</script>",
    'a "quoted" & <b>bold</b>',
    "中文<>&'\"",
    mark_safe("<em>already safe</em>"),  # a trusted literal: the case under test
    0,
    12.5,
    None,
    True,
    lazy(lambda: "<lazy & text>", str)(),
]


@pytest.mark.parametrize("value", NASTY)
def test_one_value_like_django(value):
    template = '<a title="{}">{}</a>'
    ours = html.format_html(template, value, value)
    theirs = django_html.format_html(template, value, value)
    assert ours == theirs
    assert isinstance(ours, SafeString)


def test_keywords_like_django():
    values = {f"k{i}": v for i, v in enumerate(NASTY)}
    template = "".join(f"<td>{{{k}}}</td>" for k in values)
    assert html.format_html(template, **values) == django_html.format_html(template, **values)


def test_join_like_django():
    rows = [(v, "<x>") for v in NASTY]
    ours = html.format_html_join("\n", "<li>{}{}</li>", rows)
    assert ours == django_html.format_html_join("\n", "<li>{}{}</li>", rows)
    assert isinstance(ours, SafeString)
    mapped = [{"a": v} for v in NASTY]
    assert html.format_html_join("", "<i>{a}</i>", mapped) == "".join(
        django_html.format_html("<i>{a}</i>", a=v) for v in NASTY
    )
    assert html.format_html_join("", "{}", []) == ""


def test_needs_arguments():
    # Django 5.2 warns and formats nothing; 6.0 raises, as this does
    with pytest.raises(TypeError):
        html.format_html("<b>no arguments</b>")


def test_join_safe_joins_safe_pieces_and_refuses_text():
    pieces = [html.format_html("<b>{}</b>", "<x>"), html.format_html("<i>{}</i>", 1)]
    joined = html.join_safe("<br>", pieces)
    assert joined == "<b>&lt;x&gt;</b>&lt;br&gt;<i>1</i>"
    assert isinstance(joined, SafeString)
    assert html.join_safe("", []) == ""
    with pytest.raises(TypeError):
        html.join_safe("", [pieces[0], "<script>"])  # type: ignore[list-item]
