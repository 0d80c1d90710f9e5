"""List pages: search, filters, sort and pagination from the query string, the same everywhere.

A view builds a scoped queryset through its selector, then::

    page = paginate_sorted(request, qs, sortable={"name": "name", "no": "employee_no"})

and renders ``{% pagination %}`` and ``{% sort_link key label %}`` headers
(``{% load lists %}``).
The queryset count and one page of rows are the only queries it adds (constant per page).
A ``core.statements.PreparedQuery`` may stand in for the queryset (the person list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from dangjian.core.statements import PreparedQuery

DEFAULT_PER_PAGE = 20
PER_PAGE_CHOICES = (20, 50, 100)


@dataclass
class ListState:
    page: Page
    sort: str
    per_page: int
    querystring: str  # current filters without page/sort, for links

    @property
    def object_list(self) -> Any:
        return self.page.object_list


def paginate_sorted(
    request: HttpRequest,
    queryset: QuerySet[Any] | PreparedQuery,
    *,
    sortable: dict[str, str],
    default_sort: str,
    per_page: int | None = None,
) -> ListState:
    sort = request.GET.get("sort", default_sort)
    key = sort.lstrip("-")
    if key not in sortable:
        sort, key = default_sort, default_sort.lstrip("-")
    field = sortable[key]
    order = [f"-{field}" if sort.startswith("-") else field, "pk"]
    try:
        size = int(request.GET.get("per_page", per_page or DEFAULT_PER_PAGE))
    except ValueError:
        size = DEFAULT_PER_PAGE
    size = size if size in PER_PAGE_CHOICES else DEFAULT_PER_PAGE
    ordered: Any = queryset.order_by(*order)  # a PreparedQuery is not Sized (Django needs not)
    paginator = Paginator(ordered, size)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    for name in ("page", "sort"):
        params.pop(name, None)
    return ListState(page=page, sort=sort, per_page=size, querystring=params.urlencode())
