"""``{% person_rows %}`` writes the person list's rows: every value escaped, badges as the flags
say, the empty row when there is nothing to show."""

from __future__ import annotations

from django.template import Context, Template


def render(rows: list[dict]) -> str:
    return Template("{% load person_table %}{% person_rows rows %}").render(Context({"rows": rows}))


def row(**changes: object) -> dict:
    base = {
        "pk": 7,
        "url": "/people/7/",
        "employee_no": "A001",
        "name": "张三",
        "gender": "男",
        "birth_date": "1990-01-02",
        "political_status": "中共党员",
        "party_org": "综采一队党支部",
        "party_group": "",
        "unit": "综采一队一班",
        "post": "—",
        "citizen_id": "1101**********1234",
        "phone": "138****5678",
        "membership": "",
        "lost_contact": False,
        "is_mobile": False,
        "is_front_line": False,
    }
    base.update(changes)
    return base


def test_values_are_escaped():
    html = render([row(name='<script>alert("x")</script>', post="a&b", url='/p/"7')])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "a&amp;b" in html
    assert 'href="/p/&quot;7"' in html


def test_cells_group_and_badges():
    html = render(
        [
            row(party_group="第一党小组<b>", membership="停止党籍", lost_contact=True),
            row(pk=8, name="李四", is_mobile=True, is_front_line=True),
        ]
    )
    assert html.count('<tr data-testid="person-row">') == 2
    assert '<td data-label="姓名"><a href="/people/7/" hx-boost="false">张三</a></td>' in html
    assert '<div class="small text-muted">第一党小组&lt;b&gt;</div>' in html
    first, second = html.split('<tr data-testid="person-row">')[1:]
    assert '<span class="badge text-bg-secondary">停止党籍</span>' in first
    assert "失联" in first and "流动" not in first and "一线" not in first
    assert "流动" in second and "一线" in second and "失联" not in second
    assert "small text-muted" not in second
    assert first.count("<td") == 11


def test_no_rows_give_the_empty_row():
    html = render([])
    assert 'data-testid="person-empty"' in html and "没有符合条件的人员" in html
    assert "person-row" not in html
