"""Request plumbing: request id and client IP into the act context; security headers."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dangjian.core import context

logger = logging.getLogger("dangjian.request")


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the last untrusted hop of X-Forwarded-For behind a trusted proxy (AC-07)."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXIES
    if not trusted or remote not in trusted:
        return remote
    forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in forwarded if h]):
        if hop not in trusted:
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return remote
            return hop
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_ip = client_ip(request)  # type: ignore[attr-defined]
        request.csp_nonce = secrets.token_urlsafe(16)  # type: ignore[attr-defined]
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.set_current(
            context.ActContext(
                request_id=request_id,
                ip=request.client_ip,  # type: ignore[attr-defined]
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                channel=channel,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # ERR-02: every unhandled exception is logged with its request id.
        logger.error(
            "unhandled %s on %s", type(exception).__name__, request.path, exc_info=exception
        )


class SecurityHeadersMiddleware:
    """CSP with a per-request nonce (IN-03); no caching of authenticated pages (SESS-03)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        nonce = getattr(request, "csp_nonce", "")
        response.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class HtmxRedirectMiddleware:
    """A redirect answering an HTMX request becomes a client-side redirect (``HX-Redirect``).

    Otherwise the browser's XHR follows the redirect and HTMX swaps the whole next page into
    the fragment's target (a form that saved would show the detail page inside itself, and an
    expired session would show the login form inside a table).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_htmx = request.headers.get("HX-Request") == "true"
        if (
            is_htmx
            and response.status_code in (301, 302, 303, 307, 308)
            and "HX-Redirect" not in response
            and "HX-Location" not in response
        ):
            location = response["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = location
        return response


class TooManyRequestsMiddleware:
    """A page refused for its rate (``core.exports.TooManyExports``, IN-06) answers 429 with
    the reason and ``Retry-After``, like the API's throttle."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from dangjian.core.exports import TooManyExports
        from dangjian.core.views import error_page

        if not isinstance(exception, TooManyExports):
            return None
        response = error_page(request, 429, "请求过于频繁", str(exception))
        response["Retry-After"] = str(exception.retry_after)
        return response
