"""Template context for the page shell: navigation for the current user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dangjian.core.registries import nav_links


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {
        "nav_sections": nav_links(user),
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
