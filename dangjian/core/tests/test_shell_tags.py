"""``{% nav_menu %}``: entries escaped, only the current page's entry marked."""

from __future__ import annotations

from types import SimpleNamespace

from django.template import Context, Template

from dangjian.core.registries import NavLink


def _render(path: str, sections) -> str:
    template = Template("{% load shell %}{% nav_menu %}")
    return template.render(
        Context({"request": SimpleNamespace(path=path), "nav_sections": sections})
    )


def test_current_entry_marked_and_others_plain():
    sections = [("人员管理", [NavLink("人员名册", "/people/"), NavLink("结构分析", "/a/")])]
    html = _render("/people/", sections)
    assert html.count('aria-current="page"') == 1
    assert (
        '<a class="nav-link py-1 active" aria-current="page" href="/people/">人员名册</a>' in html
    )
    assert '<a class="nav-link py-1" href="/a/">结构分析</a>' in html
    assert html.startswith(
        '<div class="nav-section text-muted small fw-bold mt-3 mb-1 px-2">人员管理'
    )


def test_labels_and_urls_are_escaped():
    html = _render("/", [("<b>节</b>", [NavLink("<i>x</i>", '/q?a="1"')])])
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;节&lt;/b&gt;" in html and 'href="/q?a=&quot;1&quot;"' in html


def test_no_sections_renders_nothing():
    assert _render("/", []) == ""
