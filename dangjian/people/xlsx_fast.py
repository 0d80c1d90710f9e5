"""Streaming reader of the first worksheet of an uploaded .xlsx, for the person import.

openpyxl's read-only mode builds a cell object and walks an element tree for every cell, which
cost the import about half a millisecond per 22-column row (docs/performance.md, issue 2 §9).
This module reads the same parts with expat callbacks and returns the values openpyxl returns
with ``read_only=True, data_only=True`` / ``values_only=True``: shared and inline strings (rich
text runs joined, phonetic runs left out), ``int``/``float`` numbers, numbers in a date format
as ``datetime`` (1900 and 1904 calendars, via openpyxl's own helpers), booleans, ISO dates,
error codes as text, the cached result of a formula (never the formula).

Safety (SECURITY.md IN-05) is not delegated to the speed-up: the archive first goes through
:func:`dangjian.core.excel.check_xlsx_upload` (size, member count, compression ratio, member
paths, DTD scan of every XML part); the parser then refuses any DOCTYPE, entity declaration or
external entity of its own (expat also limits entity amplification), and a member never
inflates beyond the size its header declares (``zipfile`` stops there).
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from dangjian.core.excel import UploadRejected, check_xlsx_upload

UNREADABLE = "无法读取该 Excel 文件，请使用下载的模板重新填写。"
ENTITIES = "Excel 文件包含不允许的 XML 实体声明，已拒绝。"
CHUNK = 1 << 16

Row = tuple[int, list[Any]]


def iter_rows(fh: IO[bytes]) -> Iterator[Row]:
    """``(row number, values)`` of every row present in the first worksheet, in file order.

    Cells missing inside a row are ``None``; rows missing from the file are not yielded (their
    numbers are skipped). Raises ``UploadRejected`` for anything unsafe or unreadable.
    """
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    check_xlsx_upload(fh, size)
    try:
        with zipfile.ZipFile(fh) as archive:
            yield from _Workbook(archive).rows()
    except UploadRejected:
        raise
    except Exception as exc:  # broken XML, bad zip member, malformed values
        raise UploadRejected(UNREADABLE) from exc
    finally:
        fh.seek(0)


# --- parts of the package ---------------------------------------------------------------------


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _refuse(*_args: Any) -> Any:
    raise UploadRejected(ENTITIES)


def _parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    chars: Callable[[str], None] | None = None,
) -> Any:
    """An expat parser (no namespace processing: names keep their prefix) that refuses DTDs."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    return parser


def _feed(archive: zipfile.ZipFile, name: str, parser: Any) -> None:
    with archive.open(name) as part:
        while chunk := part.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, member name) of a part's relationships (missing .rels: none)."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in archive.NameToInfo:
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            if target.startswith("/"):
                member = posixpath.normpath(target).lstrip("/")
            else:
                member = posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), member)

    _feed(archive, rels, _parser(start))
    return found


