"""The streaming .xlsx writer (IN-07): same cells as openpyxl's write-only mode, formulas
neutralised, rows streamed (not collected), no partial file left behind on failure."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from dangjian.core import excel
from dangjian.core.excel import FORMULA_PREFIXES, read_rows, safe_cell, write_xlsx

HEADERS = [f"列{i}" for i in range(30)]  # past Z: AA, AB ...

SAMPLE_ROWS: list[list[Any]] = [
    ["张三", 1, 2.5, Decimal("3.10"), True, False, None, dt.date(2020, 1, 2)],
    [dt.datetime(2021, 3, 4, 5, 6, 7), dt.time(1, 2, 3), dt.timedelta(hours=30), -7, 0, 1e20],
    [" 前后空格 ", "a&b<c>\"'", "line\nbreak", "tab\tinside", "\u3000全角空格", "", "#N/A"],
    ["=SUM(A1)", "+1", "-2", "@x", "\tcmd", "\rx", "\x00=1", "a\x01b", "ok\x1f"],
    [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2099, 12, 31)],
    [None, None, "中间有空", None],
    ["x" * 40000, b"bytes \xe4\xb8\xad", mark_safe("<b>safe</b>"), "#DIV/0!", "#n/a"],
    [f"v{i}" for i in range(30)],
]


def _reference(path: Path, headers: list[str], rows: list[list[Any]]) -> None:
    """What the export wrote before: openpyxl write-only, every data cell through safe_cell."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="参照")
    sheet.append(headers)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    workbook.save(path)


def _cells(path: Path, read_only: bool = False) -> list[list[tuple[Any, str | None]]]:
    workbook = load_workbook(path, read_only=read_only)
    sheet = workbook.worksheets[0]
    out = [
        [(c.value, c.number_format if c.value is not None else None) for c in row]
        for row in sheet.iter_rows()
    ]
    workbook.close()
    return out


@pytest.mark.parametrize("read_only", [False, True])
def test_same_cells_as_openpyxl_write_only(tmp_path, read_only):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    assert write_xlsx(ours, HEADERS, iter(SAMPLE_ROWS), title="人员名单") == len(SAMPLE_ROWS)
    _reference(theirs, HEADERS, SAMPLE_ROWS)
    mine, reference = _cells(ours, read_only), _cells(theirs, read_only)
    assert mine == reference
    # spot checks of what that means
    assert mine[1][7] == (dt.datetime(2020, 1, 2), "yyyy-mm-dd")
    assert mine[3][0][0] == " 前后空格 " and mine[3][1][0] == "a&b<c>\"'"
    assert mine[4][0][0] == "'=SUM(A1)" and mine[4][5][0] == "'\rx" and mine[4][6][0] == "'=1"
    assert len(mine[7][0][0]) == excel.MAX_CELL_CHARS
    assert load_workbook(ours).worksheets[0].title == "人员名单"


def test_file_is_a_well_formed_package(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["a"], [["x"]])
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        names = set(package.namelist())
    assert {"[Content_Types].xml", "xl/workbook.xml", excel.SHEET_PART, excel.STYLES_PART} <= names
    with path.open("rb") as fh:  # the app's own upload checks accept it (re-import)
        excel.check_xlsx_upload(fh, path.stat().st_size, path.name)
        assert list(read_rows(fh)) == [("a",), ("x",)]


def test_characters_xml_cannot_hold_are_dropped(tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["a", "b", "c"], [["x\ud800y", "\ufffe=1", "ok\uffff"]])
    assert [value for value, _ in _cells(path)[1]] == ["xy", "'=1", "ok"]


def test_values_excel_cannot_hold_fail_and_leave_no_file(tmp_path):
    path = tmp_path / "out.xlsx"
    aware = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(TypeError):
        write_xlsx(path, ["a"], [["ok"], [aware]])
    assert not path.exists()
    with pytest.raises(ValueError, match="Cannot convert"):
        write_xlsx(path, ["a"], [[object()]])
    assert not path.exists()


