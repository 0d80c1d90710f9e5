"""Import speed (docs/performance.md): uniqueness is checked set-based, so the number of
queries does not grow with the number of rows; the checks still catch what they caught."""

from __future__ import annotations

import io
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.scope import SYSTEM
from dangjian.people.importing import person_import
from dangjian.people.models import Person
from dangjian.people.tests.import_helpers import row, workbook_bytes


def _import_queries(rows) -> tuple[int, Any]:
    content = workbook_bytes(rows)
    with CaptureQueriesContext(connection) as ctx:
        result = person_import(actor=SYSTEM, fh=io.BytesIO(content))
    return len(ctx.captured_queries), result


def test_import_queries_do_not_grow_with_rows(mine):
    small, result_small = _import_queries([row(i) for i in range(1, 4)])
    large, result_large = _import_queries([row(i) for i in range(101, 161)])
    assert result_small.ok and result_large.ok, (result_small.errors, result_large.errors)
    # 57 more rows: per-row uniqueness queries would add 114; only the bulk INSERTs, which
    # the driver splits by its parameter limit, may add a statement or two
    assert large - small <= 3, (small, large)


def test_reimport_keeps_own_id_but_refuses_another_persons(mine):
    first = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1), row(2)])))
    assert first.ok and first.created == 2
    again = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1), row(2)])))
    assert again.ok and again.created == 0 and again.updated == 0
    taken = Person.objects.get(employee_no="IMP00002").citizen_id
    clash = row(1, 身份证号=taken, 出生日期=row(2)["出生日期"])
    result = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([clash])))
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号")]
    assert "其他人员" in result.errors[0].message