def _of_type(rels: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((m for t, m in rels.values() if t.endswith("/" + kind)), None)


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        root = _of_type(_relationships(archive, ""), "officeDocument") or "xl/workbook.xml"
        rels = _relationships(archive, root)
        self.sheet = self._first_worksheet(root, rels)
        self.shared = self._shared_strings(_of_type(rels, "sharedStrings"))
        self.dates, self.durations = self._date_styles(_of_type(rels, "styles"))

    def _first_worksheet(self, root: str, rels: dict[str, tuple[str, str]]) -> str:
        sheets: list[str] = []
        self.epoch = CALENDAR_WINDOWS_1900

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "sheet":
                rid = next((v for k, v in attrs.items() if ":" in k and _local(k) == "id"), "")
                kind, member = rels.get(rid, ("", ""))
                if kind.endswith("/worksheet"):
                    sheets.append(member)
            elif tag == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904

        _feed(self.archive, root, _parser(start))
        if not sheets or sheets[0] not in self.archive.NameToInfo:
            raise UploadRejected(UNREADABLE)
        return sheets[0]

    def _shared_strings(self, member: str | None) -> list[str]:
        strings: list[str] = []
        if member is None or member not in self.archive.NameToInfo:
            return strings
        parts: list[str] = []
        state = {"text": False, "phonetic": 0}

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            if tag == "t":
                state["text"] = not state["phonetic"]
            elif tag == "rPh":
                state["phonetic"] += 1
            elif tag == "si":
                parts.clear()

        def end(name: str) -> None:
            tag = _local(name)
            if tag == "t":
                state["text"] = False
            elif tag == "rPh":
                state["phonetic"] -= 1
            elif tag == "si":
                strings.append("".join(parts).replace("x005F_", ""))

        def chars(data: str) -> None:
            if state["text"]:
                parts.append(data)

        _feed(self.archive, member, _parser(start, end, chars))
        return strings

    def _date_styles(self, member: str | None) -> tuple[set[int], set[int]]:
        """Indexes of cell formats whose number format is a date (and a duration)."""
        custom: dict[int, str] = {}
        formats: list[int] = []
        if member is not None and member in self.archive.NameToInfo:
            where: list[str] = []

            def start(name: str, attrs: dict[str, str]) -> None:
                tag = _local(name)
                if tag == "numFmt":
                    custom[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
                elif tag == "xf" and where and where[-1] == "cellXfs":
                    formats.append(int(attrs.get("numFmtId", 0)))
                where.append(tag)

            def end(name: str) -> None:
                where.pop()

            _feed(self.archive, member, _parser(start, end))
        dates: set[int] = set()
        durations: set[int] = set()
        for index, fmt_id in enumerate(formats):
            code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
            if is_date_format(code):
                dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
        return dates, durations

    def rows(self) -> Iterator[Row]:
        parser, done = _sheet_parser(self)
        with self.archive.open(self.sheet) as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
                if done:
                    yield from done
                    done.clear()
        parser.Parse(b"", True)
        yield from done


_COLUMNS: dict[str, int] = {}
DIGITS = "0123456789"


def _column(ref: str) -> int:
    """1-based column of a cell reference such as ``AB12``."""
    letters = ref.rstrip(DIGITS)
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for char in letters.upper():
            index = index * 26 + ord(char) - 64
        if not letters.isalpha() or not 0 < index <= 16384:
            raise ValueError(f"bad cell reference {ref!r}")
        _COLUMNS[letters] = index
    return index


def _sheet_parser(book: _Workbook) -> tuple[Any, list[Row]]:
    """An expat parser for ``sheetData`` and the list it appends finished rows to.

    The callbacks run once per element (some 40 per 22-column row), so their state lives in
    closure variables rather than attributes.
    """
    shared, dates, durations, epoch = book.shared, book.dates, book.durations, book.epoch
    done: list[Row] = []
    tags: dict[str, str] = {}
    number = column = style = phonetic = 0
    cells: list[Any] = []
    kind = "n"
    text: list[str] = []
    capture = has_value = inline = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal number, column, style, phonetic, cells, kind, text, capture, has_value, inline
        tag = tags.get(name)
        if tag is None:
            tag = tags[name] = _local(name)
        if tag == "c":
            kind = attrs.get("t", "n")
            s = attrs.get("s")
            style = int(s) if s else 0
            ref = attrs.get("r")
            if ref:
                column = _COLUMNS.get(ref.rstrip(DIGITS)) or _column(ref)
            else:
                column += 1
            text = []
            has_value = inline = False
        elif tag == "v":
            if kind != "inlineStr":
                capture = has_value = True
        elif tag == "t":
            capture = inline and not phonetic
        elif tag == "is":
            inline = kind == "inlineStr"
        elif tag == "rPh":
            phonetic += 1
        elif tag == "row":
            ref = attrs.get("r")
            number = int(float(ref)) if ref else number + 1
            cells = []
            column = 0

    def end(name: str) -> None:
        nonlocal capture, phonetic
        tag = tags.get(name)
        if tag is None:
            tag = tags[name] = _local(name)
        if tag == "c":
            if column > len(cells):
                cells.extend([None] * (column - len(cells)))
            cells[column - 1] = value()
        elif tag == "v" or tag == "t":
            capture = False
        elif tag == "rPh":
            phonetic -= 1
        elif tag == "row":
            done.append((number, cells))

    def chars(data: str) -> None:
        if capture:
            text.append(data)

    def value() -> Any:
        if kind == "inlineStr":
            return "".join(text) if inline else None
        raw = "".join(text) if has_value else ""
        if not raw:
            return None
        if kind == "n":
            parsed: Any = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if style in dates:
                try:
                    return from_excel(parsed, epoch, timedelta=style in durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return parsed
        if kind == "s":
            return shared[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "str" (formula result), "e" (error code)

    return _parser(start, end, chars), done
