"""The JSON API root (Django Ninja): one router per app, mounted at /api/v1/.

Every operation authenticates with a bearer token or the session (CSRF on unsafe methods), see
``dangjian.core.api_auth``. Errors are JSON without stack traces (ERR-01): 401 anonymous,
403 no permission, 404 not found or out of scope, 409/412/428 version conflicts, 422 field
errors ``{"detail": [{"field", "message"}]}`` in Chinese, 429 throttled; anything unexpected
falls through to Django's generic 500 handler (JSON for /api/ paths).

The operation views are exempt from ``LoginRequiredMiddleware`` (a bearer client has no session
to log in with): they enforce authentication themselves. The schema and docs pages stay behind
the login; the docs page uses the swagger-ui files shipped with Ninja (``ninja`` static files),
so it works air-gapped and under the CSP.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from dangjian.accounts.api import router as accounts_router
from dangjian.appraisal.api import router as appraisal_router
from dangjian.assessment.api import router as assessment_router
from dangjian.core.api_auth import API_AUTH, RateLimited, rate_limit_anonymous
from dangjian.core.exports import TooManyExports
from dangjian.development.api import router as development_router
from dangjian.dues.api import router as dues_router
from dangjian.ledgers.api import router as ledgers_router
from dangjian.orglife.api import router as orglife_router
from dangjian.orgs.api import orgs_router, units_router
from dangjian.people.api import router as people_router
from dangjian.reminders.api import router as reminders_router
from dangjian.surveys.api import router as surveys_router
from dangjian.transfers.api import router as transfers_router

PROTECTED_URL_NAMES = {"openapi-json", "openapi-view", "api-root"}


class Utf8JSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # Chinese stays readable in responses


class DangjianAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern) and pattern.name not in PROTECTED_URL_NAMES:
                pattern.callback.login_required = False  # type: ignore[attr-defined]
        return urls


api = DangjianAPI(
    title="党建精细管控平台 API",
    version="1",
    description=(
        "认证：请求头 `Authorization: Bearer <令牌>`（`dangjian token 用户名` 签发），"
        "或浏览器会话（修改类请求须带 `X-CSRFToken`）。数据范围与界面一致；"
        "敏感字段（身份证号、手机号、住址）一律脱敏。列表返回 `{items, count}`，"
        "以 `limit`/`offset` 分页。"
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs=Swagger(settings={"persistAuthorization": False}),
    auth=API_AUTH,
    renderer=Utf8JSONRenderer(),
)


# --- errors ---------------------------------------------------------------------------------

_TYPE_MESSAGES = {
    "missing": "此项为必填项。",
    "int_parsing": "应为整数。",
    "int_type": "应为整数。",
    "int_from_float": "应为整数。",
    "float_parsing": "应为数字。",
    "bool_parsing": "应为布尔值（true/false）。",
    "bool_type": "应为布尔值（true/false）。",
    "string_type": "应为文本。",
    "date_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD。",
    "date_type": "日期格式应为 YYYY-MM-DD。",
    "literal_error": "取值不在代码表中。",
    "enum": "取值不在代码表中。",
    "json_invalid": "请求体不是有效的 JSON。",
    "model_attributes_type": "请求体应为 JSON 对象。",
    "dict_type": "请求体应为 JSON 对象。",
    "model_type": "请求体应为 JSON 对象。",
    "greater_than_equal": "取值过小。",
    "greater_than": "取值过小。",
    "less_than_equal": "取值过大。",
    "less_than": "取值过大。",
    "extra_forbidden": "不支持该字段。",
    "string_pattern_mismatch": "文本中含有不允许的控制字符。",
}


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else []
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return f"长度不能超过 {ctx.get('max_length')} 个字符。"
    if kind == "string_too_short":
        return "此项不能为空。" if ctx.get("min_length") == 1 else "长度不足。"
    if kind == "value_error":
        return str(ctx.get("error") or "取值无效。")
    return _TYPE_MESSAGES.get(kind, "取值无效。")


def field_errors(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{"field": field, "message": msg} for field, msgs in errors.items() for msg in msgs]


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail = [{"field": _field_name(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(DjangoValidationError)
def _service_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        detail = field_errors(exc.message_dict)
    else:
        detail = [{"field": "__all__", "message": m} for m in exc.messages]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    try:
        rate_limit_anonymous(request)
    except RateLimited as limited:
        return _throttled(request, limited)
    response = api.create_response(
        request, {"detail": "未认证：请登录或在 Authorization 头中提供有效令牌。"}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(RateLimited)
def _throttled(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(TooManyExports)
def _too_many_exports(request: HttpRequest, exc: TooManyExports) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    message = str(exc) or "您没有执行此操作的权限。"
    return api.create_response(request, {"detail": message}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "对象不存在或不在您的数据范围内。"}, status=404)


# --- routers --------------------------------------------------------------------------------

api.add_router("/", accounts_router)
api.add_router("/orgs", orgs_router)
api.add_router("/units", units_router)
api.add_router("/persons", people_router)
api.add_router("/meetings", orglife_router)
api.add_router("/reminders", reminders_router)
api.add_router("/transfers", transfers_router)
api.add_router("/dues", dues_router)
api.add_router("/development", development_router)
api.add_router("/appraisal", appraisal_router)
api.add_router("/ledgers", ledgers_router)
api.add_router("/assessment", assessment_router)
api.add_router("/surveys", surveys_router)
