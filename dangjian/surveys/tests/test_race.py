"""Two submissions of the same person at the same moment (PostgreSQL, real transactions in two
threads): exactly one is recorded, the other gets the clear one-response message."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangjian.surveys import services
from dangjian.surveys.models import Participation, Response
from dangjian.surveys.tests.helpers import full_answers, survey

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_submit_records_one_response(mine):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    s = survey(mine, audience="masses", minimum=1)
    user = mine.users["employee_a"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.response_submit(actor=user, survey_id=s.pk, answers=full_answers(s, 4))
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == sorted(["ok", services.ALREADY_ANSWERED])
    assert Participation.objects.filter(survey=s).count() == 1
    assert Response.objects.filter(survey=s).count() == 1
