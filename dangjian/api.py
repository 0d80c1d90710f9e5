"""The JSON API root (Django Ninja): one router per app, mounted at /api/v1/."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="党建精细管控平台 API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
