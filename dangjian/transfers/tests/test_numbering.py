"""REL-03: introduction-letter numbers are unique and gap-free under concurrency (threads,
PostgreSQL: the year's counter row is locked with SELECT ... FOR UPDATE)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from dangjian.core import registries
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import build_mini_mine, person_data
from dangjian.people.services import person_create
from dangjian.transfers import services
from dangjian.transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency of row locks needs PostgreSQL"
)
def test_concurrent_letters_get_unique_sequential_numbers(monkeypatch):
    monkeypatch.setattr(registries, "_activity", {})
    mine = build_mini_mine()
    persons = [
        person_create(
            actor=SYSTEM,
            data=person_data(mine, seq=100 + i, name=f"并发{i}"),
        )
        for i in range(8)
    ]
    barrier = threading.Barrier(len(persons))
    errors: list[BaseException] = []

    def issue(person_id: int) -> None:
        try:
            barrier.wait()
            services.letter_issue(
                actor=SYSTEM,
                person_id=person_id,
                external_org="外单位党委",
                paid_up_to=dt.date(2026, 1, 1),
                issued_on=dt.date(2026, 5, 1),
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(p.pk,)) for p in persons]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = sorted(s or 0 for s in Transfer.objects.values_list("letter_seq", flat=True))
    assert seqs == list(range(1, len(persons) + 1))
