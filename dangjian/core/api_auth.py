"""Authentication, session policy and rate limiting for the JSON API.

Two ways in, tried in this order:

* ``BearerTokenAuth`` — ``Authorization: Bearer djt_…``; the token is resolved by the function
  named in ``settings.API_TOKEN_AUTHENTICATOR`` (accounts owns tokens; core imports no domain
  app). A request that presents a bearer token is decided by it alone: a bad token is 401 even
  if a session cookie is also present.
* ``SessionCsrfAuth`` — the browser session, with Django's CSRF check on every unsafe method
  (SESS-05). Anonymous requests are simply unauthenticated (401), never a CSRF 403.

Either way the user then passes the same policies as a web session where they apply
(:func:`check_user_policy`): a user who must change the password, whose password expired or who
is locked gets 403, an administrator outside the management networks gets 403 (AC-07). The
authenticated user goes into the act context, so audit rows name them.

Rate limit (IN-06): a fixed one-minute window per user (or per client IP before
authentication), ``rule("security.api_requests_per_minute")``; over it → 429 with
``Retry-After``. Counters live in the cache named by ``settings.API_RATE_LIMIT_CACHE``: per
process with the default local-memory cache, shared when that alias points at a shared cache.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from typing import Annotated, Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dangjian.core import context
from dangjian.core.rules import rule

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WINDOW_SECONDS = 60


class PolicyDenied(HttpError):
    """The credentials are fine but the account may not use the API right now (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(403, message)


def _in_admin_networks(ip: str) -> bool:
    networks = getattr(settings, "ADMIN_NETWORKS", [])
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def check_user_policy(request: HttpRequest, user: Any) -> None:
    """The session policies that apply to an API caller; raise ``PolicyDenied`` on breach."""
    if getattr(user, "must_change_password", False):
        raise PolicyDenied("请先登录系统修改初始密码后再使用接口。")
    locked_until = getattr(user, "locked_until", None)
    if locked_until is not None and locked_until > timezone.now():
        raise PolicyDenied("账户已锁定，暂不能使用接口。")
    changed = getattr(user, "password_changed_at", None) or getattr(user, "date_joined", None)
    max_age = int(rule("security.password_max_age_days"))
    if changed is not None and max_age > 0 and timezone.now() - changed > dt.timedelta(max_age):
        raise PolicyDenied("密码已过期，请登录系统修改密码后再使用接口。")
    if getattr(user, "admin_role", "") and not _in_admin_networks(_client_ip(request)):
        raise PolicyDenied("管理员账户只能从管理网络访问。")


def _client_ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or request.META.get("REMOTE_ADDR", ""))


def _accept(request: HttpRequest, user: Any, channel: str) -> Any:
    rate_limit_hit(request, f"user:{user.pk}")
    check_user_policy(request, user)
    context.update(user=user, channel="api")
    request.api_auth_channel = channel  # type: ignore[attr-defined]
    return user


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        resolver = import_string(settings.API_TOKEN_AUTHENTICATOR)
        user = resolver(token)
        if user is None:
            request.api_bearer_rejected = True  # type: ignore[attr-defined]
            return None
        request.user = user  # the rest of the request sees the token's user
        return _accept(request, user, "token")


class SessionCsrfAuth(APIKeyCookie):
    """Django's session, with CSRF enforced on unsafe methods (SESS-05)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.headers.get("Authorization"):
            return None  # a request with credentials in the header is decided by them
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method in UNSAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF校验失败：请求缺少有效的CSRF令牌。")
        real = getattr(user, "_wrapped", user)  # the User behind the lazy request.user
        return _accept(request, real, "session")


def _window_key(ident: str) -> tuple[str, int]:
    window = int(time.time() // WINDOW_SECONDS)
    return f"api-rate:{ident}:{window}", window


def rate_limit_hit(request: HttpRequest, ident: str) -> None:
    """Count one request for ``ident`` in the current window; raise 429 when over the rule."""
    limit = int(rule("security.api_requests_per_minute"))
    if limit <= 0:
        return
    cache = caches[getattr(settings, "API_RATE_LIMIT_CACHE", "default")]
    key, window = _window_key(ident)
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - time.time()))
        raise RateLimited(retry_after)


class RateLimited(HttpError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "请求过于频繁，请稍后再试。")
        self.retry_after = retry_after


def rate_limit_anonymous(request: HttpRequest) -> None:
    """Unauthenticated calls count per client IP (slows token guessing)."""
    rate_limit_hit(request, f"ip:{_client_ip(request)}")


API_AUTH = [BearerTokenAuth(), SessionCsrfAuth()]


# --- shapes shared by every router ----------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


def error_responses(*codes: int) -> dict[int, Any]:
    """Documented error bodies for an operation (401/403/404/429 JSON, 422 field list)."""
    return {code: ValidationErrorOut if code == 422 else ErrorOut for code in codes}


READ_ERRORS = (401, 403, 422, 429)
DETAIL_ERRORS = (401, 403, 404, 422, 429)
MAX_LIMIT = 200
MAX_OFFSET = 100_000_000
MAX_ID = 2**62  # ids beyond this are not ours (and overflow SQLite/PostgreSQL integers)


# Text from a client: NUL bytes are refused (PostgreSQL cannot store them); the pattern is
# published in the schema so clients (and schemathesis) know it.
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数（1–200）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过条数")


def paginate(queryset: QuerySet[Any], page: PageParams) -> dict[str, Any]:
    """``{"items": [...], "count": N}``: one COUNT and one page query, whatever the size."""
    return {
        "count": queryset.count(),
        "items": list(queryset[page.offset : page.offset + page.limit]),
    }
