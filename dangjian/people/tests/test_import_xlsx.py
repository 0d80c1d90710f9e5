"""The import's fast workbook reader (``people/xlsx_fast.py``) gives what openpyxl gives, keeps
the upload checks, and the plain-row write path stores what a model save would store."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from dangjian.core.crypto import blind_index, open_sealed
from dangjian.core.excel import UploadRejected, read_rows
from dangjian.core.scope import SYSTEM
from dangjian.people.importing import IMPORT_FIELDS, person_import
from dangjian.people.models import Person, PersonChange
from dangjian.people.services import _snapshot
from dangjian.people.tests.import_helpers import (
    HEADERS,
    entity_bomb,
    row,
    with_sheet_xml,
    workbook_bytes,
    zip_bomb,
)
from dangjian.people.xlsx_fast import iter_rows


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _openpyxl_shape(content: bytes) -> list[list[Any]]:
    """openpyxl's rows with trailing empty cells dropped (its padding depends on <dimension>)."""
    rows = []
    for values in read_rows(io.BytesIO(content)):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    return rows


def _fast_shape(content: bytes) -> list[list[Any]]:
    """The fast reader's rows laid out like openpyxl's: missing rows as empty rows."""
    found = dict(iter_rows(io.BytesIO(content)))
    rows = []
    for number in range(1, max(found, default=0) + 1):
        cells = list(found.get(number, []))
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    return rows