def test_failure_while_reading_rows_leaves_no_partial_file(tmp_path):
    path = tmp_path / "out.xlsx"

    def rows() -> Iterator[list[str]]:
        for i in range(50_000):
            yield [f"row {i}", "x" * 20]
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        write_xlsx(path, ["a", "b"], rows())
    assert not path.exists()


def test_rows_are_streamed_to_disk_not_collected(tmp_path):
    """The file grows while the rows are still being produced (flat memory)."""
    path = tmp_path / "out.xlsx"
    sizes: dict[int, int] = {}

    def rows() -> Iterator[list[Any]]:
        for i in range(60_000):
            if i in (5_000, 55_000):
                sizes[i] = path.stat().st_size
            yield [f"P{i:07d}", f"名字{i}", dt.date(1970, 1, 1) + dt.timedelta(days=i % 9000)]

    assert write_xlsx(path, ["工号", "姓名", "出生日期"], rows()) == 60_000
    assert sizes[55_000] > sizes[5_000] + 100_000
    last = _cells(path, read_only=True)[-1]
    assert [v for v, _ in last] == ["P0059999", "名字59999", dt.datetime(1986, 6, 5)]


def test_value_cache_eviction_keeps_values_right(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "_CACHE_LIMIT", 7)
    rows = [[f"t{i % 13}", dt.date(2000, 1, 1 + i % 28), i % 5, f"={i}"] for i in range(200)]
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    write_xlsx(ours, ["a", "b", "c", "d"], rows)
    _reference(theirs, ["a", "b", "c", "d"], rows)
    assert _cells(ours) == _cells(theirs)


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20
) | st.tuples(st.sampled_from(FORMULA_PREFIXES), st.text(max_size=10)).map("".join)


@hypothesis_settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_text | st.none() | st.integers(-(10**9), 10**9), max_size=6), max_size=5))
def test_any_text_reads_back_as_openpyxl_would_write_it(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("hyp")
    ours, theirs = folder / "ours.xlsx", folder / "theirs.xlsx"
    write_xlsx(ours, ["h"] * 6, rows)
    _reference(theirs, ["h"] * 6, rows)
    mine = _cells(ours)
    assert mine == _cells(theirs)
    for row in mine[1:]:
        for value, _ in row:
            assert not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES))


def test_sheet_too_large_for_a_zip_without_zip64_fails_clearly(tmp_path, monkeypatch):
    """Excel is strict about ZIP64, so the sheet is streamed without it; past the limit
    (2 GiB, lowered here) the export fails with a message and leaves no file."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 20_000)
    path = tmp_path / "out.xlsx"
    with pytest.raises(ValueError, match="导出内容过大"):
        write_xlsx(path, ["a"], ([f"row {i}"] for i in range(2_000)))
    assert not path.exists()
    assert write_xlsx(path, ["a"], [["small"]]) == 1


def test_watermark_in_header_footer_and_properties_cells_unchanged(tmp_path):
    from openpyxl import load_workbook

    mark = "党建精细管控平台 · 张三（zhang&san<1>） 导出于 2026-11-29 14:00 · 仅限内部工作使用\x01"
    marked, plain = tmp_path / "marked.xlsx", tmp_path / "plain.xlsx"
    rows: list[list[Any]] = [["甲", 1, dt.date(2026, 1, 2)], ["=1+1", None, "x"]]
    write_xlsx(marked, ["姓名", "数", "日期"], rows, title="人员", watermark=mark)
    write_xlsx(plain, ["姓名", "数", "日期"], rows, title="人员")
    book = load_workbook(marked)
    sheet = book.active
    clean = mark.replace("\x01", "")
    printed = clean.replace("&", "&&")  # Excel prints "&&" as "&"
    assert sheet.oddHeader.center.text == printed
    assert sheet.oddFooter.left.text == printed
    assert "&P" in sheet.oddFooter.right.text
    assert book.properties.creator == clean and book.properties.description == clean
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values == [[c.value for c in row] for row in load_workbook(plain).active.iter_rows()]
    assert load_workbook(plain).active.oddHeader.center.text is None
