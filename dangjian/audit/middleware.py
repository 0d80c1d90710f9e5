"""Audit every permission denial (AUD-01 "403s") and put the user into the act context.

Sits right after ``AuthenticationMiddleware``: from here on ``context.current().user`` is the
authenticated user, so every audit row written during the request names its actor. Any 403
response, whether a view raised ``PermissionDenied`` or CSRF failed, becomes one
``permission_denied`` event. If that write fails the request fails (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record
from dangjian.core import context


class DenialAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if authenticated:
            context.update(user=user)
        response = self.get_response(request)
        if response.status_code == 403:
            # The view may have logged the user out or in; read it again.
            user = getattr(request, "user", None)
            actor = user if user is not None and user.is_authenticated else None
            audit_record(
                "permission_denied",
                obj=("url", request.path[:64], request.path[:200]),
                outcome=AuditEvent.Outcome.DENIED,
                changes={"path": request.path[:500], "method": request.method},
                actor=actor,
                actor_name="" if actor else "anonymous",
            )
        return response
