"""Excel import of persons (issue 2 §3; SECURITY.md IN-05, REL-02).

Two phases. **Validate** reads every row, resolves units and Party organisations by name (or
``/``-joined path) *within the uploader's import scope*, runs the shared field rules
(:func:`dangjian.people.services.person_clean`) and collects every error by row number and
Chinese column name. A file with any error writes nothing. **Write** runs in one transaction
with bulk inserts/updates in batches, re-checks the scope of every written row inside the
transaction (AC-04), writes one ``PersonChange`` per created/changed person and one summary
audit event. Rows are matched by 工号, so importing the same file twice changes nothing.

Speed (issue 2 §9, docs/performance.md): the sheet is read by :mod:`dangjian.people.xlsx_fast`;
uniqueness is checked set-based; new persons go in as plain value rows through
``executemany`` (sealed with the model descriptor's AAD, the citizen-ID blind index computed
once, the history built from the same values), so no model instance, per-row SQL compilation or
decryption is paid per new person. Changed persons still go through model instances.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.bulk import insert_values
from dangjian.core.crypto import KeyRing, blind_index, keyring, seal
from dangjian.core.excel import UploadRejected, cell_text
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission, org_paths_for, restrict, scope_q
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people.models import (
    Education,
    Gender,
    MembershipStatus,
    Person,
    PersonChange,
    PoliticalStatus,
)
from dangjian.people.services import (
    DUPLICATE_CITIZEN_ID,
    MASKERS,
    PLAIN_FIELDS,
    SEALED_FIELDS,
    person_clean,
)
from dangjian.people.xlsx_fast import iter_rows

Progress = Callable[[str, int, int], None]

PHASE_VALIDATE = "校验中"
PHASE_WRITE = "写入中"
PHASE_DONE = "完成"
DEFAULT_BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 500
OUT_OF_SCOPE = "不存在或不在您的管理范围内"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YES = {"是", "y", "yes", "true", "1", "√"}
NO = {"否", "n", "no", "false", "0", ""}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str = "text"  # text | date | bool | choice | unit | org | group
    required: bool = False
    example: str = ""
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()


def _choices(enum: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in enum.choices)


COLUMNS: tuple[Column, ...] = (
    Column("employee_no", "工号", required=True, example="#示例0001", help="唯一；按工号匹配更新"),
    Column("name", "姓名", required=True, example="张三"),
    Column("gender", "性别", "choice", example="男", choices=_choices(Gender)),
    Column("ethnicity", "民族", example="汉族"),
    Column("birth_date", "出生日期", "date", example="1990-01-01", help="可留空，按身份证号推算"),
    Column("education", "学历", "choice", example="本科", choices=_choices(Education)),
    Column("citizen_id", "身份证号", required=True, example="11010119900101002X"),
    Column("phone", "手机号", example="13800138000"),
    Column("address", "家庭住址", example="安徽省淮北市"),
    Column("post", "岗位", example="采煤工"),
    Column("unit", "单位", "unit", required=True, example="", help="单位名称或“上级/下级”路径"),
    Column("is_front_line", "一线职工", "bool", example="是"),
    Column(
        "political_status",
        "政治面貌",
        "choice",
        example="正式党员",
        choices=_choices(PoliticalStatus),
    ),
    Column("party_org", "所在党组织", "org", example="", help="留空则取单位的负责党组织"),
    Column("party_group", "所在党小组", "group", example=""),
    Column("joined_party_on", "入党日期", "date", example="2012-07-01"),
    Column("regularised_on", "转正日期", "date", example="2013-07-01"),
    Column(
        "membership_status",
        "党籍状态",
        "choice",
        example="正常",
        choices=_choices(MembershipStatus),
    ),
    Column("lost_contact", "失联", "bool", example="否"),
    Column("lost_contact_on", "失联日期", "date"),
    Column("is_mobile", "流动党员", "bool", example="否"),
    Column("mobile_destination", "外出流向"),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
COLUMN_BY_HEADER = {c.header: c for c in COLUMNS}
HEADER_ALIASES = {
    "单位(名称或路径)": "单位",
    "单位（名称或路径）": "单位",
    "一线职工(是/否)": "一线职工",
}
# Fields written by the import (is_employed and the account link are not importable).
IMPORT_FIELDS = tuple(c.field for c in COLUMNS)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "total": self.total,
            "error_count": len(self.errors),
            "errors": [asdict(e) for e in self.errors[:MAX_REPORTED_ERRORS]],
        }
        if self.ok:
            data.update(created=self.created, updated=self.updated, unchanged=self.unchanged)
        return data


class ImportFailed(Exception):
    """The write phase could not complete (conflict, scope); nothing was written."""


# --- reading ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """``cell_text`` with a shortcut for the common case of a string cell (same result)."""
    return value.strip() if type(value) is str else cell_text(value)


def read_sheet(fh: IO[bytes]) -> tuple[list[str], list[tuple[int, tuple[Any, ...]]]]:
    """Header cells (row 1) and (row number, values) of non-empty data rows; enforces the row
    limit. Reads with :mod:`dangjian.people.xlsx_fast` (same values as openpyxl, same upload
    checks, a fraction of the time).

    Rows whose 工号 starts with ``#`` (the template's example row) are skipped.
    """
    max_rows = int(rule("security.import_max_rows"))
    rows = iter_rows(fh)
    first = next(rows, None)
    if first is None:
        raise UploadRejected("文件是空的：第一行应为列名。")
    headers: list[str] = []
    pending = [first]
    if first[0] == 1:
        headers = [_text(v) for v in first[1]]
        pending = []
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in chain(pending, rows):
        if number < 2 or not any(v is not None and _text(v) for v in values):
            continue
        if _text(values[0] if values else "").startswith("#"):
            continue
        data.append((number, tuple(values)))
        if len(data) > max_rows:
            raise UploadRejected(f"数据行数超过单次导入上限（{max_rows} 行），请拆分文件后导入。")
    return headers, data


def count_data_rows(fh: IO[bytes]) -> int:
    """Rows with data in the first sheet (cheap pass used to pick inline vs background)."""
    _, rows = read_sheet(fh)
    fh.seek(0)
    return len(rows)


# --- scope and reference data -----------------------------------------------------------------


class _Scope:
    """The organisation subtrees in which ``actor`` may import persons."""

    def __init__(self, actor: Any) -> None:
        q = scope_q(Person, actor, "import")
        if q is None or not has_permission(actor, Person, "import"):
            raise PermissionDenied("您没有导入人员的权限。")
        self.everything = not q
        self.paths = tuple(org_paths_for(actor, Person, "import"))

    def allows(self, org_path: str | None) -> bool:
        if self.everything:
            return True
        return bool(org_path) and any(org_path.startswith(p) for p in self.paths)  # type: ignore[union-attr]


@dataclass
class _Node:
    pk: int
    name: str
    path: str
    kind: str
    name_path: str = ""
    org_id: int | None = None  # units: the responsible PartyOrg (own or nearest ancestor's)


def _active(today: dt.date) -> Q:
    return Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today)


class _Directory:
    """Units and organisations by name and name path, loaded in two queries."""

    def __init__(self, scope: _Scope) -> None:
        today = timezone.localdate()
        self.scope = scope
        self.orgs: dict[int, _Node] = {}
        for pk, name, path, kind, parent_id in (
            PartyOrg.objects.filter(_active(today))
            .order_by("path")
            .values_list("pk", "name", "path", "kind", "parent_id")
        ):
            parent = self.orgs.get(parent_id) if parent_id else None
            node = _Node(pk, name, path, kind)
            node.name_path = f"{parent.name_path}/{name}" if parent else name
            self.orgs[pk] = node
        self.units: dict[int, _Node] = {}
        for pk, name, path, kind, parent_id, org_id in (
            Unit.objects.filter(_active(today))
            .order_by("path")
            .values_list("pk", "name", "path", "kind", "parent_id", "party_org_id")
        ):
            parent = self.units.get(parent_id) if parent_id else None
            node = _Node(pk, name, path, kind, org_id=org_id or (parent.org_id if parent else None))
            node.name_path = f"{parent.name_path}/{name}" if parent else name
            self.units[pk] = node
        self._org_index = self._index(self.orgs.values())
        self._unit_index = self._index(self.units.values())
        self._instances: dict[tuple[type, int], Any] = {}

    def instance(self, model: type[PartyOrg] | type[Unit], node: _Node | None) -> Any:
        """One unsaved-looking model instance per node carrying pk/name/path/kind (for
        ``person_clean``; no query, and not one new instance per row)."""
        if node is None:
            return None
        key = (model, node.pk)
        obj = self._instances.get(key)
        if obj is None:
            obj = self._instances[key] = _instance(model, node)
        return obj

    @staticmethod
    def _index(nodes: Iterable[_Node]) -> dict[str, list[_Node]]:
        index: dict[str, list[_Node]] = {}
        for node in nodes:
            index.setdefault(node.name, []).append(node)
        return index

    def org_path(self, org_id: int | None) -> str | None:
        node = self.orgs.get(org_id) if org_id else None
        return node.path if node else None

    def _find(self, index: dict[str, list[_Node]], text: str) -> list[_Node]:
        text = re.sub(r"\s*/\s*", "/", text.strip().strip("/"))
        leaf = text.rsplit("/", 1)[-1]
        candidates = index.get(leaf, [])
        if "/" in text:
            candidates = [
                n for n in candidates if n.name_path == text or n.name_path.endswith("/" + text)
            ]
        return candidates

    def unit(self, text: str) -> _Node:
        found = [
            n
            for n in self._find(self._unit_index, text)
            if self.scope.allows(self.org_path(n.org_id))
        ]
        return self._one(found, "单位")

    def org(self, text: str, *, kind_group: bool = False, within: str = "") -> _Node:
        found = [
            n
            for n in self._find(self._org_index, text)
            if self.scope.allows(n.path) and (n.kind == PartyOrg.Kind.GROUP) == kind_group
        ]
        if within and len(found) > 1:
            found = [n for n in found if n.path.startswith(within)] or found
        return self._one(found, "党小组" if kind_group else "党组织")

    @staticmethod
    def _one(found: list[_Node], what: str) -> _Node:
        if not found:
            raise ValidationError(f"{what}{OUT_OF_SCOPE}。")
        if len(found) > 1:
            example = found[0].name_path
            raise ValidationError(f"{what}名称不唯一，请填写完整路径（如“{example}”）。")
        return found[0]


# --- cell parsing -----------------------------------------------------------------------------


def _parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # e.g. 1900-13-45: refused below with the same message as before
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationError("日期格式应为 YYYY-MM-DD（如 2012-07-01）。")


def _parse_bool(value: Any) -> bool:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValidationError("请填写“是”或“否”。")


def _choice_lookup(column: Column) -> dict[str, str]:
    """Cell text → code: the code, the label, and each part of the 高中/中专/技校 label."""
    lookup: dict[str, str] = {}
    for code, label in reversed(column.choices):  # the first matching choice wins
        lookup[label] = code
        if code == "senior":
            lookup.update(dict.fromkeys(label.split("/"), code))
        lookup[code] = code
    return lookup


CHOICE_LOOKUP = {c.field: _choice_lookup(c) for c in COLUMNS if c.kind == "choice"}


def _parse_choice(column: Column, value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    code = CHOICE_LOOKUP[column.field].get(text)
    if code is not None:
        return code
    labels = "、".join(label for _, label in column.choices)
    raise ValidationError(f"“{text}”不在代码表中，可选：{labels}。")


@dataclass
class _Planned:
    row: int
    cleaned: dict[str, Any]
    citizen_bidx: str = ""
    existing: Person | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    person: Person | None = None


def _comparable(name: str, value: Any) -> Any:
    if isinstance(value, PartyOrg | Unit):
        return value.pk
    if value is None and name in ("education", "post", "mobile_destination", "ethnicity"):
        return ""
    return value


# --- the service ------------------------------------------------------------------------------


def person_import(
    *,
    actor: Any,
    fh: IO[bytes],
    filename: str = "",
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Validate and import an uploaded workbook (already checked by ``check_xlsx_upload``).

    Returns the counts, or the list of errors (and then nothing was written).
    Raises ``UploadRejected`` for an unreadable file and ``PermissionDenied`` without the
    import permission.
    """
    report: Progress = progress or (lambda phase, done, total: None)
    scope = _Scope(actor)
    with _collector_paused():
        headers, rows = read_sheet(fh)
        result = ImportResult(total=len(rows))
        columns = _map_headers(headers, result)
        if result.errors:
            return result
        planned = _validate(actor, scope, columns, rows, result, report)
        if result.errors:
            audit_record(
                "import",
                obj=("people.person", "", filename or "人员导入"),
                actor=actor,
                outcome="failure",
                changes={
                    "file": filename,
                    "rows": result.total,
                    "error_count": len(result.errors),
                },
            )
            return result
        _write(actor, planned, result, filename, report, batch_size)
    report(PHASE_DONE, result.total, result.total)
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the import.

    The import keeps every planned row alive until it is written, so each automatic collection
    walks all of them again (13% of the time at 50,000 rows). Reference counting still frees
    everything that is not in a cycle; the collector is switched back on afterwards (only if
    it was on), also when the import fails.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _map_headers(headers: list[str], result: ImportResult) -> dict[int, Column]:
    columns: dict[int, Column] = {}
    for index, header in enumerate(headers):
        name = HEADER_ALIASES.get(header, header)
        if name in COLUMN_BY_HEADER:
            if COLUMN_BY_HEADER[name] in columns.values():
                result.errors.append(RowError(1, name, "列名重复。"))
            columns[index] = COLUMN_BY_HEADER[name]
        elif name:
            result.errors.append(RowError(1, name, "无法识别的列名，请使用下载的导入模板。"))
    present = {c.field for c in columns.values()}
    for column in COLUMNS:
        if column.required and column.field not in present:
            result.errors.append(RowError(1, column.header, "缺少必需的列。"))
    return columns


