"""Session policy on every authenticated request (SESS-01/02, AUTH-04, AC-07).

* idle timeout (rule ``security.idle_timeout_minutes``) and absolute lifetime from the login
  time kept in the session (``security.absolute_session_hours``): the session is deleted and
  the browser sent to the login page; the last-seen time is written at most once a minute,
  so the idle timeout is exact to the minute and most requests do no database write;
* administrators (三员) only from ``settings.ADMIN_NETWORKS`` (403 elsewhere);
* a session that owes the second factor (AUTH-07, ``accounts.mfa.gate``) is sent to the
  authenticator enrolment or the code page (API: 403 JSON);
* an initial, reset or expired password sends every URL to the password-change page
  (password change, logout, static files and the health check stay reachable).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from dangjian.accounts import mfa, services
from dangjian.core.rules import rules

MFA_API_MESSAGE = "请先在网页上完成多因素认证（动态口令）后再使用接口。"


def _mfa_paths() -> tuple[str, ...]:
    return (
        reverse("accounts:login"),
        reverse("accounts:mfa_verify"),
        reverse("accounts:mfa_enrol"),
    )


TOUCH_EVERY_SECONDS = 60  # how often the session's last-seen time (and UserSession) is written
OPEN_PREFIXES = ("/static/", "/healthz")


def _client_ip(request: HttpRequest) -> str:
    return getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR", "")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        session = request.session
        now = time.time()
        cfg = rules(
            "security.idle_timeout_minutes",
            "security.absolute_session_hours",
            "security.password_max_age_days",
        )
        login_at = session.get(services.LOGIN_AT)
        seen_at = session.get(services.SEEN_AT)
        if login_at is None or seen_at is None:  # a session from before this policy
            login_at = login_at or now
            seen_at = seen_at or now
            session[services.LOGIN_AT] = login_at
            session[services.SEEN_AT] = seen_at
        if now - float(seen_at) > int(cfg["security.idle_timeout_minutes"]) * 60:
            return self._end(request, "idle", "空闲超时")
        if now - float(login_at) > int(cfg["security.absolute_session_hours"]) * 3600:
            return self._end(request, "absolute", "超过会话最长时限")
        if now - float(seen_at) >= TOUCH_EVERY_SECONDS:
            # Last-seen is written at most once a minute: an unchanged session is not saved
            # (accounts.sessions.SessionStore), so most requests write nothing. The idle
            # timeout stays correct to the minute (it may end up to 60 s early, never late).
            session[services.SEEN_AT] = now
            session[services.TOUCHED_AT] = now
            if session.session_key:
                services.session_touch(session_key=session.session_key)

        logout_url = reverse("accounts:logout")
        if user.admin_role and not services.admin_ip_allowed(_client_ip(request)):
            if request.path == logout_url:
                return self.get_response(request)
            return self._deny(request, services.NETWORK_MESSAGE)

        blocked = self._mfa_gate(request, logout_url)
        if blocked is not None:
            return blocked

        change_url = reverse("accounts:password_change")
        if request.path not in (change_url, logout_url) and services.password_expired(
            user, max_age_days=int(cfg["security.password_max_age_days"])
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "密码已过期或为初始密码，请先修改密码。"}, status=403
                )
            return self._redirect(request, change_url)
        return self.get_response(request)

    def _mfa_gate(self, request: HttpRequest, logout_url: str) -> HttpResponse | None:
        """AUTH-07: a session that owes the second factor reaches only the MFA pages.

        A bearer-token API call is decided by its token alone (tokens are issued by the
        administrators and exempt from MFA), even if a session cookie rides along.
        """
        if request.path.startswith("/api/") and request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer "):
            return None
        open_paths = (logout_url, *_mfa_paths())
        if request.path in open_paths:
            return None
        owed = mfa.gate(request.user, request.session)
        if owed is None:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": MFA_API_MESSAGE}, status=403)
        if request.headers.get("HX-Request"):
            current = urlsplit(request.headers.get("HX-Current-URL", "")).path
            if current in open_paths:  # a fragment of the shell on the MFA page itself
                return HttpResponse(status=204)
        url = reverse("accounts:mfa_enrol" if owed == mfa.Gate.ENROL else "accounts:mfa_verify")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return self._redirect(request, url)

    def _end(self, request: HttpRequest, reason: str, label: str) -> HttpResponse:
        user = request.user
        services.logout_record(user=user, reason=label)
        logout(request)  # deletes the server session row (and its UserSession)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "会话已过期，请重新登录。"}, status=401)
        query = urlencode({"next": request.get_full_path(), "expired": reason})
        return self._redirect(request, f"{reverse('accounts:login')}?{query}")

    @staticmethod
    def _redirect(request: HttpRequest, url: str) -> HttpResponse:
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)

    @staticmethod
    def _deny(request: HttpRequest, detail: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=403)
        return render(
            request,
            "core/error.html",
            {"status": 403, "title": "无权访问", "detail": detail},
            status=403,
        )
