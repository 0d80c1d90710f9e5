"""The ``{% options %}`` tag: escaped values and labels, the chosen value selected."""

from __future__ import annotations

from types import SimpleNamespace

from django.template import Context, Template


def _render(source: str, **context) -> str:
    return Template("{% load lists %}" + source).render(Context(context))


def test_pairs_with_selection_and_blank():
    html = _render(
        '{% options choices chosen "全部" %}', choices=[("a", "甲"), ("b", "乙")], chosen="b"
    )
    assert html == (
        '<option value="">全部</option><option value="a">甲</option>'
        '<option value="b" selected>乙</option>'
    )


def test_objects_and_integer_selection():
    groups = [SimpleNamespace(pk=7, name="第一党小组"), SimpleNamespace(pk=8, name="第二党小组")]
    html = _render("{% options groups 8 %}", groups=groups)
    assert '<option value="8" selected>第二党小组</option>' in html
    assert '<option value="7">第一党小组</option>' in html


def test_values_and_labels_are_escaped():
    html = _render("{% options choices %}", choices=[('x"><script>', "<b>标签</b>")])
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;标签&lt;/b&gt;" in html and "x&quot;&gt;&lt;script&gt;" in html


def test_no_selection_selects_only_the_empty_value():
    html = _render("{% options choices None %}", choices=[("", "空"), ("1", "一")])
    assert html == '<option value="" selected>空</option><option value="1">一</option>'


def test_sort_link_toggles_direction_and_keeps_filters():
    listing = SimpleNamespace(sort="name", querystring="q=%E5%BC%A0&party_org=3")
    html = _render('{% sort_link "name" "姓名" %}', listing=listing)
    assert html == (
        '<a class="text-reset text-decoration-none" href="?q=%E5%BC%A0&amp;party_org=3'
        '&sort=-name">姓名 ▲</a>'
    )
    listing.sort = "-name"
    assert 'sort=name">姓名 ▼</a>' in _render('{% sort_link "name" "姓名" %}', listing=listing)
    other = _render('{% sort_link "birth_date" "出生日期" %}', listing=listing)
    assert other.endswith('sort=birth_date">出生日期</a>')


def test_sort_link_escapes_the_label():
    listing = SimpleNamespace(sort="", querystring="")
    html = _render('{% sort_link "x" label %}', listing=listing, label="<i>列</i>")
    assert "<i>" not in html and "&lt;i&gt;列&lt;/i&gt;" in html


def _pager(count: int, number: int, querystring: str = "q=a%26b") -> str:
    from django.core.paginator import Paginator

    from dangjian.core.listing import ListState

    page = Paginator(list(range(count)), 20).get_page(number)
    listing = ListState(page=page, sort="-name", per_page=20, querystring=querystring)
    return Template("{% load lists %}{% pagination %}").render(Context({"listing": listing}))


def test_pagination_counts_and_links():
    first = _pager(45, 1)
    assert '<span class="text-muted" data-testid="list-count">共 45 条，第 1/3 页</span>' in first
    assert "首页" not in first and "上一页" not in first
    assert 'href="?q=a%26b&amp;sort=-name&amp;page=2">下一页' not in first  # "&" kept raw
    assert 'href="?q=a%26b&sort=-name&page=2">下一页</a>' in first
    assert 'href="?q=a%26b&sort=-name&page=3">末页</a>' in first
    middle = _pager(45, 2)
    assert 'page=1">首页' in middle and 'page=1">上一页' in middle and 'page=3">下一页' in middle
    last = _pager(45, 3)
    assert "下一页" not in last and "末页" not in last and 'page=2">上一页' in last
    assert "共 0 条，第 1/1 页" in _pager(0, 1)


def test_pagination_escapes_the_query_string():
    html = _pager(45, 1, querystring='q="><script>')
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_options_made_once_per_choices_and_selection():
    from dangjian.core.templatetags import lists

    choices = [("a", "甲<"), ("b", "乙")]
    first = lists.options(choices, "a")
    assert first == '<option value="a" selected>甲&lt;</option><option value="b">乙</option>'
    assert lists.options(list(choices), "a") is first  # an equal list: the same HTML
    other = lists.options(choices, "b")
    assert other != first and '<option value="b" selected>' in other
    assert lists.options([("a", "甲<"), ("b", "乙二")], "a") != first  # another label