def _validate(
    actor: Any,
    scope: _Scope,
    columns: dict[int, Column],
    rows: list[tuple[int, tuple[Any, ...]]],
    result: ImportResult,
    report: Progress,
) -> list[_Planned]:
    directory = _Directory(scope)
    total = len(rows)
    report(PHASE_VALIDATE, 0, total)
    existing = _existing_persons(actor, rows, columns)
    ring = keyring()
    bidx_of: dict[str, str] = {}  # normalised citizen ID → blind index, computed once
    taken_ids = _taken_ids(rows, columns, bidx_of, ring)
    present = {c.field for c in columns.values()}
    seen_no: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    planned: list[_Planned] = []
    for done, (number, values) in enumerate(rows, start=1):
        errors_before = len(result.errors)

        def fail(column: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, column, message))

        data: dict[str, Any] = {}
        width = len(values)
        for index, column in columns.items():
            raw = values[index] if index < width else None
            if raw is None:  # an empty cell: what _parse_cell gives for it, without the call
                data[column.field] = EMPTY_CELL[column.kind]
                continue
            try:
                data[column.field] = _parse_cell(column, raw, directory, data)
            except ValidationError as exc:
                fail(column.header, exc.messages[0])
        employee_no = data.get("employee_no") or ""
        target = existing.get(employee_no)
        if employee_no and target is False:
            fail("工号", f"工号已被使用，该人员{OUT_OF_SCOPE}。")
        if employee_no in seen_no:
            fail("工号", f"与第 {seen_no[employee_no]} 行工号重复。")
        seen_no.setdefault(employee_no, number)
        citizen_id = str(data.get("citizen_id") or "").strip().upper()
        if citizen_id and citizen_id in seen_id:
            fail("身份证号", f"与第 {seen_id[citizen_id]} 行身份证号重复。")
        if citizen_id:
            seen_id.setdefault(citizen_id, number)
        if len(result.errors) > errors_before:
            _progress_every(report, done, total)
            continue
        instance = target if isinstance(target, Person) else None
        merged = _merge(instance, data, present, directory)
        try:
            # uniqueness is checked set-based: 工号 by _existing_persons, IDs by _taken_ids
            cleaned = person_clean(merged, instance=instance, check_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                header = COLUMN_BY_FIELD[name].header if name in COLUMN_BY_FIELD else name
                for message in messages:
                    fail(header, message)
            _progress_every(report, done, total)
            continue
        bidx = bidx_of.get(cleaned["citizen_id"]) or blind_index(
            cleaned["citizen_id"], "citizen_id", ring
        )
        holder = taken_ids.get(bidx)
        if holder is not None and (instance is None or holder != instance.pk):
            fail("身份证号", DUPLICATE_CITIZEN_ID)
        if cleaned.get("party_org") is not None and not scope.allows(cleaned["party_org"].path):
            fail("所在党组织", f"党组织{OUT_OF_SCOPE}。")
        plan = _Planned(row=number, cleaned=cleaned, citizen_bidx=bidx, existing=instance)
        if instance is not None:
            plan.changes = _changes(instance, cleaned)
        planned.append(plan)
        _progress_every(report, done, total)
    report(PHASE_VALIDATE, total, total)
    return planned


def _progress_every(report: Progress, done: int, total: int) -> None:
    if done % 200 == 0:
        report(PHASE_VALIDATE, done, total)


# The value of an empty cell by column kind (as _parse_cell returns it for ``None``).
EMPTY_CELL: dict[str, Any] = {
    "text": "",
    "date": None,
    "bool": False,
    "choice": "",
    "unit": None,
    "org": None,
    "group": None,
}


def _parse_cell(column: Column, raw: Any, directory: _Directory, data: dict[str, Any]) -> Any:
    if column.kind == "date":
        return _parse_date(raw)
    if column.kind == "bool":
        return _parse_bool(raw)
    if column.kind == "choice":
        return _parse_choice(column, raw)
    text = _text(raw)
    if column.kind == "unit":
        return directory.unit(text) if text else None
    if column.kind == "org":
        return directory.org(text) if text else None
    if column.kind == "group":
        within = data["party_org"].path if isinstance(data.get("party_org"), _Node) else ""
        return directory.org(text, kind_group=True, within=within) if text else None
    if len(text) > 200:
        raise ValidationError("内容过长。")
    return text


def _existing_persons(
    actor: Any, rows: list[tuple[int, tuple[Any, ...]]], columns: dict[int, Column]
) -> dict[str, Person | bool]:
    """工号 → the in-scope Person to update, or False when it belongs to someone out of scope."""
    index = next((i for i, c in columns.items() if c.field == "employee_no"), None)
    if index is None:
        return {}
    numbers = sorted({_text(v[index]) for _, v in rows if index < len(v) and _text(v[index])})
    found: dict[str, Person | bool] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        allowed = {
            p.employee_no: p
            for p in restrict(Person.objects.filter(employee_no__in=chunk), actor, "import")
        }
        for number in Person.objects.filter(employee_no__in=chunk).values_list(
            "employee_no", flat=True
        ):
            found[number] = allowed.get(number, False)
    return found


def _taken_ids(
    rows: list[tuple[int, tuple[Any, ...]]],
    columns: dict[int, Column],
    bidx_of: dict[str, str],
    ring: KeyRing,
) -> dict[str, int]:
    """Blind index → person id for every citizen ID in the file already on record (any scope),
    one query per 500 IDs instead of one per row. Fills ``bidx_of`` (normalised ID → blind
    index) so that no index is computed twice."""
    index = next((i for i, c in columns.items() if c.field == "citizen_id"), None)
    if index is None:
        return {}
    for _, v in rows:
        if index < len(v) and (text := _text(v[index]).upper()) and text not in bidx_of:
            bidx_of[text] = blind_index(text, "citizen_id", ring)
    indexes = sorted(set(bidx_of.values()))
    taken: dict[str, int] = {}
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        for bidx, pk in Person.objects.filter(citizen_id_bidx__in=chunk).values_list(
            "citizen_id_bidx", "pk"
        ):
            taken[str(bidx)] = pk
    return taken


def _merge(
    instance: Person | None, data: dict[str, Any], present: set[str], directory: _Directory
) -> dict[str, Any]:
    """Full field set for ``person_clean``: file values over current values (for updates)."""
    merged: dict[str, Any] = {}
    if instance is not None:
        for name in PLAIN_FIELDS:
            if name == "unit":
                merged[name] = directory.instance(Unit, directory.units.get(instance.unit_id))
            elif name in ("party_org", "party_group"):
                org_id = getattr(instance, f"{name}_id")
                node = directory.orgs.get(org_id) if org_id else None
                merged[name] = directory.instance(PartyOrg, node)
            else:
                merged[name] = getattr(instance, name)
        merged.update({f: getattr(instance, f) for f in SEALED_FIELDS})
    for name, value in data.items():
        if isinstance(value, _Node):
            value = directory.instance(Unit if name == "unit" else PartyOrg, value)
        merged[name] = value
    citizen_id = str(merged.get("citizen_id") or "").strip().upper()
    if re.fullmatch(r"\d{17}[\dX]", citizen_id):
        # derive birth date and gender from the ID when the columns are left blank
        try:
            birth = dt.date(int(citizen_id[6:10]), int(citizen_id[10:12]), int(citizen_id[12:14]))
        except ValueError:
            birth = None
        if not merged.get("birth_date") and birth:
            merged["birth_date"] = birth
        if not merged.get("gender"):
            merged["gender"] = "M" if int(citizen_id[16]) % 2 else "F"
    if not merged.get("ethnicity"):
        merged["ethnicity"] = "汉族"
    if not merged.get("membership_status"):
        merged["membership_status"] = MembershipStatus.NORMAL
    if not merged.get("political_status"):
        merged["political_status"] = PoliticalStatus.MASSES
    if "party_org" not in present or merged.get("party_org") is None:
        unit = data.get("unit")
        if isinstance(unit, _Node) and unit.org_id:
            merged["party_org"] = directory.instance(PartyOrg, directory.orgs.get(unit.org_id))
        elif instance is None or "unit" in data:
            merged["party_org"] = None
    return merged


def _instance(model: type[PartyOrg] | type[Unit], node: _Node | None) -> Any:
    """An unsaved-looking model instance carrying pk/name/path/kind (no query per row)."""
    if node is None:
        return None
    obj: Any = model(pk=node.pk, name=node.name, path=node.path, kind=node.kind)
    if model is Unit:
        obj.party_org_id = node.org_id
    return obj


def _changes(person: Person, cleaned: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name in IMPORT_FIELDS:
        if name not in cleaned:
            continue
        new = _comparable(name, cleaned[name])
        if name in SEALED_FIELDS:
            old = getattr(person, name)
            if (old or "") != (new or ""):
                changes[name] = [MASKERS[name](old), MASKERS[name](new)]
            continue
        attname = f"{name}_id" if name in ("unit", "party_org", "party_group") else name
        old = _comparable(name, getattr(person, attname))
        if old != new:
            changes[name] = [_json(old), _json(new)]
    return changes


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _apply(person: Person, cleaned: dict[str, Any]) -> None:
    for name in IMPORT_FIELDS:
        if name not in cleaned:
            continue
        value = cleaned[name]
        if name in SEALED_FIELDS:
            setattr(person, name, value or "")
        elif name in ("unit", "party_org", "party_group"):
            setattr(person, f"{name}_id", value.pk if value is not None else None)
        elif name in ("education", "post", "mobile_destination", "ethnicity"):
            setattr(person, name, value or "")
        else:
            setattr(person, name, value)


def _batches(items: list[_Planned], size: int) -> Iterator[list[_Planned]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


UPDATE_FIELDS = [
    *(
        f"{n}_id" if n in ("unit", "party_org", "party_group") else n
        for n in PLAIN_FIELDS
        if n in IMPORT_FIELDS
    ),
    "citizen_id_sealed",
    "citizen_id_bidx",
    "phone_sealed",
    "phone_bidx",
    "address_sealed",
    "version",
    "updated_at",
]


# Importable plain fields as Person attribute names, in PLAIN_FIELDS order (the history's order).
_FK_FIELDS = ("unit", "party_org", "party_group")
_BLANK_TEXT = ("education", "post", "mobile_destination", "ethnicity")
_PLAIN_IMPORTED = tuple(n for n in PLAIN_FIELDS if n in IMPORT_FIELDS)
_ATTNAMES = tuple(f"{n}_id" if n in _FK_FIELDS else n for n in _PLAIN_IMPORTED)
_SEALED_COLUMNS = tuple(
    column
    for name in SEALED_FIELDS
    for column in (f"{name}_sealed", f"{name}_bidx")
    if hasattr(Person, column) or column.endswith("_sealed")
)
CREATE_FIELDS = ("uid", *_ATTNAMES, *_SEALED_COLUMNS)
HISTORY_FIELDS = (
    "person_id",
    "actor_name",
    "source",
    "changes",
    "party_org_id",
    "party_org_name",
    "unit_id",
    "unit_name",
)


class _Sealing:
    """Stands in for a new Person where only the AAD inputs (table and uid) are needed, so
    values are sealed with the model descriptor's own AAD without building the instance."""

    _meta = Person._meta

    def __init__(self, uid: uuid.UUID) -> None:
        self.uid = uid


_MISSING = object()
_FK, _BLANK, _AS_IS = 1, 2, 0


def _new_row(plan: _Planned, ring: KeyRing) -> tuple[tuple[Any, ...], dict[str, list[Any]]]:
    """The INSERT values (``CREATE_FIELDS`` order) and the history entry of a new person: the
    same values ``_apply`` on a new ``Person`` and a save would give, without the instance."""
    cleaned = plan.cleaned
    get = cleaned.get
    values: list[Any] = []
    append = values.append
    for name, kind, default in _plain_plan():
        value = get(name, _MISSING)
        if value is _MISSING:
            value = default
        elif kind == _FK:
            value = value.pk if value is not None else None
        elif kind == _BLANK:
            value = value or ""
        append(value)
    history = {
        name: [None, value.isoformat() if isinstance(value, dt.date) else value]
        for name, value in zip(_PLAIN_IMPORTED, values, strict=True)
    }
    uid = uuid.uuid4()
    subject: Any = _Sealing(uid)
    has_id = bool(get("citizen_id"))
    for name, descriptor, indexed in _SEALING:
        text = get(name) or ""
        values.append(seal(text, descriptor.aad(subject), ring) if text else None)
        if indexed:
            if not text:
                values.append(None)
            elif name == "citizen_id" and plan.citizen_bidx:
                values.append(plan.citizen_bidx)
            else:
                values.append(blind_index(text, name, ring))
        history[name] = [None, MASKERS[name](text) if has_id else ""]
    return (uid, *values), history


# (field, whether it has a blind index) with the model's descriptor, in CREATE_FIELDS order
_SEALING = tuple(
    (name, Person.__dict__[name], f"{name}_bidx" in _SEALED_COLUMNS) for name in SEALED_FIELDS
)
_PLAIN_PLAN: list[tuple[str, int, Any]] = []


def _plain_plan() -> list[tuple[str, int, Any]]:
    """(field, kind of conversion, model default for a column absent from the file)."""
    if not _PLAIN_PLAN:
        for name in _PLAIN_IMPORTED:
            model_field = Person._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            kind = _FK if name in _FK_FIELDS else _BLANK if name in _BLANK_TEXT else _AS_IS
            _PLAIN_PLAN.append((name, kind, model_field.get_default()))
    return _PLAIN_PLAN


def _write(
    actor: Any,
    planned: list[_Planned],
    result: ImportResult,
    filename: str,
    report: Progress,
    batch_size: int,
) -> None:
    """One transaction: new persons as plain rows through ``executemany``, changed persons
    through ``bulk_update`` with their versions checked; per batch the scope re-check and the
    history; one audit summary at the end. Any failure rolls everything back."""
    creates = [p for p in planned if p.existing is None]
    updates = [p for p in planned if p.existing is not None and p.changes]
    result.unchanged = len(planned) - len(creates) - len(updates)
    total = len(creates) + len(updates)
    done = 0
    actor_name = getattr(actor, "username", "") or "system"
    now = timezone.now()
    ring = keyring()
    report(PHASE_WRITE, 0, total)
    try:
        with transaction.atomic():
            for batch in _batches(creates, batch_size):
                rows, histories = [], []
                for plan in batch:
                    row, history = _new_row(plan, ring)
                    rows.append(row)
                    histories.append(history)
                insert_values(Person, CREATE_FIELDS, rows, batch=batch_size)
                numbers = [plan.cleaned["employee_no"] for plan in batch]
                ids = dict(
                    Person.objects.filter(employee_no__in=numbers).values_list("employee_no", "pk")
                )
                org_at = _ATTNAMES.index("party_org_id") + 1  # after the uid
                unit_at = _ATTNAMES.index("unit_id") + 1
                _after_batch(
                    actor,
                    actor_name,
                    [
                        (ids[number], history, row[org_at], row[unit_at])
                        for number, history, row in zip(numbers, histories, rows, strict=True)
                    ],
                )
                done += len(batch)
                report(PHASE_WRITE, done, total)
            for batch in _batches(updates, batch_size):
                versions = dict(
                    Person.objects.select_for_update()
                    .filter(pk__in=[p.existing.pk for p in batch if p.existing])
                    .values_list("pk", "version")
                )
                persons = []
                for plan in batch:
                    person = plan.existing
                    assert person is not None
                    if versions.get(person.pk) != person.version:
                        raise ImportFailed(
                            f"第 {plan.row} 行的人员在导入期间被他人修改，请重新导入。"
                        )
                    _apply(person, plan.cleaned)
                    person.version += 1
                    person.updated_at = now
                    persons.append(person)
                Person.objects.bulk_update(persons, UPDATE_FIELDS, batch_size=batch_size)
                _after_batch(
                    actor,
                    actor_name,
                    [
                        (p.pk, plan.changes, p.party_org_id, p.unit_id)
                        for p, plan in zip(persons, batch, strict=True)
                    ],
                )
                done += len(batch)
                report(PHASE_WRITE, done, total)
            result.created, result.updated = len(creates), len(updates)
            audit_record(
                "import",
                obj=("people.person", "", filename or "人员导入"),
                actor=actor,
                changes={
                    "file": filename,
                    "rows": result.total,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
    except IntegrityError as exc:
        raise ImportFailed("导入期间数据发生冲突（工号或身份证号重复），未导入任何数据。") from exc


def _after_batch(
    actor: Any, actor_name: str, written: list[tuple[int, dict[str, Any], int, int]]
) -> None:
    """Scope re-check inside the transaction (AC-04) and one history row per written person:
    ``written`` holds (person id, changes, party_org_id, unit_id)."""
    pks = [pk for pk, *_ in written]
    visible = restrict(Person.objects.filter(pk__in=pks), actor, "import").count()
    if visible != len(pks):
        raise PermissionDenied("导入结果超出您的数据权限范围，未导入任何数据。")
    orgs = dict(
        PartyOrg.objects.filter(pk__in={org for *_, org, _ in written}).values_list("pk", "name")
    )
    units = dict(Unit.objects.filter(pk__in={u for *_, u in written}).values_list("pk", "name"))
    insert_values(
        PersonChange,
        HISTORY_FIELDS,
        [
            (pk, actor_name, "import", changes, org, orgs.get(org, ""), unit, units.get(unit, ""))
            for pk, changes, org, unit in written
        ],
        batch=max(len(written), 1),
    )


# --- template download and background start ---------------------------------------------------


def import_template(*, user: Any) -> bytes:
    """The downloadable .xlsx template: headers, one example row, code tables, the user's
    organisations and units (names as the import expects them)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from dangjian.core.excel import safe_cell

    scope = _Scope(user)
    directory = _Directory(scope)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "人员信息"
    sheet.append([c.header for c in COLUMNS])
    first_unit = next(
        (n for n in directory.units.values() if scope.allows(directory.org_path(n.org_id))), None
    )
    examples = []
    for column in COLUMNS:
        value = column.example
        if column.field == "unit" and first_unit is not None:
            value = first_unit.name_path
        examples.append(value)
    sheet.append([safe_cell(v) for v in examples])
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="C00000" if column.required else "F2DCDB")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 6)
        if column.field in ("employee_no", "citizen_id", "phone"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
        if column.kind in ("choice", "bool"):
            labels = (
                [label for _, label in column.choices] if column.kind == "choice" else ["是", "否"]
            )
            validation = DataValidation(
                type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True
            )
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet("代码表与说明")
    codes.append(["列名", "必填", "说明", "可选值"])
    for column in COLUMNS:
        values = "、".join(label for _, label in column.choices)
        if column.kind == "bool":
            values = "是、否"
        if column.kind == "date":
            values = "YYYY-MM-DD"
        codes.append([column.header, "是" if column.required else "", column.help, values])
    codes.append([])
    codes.append(
        ["说明", "", "工号以 # 开头的行（如示例行）不会导入；同一工号再次导入时更新该人员。"]
    )
    codes.column_dimensions["A"].width = 14
    codes.column_dimensions["C"].width = 40
    codes.column_dimensions["D"].width = 60
    places = workbook.create_sheet("组织与单位")
    places.append(["类型", "名称（可填写在“所在党组织/所在党小组/单位”列）"])
    for org in directory.orgs.values():
        if scope.allows(org.path):
            kind = "党小组" if org.kind == PartyOrg.Kind.GROUP else "党组织"
            places.append([kind, safe_cell(org.name_path)])
    for unit in directory.units.values():
        if scope.allows(directory.org_path(unit.org_id)):
            places.append(["单位", safe_cell(unit.name_path)])
    places.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_dir() -> Any:
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.PRIVATE_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_start(*, user: Any, fh: IO[bytes], filename: str, rows: int) -> Any:
    """Store the checked upload under a random private name and enqueue the import job."""
    import uuid

    from django.conf import settings

    from dangjian.core.models import Job
    from dangjian.people.tasks import run_import

    _Scope(user)  # refuse early without the permission
    path = import_dir() / f"{uuid.uuid4().hex}.xlsx"
    fh.seek(0)
    with path.open("wb") as out:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            out.write(chunk)
    job = Job.objects.create(
        kind="import:people.persons",
        owner=user,
        phase="排队中",
        total=rows,
        params={"filename": filename[:200], "rows": rows},
        input_file=str(path.relative_to(settings.PRIVATE_DIR)),
    )
    transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


def import_run(job: Any) -> None:
    """Run a queued import job (called by the task worker); always deletes the upload."""
    from pathlib import Path

    from django.conf import settings

    from dangjian.core.models import Job

    path = Path(settings.PRIVATE_DIR) / job.input_file

    def progress(phase: str, done: int, total: int) -> None:
        # the write phase runs in one transaction: Job.report_progress keeps it visible
        job.report_progress(
            phase if phase != PHASE_VALIDATE else f"{phase} {done}/{total}", done, total
        )

    try:
        with path.open("rb") as fh:
            result = person_import(
                actor=job.owner, fh=fh, filename=job.params.get("filename", ""), progress=progress
            )
        if result.ok:
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.SUCCEEDED,
                phase=PHASE_DONE,
                done=result.total,
                total=result.total,
                result=result.as_dict(),
                finished_at=timezone.now(),
            )
        else:
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.FAILED,
                phase="校验未通过",
                message=f"发现 {len(result.errors)} 处错误，未导入任何数据。",
                result=result.as_dict(),
                finished_at=timezone.now(),
            )
    except (UploadRejected, ImportFailed, PermissionDenied) as exc:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            phase="失败",
            message=str(exc),
            finished_at=timezone.now(),
        )
    finally:
        path.unlink(missing_ok=True)  # RIP-02: the upload never outlives its job
        job.clear_progress()
