"""API: standard ledgers (``/api/v1/ledgers/``): the assembled sections and file generation.

Same scope as the pages: a branch outside the caller's ledger scope answers 404. Generated
files are fetched from ``/jobs/<id>/download/`` by their owner only.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Path, Router, Schema, Status

from dangjian.core.api_auth import DETAIL_ERRORS, MAX_ID, error_responses
from dangjian.core.scope import has_permission
from dangjian.ledgers import selectors, services
from dangjian.ledgers.models import Ledger

router = Router(tags=["标准化台帐"])


class SectionOut(Schema):
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]


class LedgerOut(Schema):
    branch_id: int
    branch_name: str
    year: int
    title: str
    sections: list[SectionOut]


class FileIn(Schema):
    fmt: Literal["docx", "pdf", "xlsx"]


class JobOut(Schema):
    id: str
    status: str
    percent: int


def _year(year: int) -> None:
    """A year without records (before 2000 or in the future) is a missing ledger: 404."""
    try:
        services.check_year(year)
    except ValidationError as exc:
        raise Http404 from exc


def _require(user: Any, action: str) -> None:
    if not has_permission(user, Ledger, action):
        raise PermissionDenied("您没有执行此操作的权限。")


@router.get(
    "/{int:branch_id}/{int:year}",
    response={200: LedgerOut, **error_responses(*DETAIL_ERRORS)},
    summary="支部年度标准化台帐",
)
def get_ledger(
    request: HttpRequest,
    branch_id: int = Path(..., ge=1, le=MAX_ID),
    year: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    branch = selectors.branch_get(user=user, pk=branch_id)
    if branch is None:
        raise Http404
    _year(year)
    data = selectors.build_ledger(branch, year)
    return {
        "branch_id": branch.pk,
        "branch_name": branch.name,
        "year": year,
        "title": data.title,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "headers": s.headers,
                "rows": [["" if v is None else str(v) for v in row] for row in s.rows],
            }
            for s in data.sections
        ],
    }


class FileOut(Schema):
    id: str
    fmt: str
    status: str
    percent: int
    created_at: str


@router.get(
    "/{int:branch_id}/{int:year}/files",
    response={200: list[FileOut], **error_responses(*DETAIL_ERRORS)},
    summary="我生成的台帐文件",
)
def list_files(
    request: HttpRequest,
    branch_id: int = Path(..., ge=1, le=MAX_ID),
    year: int = Path(..., ge=1, le=MAX_ID),
) -> list[dict[str, Any]]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "export")
    branch = selectors.branch_get(user=user, pk=branch_id, action="export")
    if branch is None:
        raise Http404
    _year(year)
    return [
        {
            "id": str(ledger.job.uid),
            "fmt": ledger.fmt,
            "status": ledger.job.status,
            "percent": ledger.job.percent,
            "created_at": ledger.created_at.isoformat(),
        }
        for ledger in selectors.recent_ledgers(user=user)
        if ledger.job is not None and ledger.branch_id == branch.pk and ledger.year == year
    ]


@router.post(
    "/{int:branch_id}/{int:year}/files",
    response={202: JobOut, **error_responses(401, 403, 404, 422, 429)},
    summary="生成台帐文件（后台任务）",
)
def generate_file(
    request: HttpRequest,
    payload: FileIn,
    branch_id: int = Path(..., ge=1, le=MAX_ID),
    year: int = Path(..., ge=1, le=MAX_ID),
) -> Status[dict[str, Any]]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "export")
    _year(year)
    job = services.ledger_start(actor=user, branch_id=branch_id, year=year, fmt=payload.fmt)
    job.refresh_from_db()
    return Status(202, {"id": str(job.uid), "status": job.status, "percent": job.percent})
