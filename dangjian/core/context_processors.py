"""Template context for the page shell: navigation for the current user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dangjian.core.registries import nav_html


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_html": ""}
    return {
        "nav_html": nav_html(user, request.path),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