def _typed_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["text", 1, 2.5, True, False, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4)])
    sheet.append(["=1+1", "  spaced  ", "#N/A", "中文&<>\"'", 12345678901234, -0.0001, 1e20])
    sheet["C5"] = "after a gap"  # rows 3 and 4 missing, cells A5/B5 missing
    sheet["AB6"] = "far column"
    sheet["A7"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    sheet["B8"] = dt.time(12, 30)
    sheet["C8"] = dt.timedelta(hours=30)
    sheet["D8"] = dt.date(1900, 1, 1)
    sheet["E8"] = "x005F_kept_x000D_"
    sheet["F8"] = "0012"  # text that looks like a number stays text
    return _save(workbook)


def _write_only_workbook() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append(["工号", None, 3, dt.date(2021, 5, 6), "中"])
    sheet.append([])
    sheet.append([None, None, "z", True])
    return _save(workbook)


def _mac_workbook() -> bytes:
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    assert sheet is not None
    sheet.append([dt.date(2020, 1, 2), 5, "x"])
    return _save(workbook)


def _second_sheet_ignored() -> bytes:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.append(["first sheet"])
    workbook.create_sheet("other").append(["second sheet"])
    return _save(workbook)


@pytest.mark.parametrize(
    "factory",
    [_typed_workbook, _write_only_workbook, _mac_workbook, _second_sheet_ignored],
    ids=["shared-strings-and-types", "inline-strings", "1904-calendar", "first-sheet-only"],
)
def test_fast_reader_gives_openpyxl_values(factory):
    content = factory()
    assert _fast_shape(content) == _openpyxl_shape(content)


def test_fast_reader_values_by_type():
    rows = dict(iter_rows(io.BytesIO(_typed_workbook())))
    assert rows[1] == [
        "text",
        1,
        2.5,
        True,
        False,
        dt.datetime(2020, 1, 2),
        dt.datetime(2020, 1, 2, 3, 4),
    ]
    assert rows[2][0] is None  # a formula without a cached result: never the formula text
    assert rows[2][1:5] == ["  spaced  ", "#N/A", "中文&<>\"'", 12345678901234]
    assert rows[5] == [None, None, "after a gap"] and 3 not in rows and 4 not in rows
    assert len(rows[6]) == 28 and rows[6][27] == "far column"
    assert rows[7] == ["plain bold"]
    assert rows[8][1:4] == [dt.time(12, 30), dt.timedelta(hours=30), dt.datetime(1900, 1, 1)]
    assert rows[8][5] == "0012"


def test_fast_reader_uses_the_cached_formula_result():
    """Excel stores a formula with its last result; the import reads the result (data_only)."""
    content = workbook_bytes([row(1)])
    source = zipfile.ZipFile(io.BytesIO(content))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    cell = '<c r="A2" t="str"><f>CONCAT("IMP","00001")</f><v>IMP00001</v></c>'
    start = sheet.index('<c r="A2"')
    end = sheet.index("</c>", start) + len("</c>")
    patched = with_sheet_xml(source, sheet[:start] + cell + sheet[end:])
    rows = dict(iter_rows(io.BytesIO(patched)))
    assert rows[2][0] == "IMP00001"
    assert _fast_shape(patched) == _openpyxl_shape(patched)


@pytest.mark.parametrize(
    ("factory", "message"),
    [(entity_bomb, "XML 实体"), (zip_bomb, "压缩炸弹"), (lambda: b"PK\x03\x04garbage", "Excel")],
    ids=["entity-bomb", "zip-bomb", "broken-zip"],
)
def test_fast_reader_refuses_unsafe_files_on_its_own(mine, factory, message):
    """The service is safe even when called without the upload view's checks."""
    with pytest.raises(UploadRejected, match=message):
        person_import(actor=SYSTEM, fh=io.BytesIO(factory()), filename="x.xlsx")
    assert Person.objects.count() == 3


def test_fast_reader_refuses_a_doctype_the_prolog_scan_cannot_see():
    """A DOCTYPE after 64 KiB of whitespace passes the prolog scan; the parser still refuses it."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([row(1)])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = data.decode().split("?>", 1)[-1]
                data = (
                    '<?xml version="1.0"?>'
                    + " " * (70 * 1024)
                    + '<!DOCTYPE w [<!ENTITY e "x">]>'
                    + body
                ).encode()
            target.writestr(item, data)
    with pytest.raises(UploadRejected):
        list(iter_rows(io.BytesIO(buffer.getvalue())))


def test_created_rows_equal_what_a_model_save_stores(mine):
    rows = [row(1), row(2, 手机号="", 家庭住址=""), row(3, 学历="", 岗位="")]
    result = person_import(actor=mine.users["secretary_a"], fh=io.BytesIO(workbook_bytes(rows)))
    assert result.ok and result.created == 3, result.errors
    persons = {p.employee_no: p for p in Person.objects.filter(employee_no__startswith="IMP")}
    first = persons["IMP00001"]
    aad = Person.__dict__["citizen_id"].aad(first)
    assert aad == f"people_person:{first.uid}:citizen_id"
    assert first.citizen_id_sealed is not None
    assert open_sealed(bytes(first.citizen_id_sealed), aad) == row(1)["身份证号"]
    assert first.phone == row(1)["手机号"] and first.address == "安徽省淮北市"
    assert first.citizen_id_bidx == blind_index(row(1)["身份证号"], "citizen_id")
    assert first.phone_bidx == blind_index(row(1)["手机号"], "phone")
    assert (first.version, first.is_employed, first.user_id) == (1, True, None)
    assert first.created_at is not None and first.updated_at is not None
    assert first.birth_date == dt.date.fromisoformat(row(1)["出生日期"])
    assert first.joined_party_on == dt.date(2012, 7, 1)
    second = persons["IMP00002"]
    assert second.phone_sealed is None and second.phone_bidx is None
    assert second.address_sealed is None and second.phone == ""
    assert persons["IMP00003"].education == "" and persons["IMP00003"].post == ""
    assert len({p.uid for p in persons.values()}) == 3
    for person in persons.values():
        change = PersonChange.objects.get(person=person)
        expected = {k: [None, v] for k, v in _snapshot(person).items() if k in IMPORT_FIELDS}
        assert change.changes == expected
        assert change.source == "import" and change.actor_name == "secretary_a"
        assert change.party_org_id == person.party_org_id == mine.branch_a.pk
        assert change.party_org_name == mine.branch_a.name
        assert change.unit_id == person.unit_id and change.unit_name == "综采一队一班"
    assert "139" in str(PersonChange.objects.get(person=first).changes["phone"][1])
    assert row(1)["身份证号"] not in str(PersonChange.objects.get(person=first).changes)


def test_absent_columns_take_model_defaults(mine):
    headers = [h for h in HEADERS if h not in ("一线职工", "家庭住址", "民族", "学历", "岗位")]
    result = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1)], headers)))
    assert result.ok, result.errors
    person = Person.objects.get(employee_no="IMP00001")
    assert person.is_front_line is False and person.address_sealed is None
    assert (person.ethnicity, person.education, person.post) == ("汉族", "", "")


def test_typed_cells_dates_and_numbers(mine):
    """Real Excel dates and numbers (not text) in date, ID-like and phone columns."""
    values = row(1)
    typed = {
        **values,
        "出生日期": dt.datetime.fromisoformat(values["出生日期"]),
        "入党日期": dt.date(2012, 7, 1),
        "转正日期": "2013/7/1",
        "手机号": int(values["手机号"]),
    }
    result = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([typed])))
    assert result.ok, result.errors
    person = Person.objects.get(employee_no="IMP00001")
    assert person.birth_date == dt.date.fromisoformat(values["出生日期"])
    assert person.regularised_on == dt.date(2013, 7, 1)
    assert person.phone == values["手机号"]


def test_blank_rows_keep_sheet_row_numbers_in_errors(mine):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append([row(1).get(h, "") for h in HEADERS])
    sheet.append([])  # row 3 blank
    bad = row(2, 手机号="123")
    for column, header in enumerate(HEADERS, start=1):
        sheet.cell(row=6, column=column, value=bad.get(header, ""))  # rows 4-5 missing
    result = person_import(actor=SYSTEM, fh=io.BytesIO(_save(workbook)))
    assert [(e.row, e.column) for e in result.errors] == [(6, "手机号")]
    assert result.total == 2
    assert not Person.objects.filter(employee_no__startswith="IMP").exists()


def test_empty_cell_shortcut_is_what_parsing_an_empty_cell_gives(mine):
    from dangjian.people.importing import COLUMNS, EMPTY_CELL, _Directory, _parse_cell, _Scope

    directory = _Directory(_Scope(SYSTEM))
    for column in COLUMNS:
        assert _parse_cell(column, None, directory, {}) == EMPTY_CELL[column.kind], column.field
        assert type(_parse_cell(column, None, directory, {})) is type(EMPTY_CELL[column.kind])


def test_garbage_collector_is_back_on_after_every_outcome(mine):
    import gc

    assert gc.isenabled()
    assert person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1)]))).ok
    assert gc.isenabled()
    bad = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(2, 手机号="1")])))
    assert not bad.ok and gc.isenabled()
    with pytest.raises(UploadRejected):
        person_import(actor=SYSTEM, fh=io.BytesIO(entity_bomb()))
    assert gc.isenabled()
