"""REL-05: schemathesis against the in-process OpenAPI schema, per role, with bearer tokens.

Every operation gets generated valid and invalid inputs; the schemathesis default checks must
pass (no 5xx, documented status codes, headers and bodies, invalid data rejected, auth not
ignored) — except ``positive_data_acceptance``: a schema-valid person can still be refused with
422 by the business rules the schema cannot express (ID checksum, unit in the caller's scope).
Skipped when schemathesis is not installed (it is in the ``test`` extra).
"""

from __future__ import annotations

import contextlib

import pytest
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from dangjian.accounts.tokens import token_issue
from dangjian.api import api
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

MAX_EXAMPLES = 12


@pytest.fixture(autouse=True)
def _no_rate_limit(db):
    caches["default"].clear()
    Rule.objects.filter(key="security.api_requests_per_minute").update(value=0)


@pytest.fixture
def _keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's DB connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.usefixtures("_keep_test_connection")
@pytest.mark.parametrize("role", ["shuji", "secretary_a", "member_b"])
def test_schemathesis_default_checks(mine, role):
    _, raw = token_issue(actor=SYSTEM, user=mine.users[role])
    headers = {"Authorization": f"Bearer {raw}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = app  # every request, including the checks' own, stays in-process
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # the foundation's nine and every domain router

    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(
                    response, headers=headers, excluded_checks=[positive_data_acceptance]
                )
            # schemathesis raises ``FailureGroup``, a ``BaseExceptionGroup`` (not an Exception)
            except (Exception, BaseExceptionGroup) as exc:  # collect: one run reports them all
                failures.append(f"{case.operation.label}: {str(exc)[:800]}")
                raise

        with contextlib.suppress(Exception, BaseExceptionGroup):  # recorded in ``failures``
            run()
    assert not failures, "\n\n".join(failures[:5])
