"""Anonymity: after several people answer, nothing in the database (Participation, Response,
AuditEvent) nor in the logs maps a response to a person — not even for an auditor or an
administrator reading the tables directly."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.db import connection, models
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.surveys import services
from dangjian.surveys.models import Participation, Response, Survey
from dangjian.surveys.tests.helpers import full_answers, respondents, survey

pytestmark = pytest.mark.django_db


def test_the_schema_has_no_path_from_a_response_to_a_person():
    fields = {f.name: f for f in Response._meta.get_fields()}
    assert set(fields) == {"id", "survey", "answers"}
    relations = [f for f in fields.values() if f.is_relation]
    assert [f.related_model for f in relations] == [Survey]
    assert not any(isinstance(f, models.DateField | models.DateTimeField) for f in fields.values())
    assert isinstance(fields["id"], models.UUIDField)
    # Participation says who took part, and nothing about the answers
    part = {f.name for f in Participation._meta.get_fields()}
    assert part == {"id", "survey", "person", "answered_on"}
    assert isinstance(Participation._meta.get_field("answered_on"), models.DateField)
    assert not isinstance(Participation._meta.get_field("answered_on"), models.DateTimeField)
    # no model anywhere points at a response
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is Response:
                assert model is Survey and field.auto_created  # the reverse accessor only


def _physical_order(survey_id: int) -> list[str]:
    """Response ids in storage order (SQLite rowid / PostgreSQL ctid)."""
    table = Response._meta.db_table
    order = "rowid" if connection.vendor == "sqlite" else "ctid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE survey_id = %s ORDER BY {order}", [survey_id])  # noqa: S608
        return [str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()]


def test_responses_cannot_be_traced_to_their_respondents(mine):
    s = survey(mine, audience="members", minimum=1)
    users = respondents(mine, 8)
    text_q = s.questions.get(kind="text")
    for i, user in enumerate(users):
        answers = full_answers(s, scale=1 + i % 5)
        answers[str(text_q.pk)] = f"建议{i:02d}号"
        services.response_submit(actor=user, survey_id=s.pk, answers=answers)
    responses = list(Response.objects.filter(survey=s))
    assert len(responses) == 8 == Participation.objects.filter(survey=s).count()
    ids = [r.id for r in responses]
    assert all(i.version == 4 for i in ids) and len(set(ids)) == 8  # random keys
    # the storage order is not the order of answering (8! orders: 1 in 40,320 to match by chance)
    by_storage = [
        Response.objects.get(pk=pk).answers[str(text_q.pk)] for pk in _physical_order(s.pk)
    ]
    assert sorted(by_storage) == [f"建议{i:02d}号" for i in range(8)]
    assert by_storage != [f"建议{i:02d}号" for i in range(8)]
    # audit events: the survey and that a response was recorded — no response id, no answers
    events = AuditEvent.objects.filter(event_type="survey_response")
    assert events.count() == 8
    dump = json.dumps(
        [
            [e.object_type, e.object_id, e.object_repr, e.changes, e.reason]
            for e in AuditEvent.objects.all()
        ],
        ensure_ascii=False,
    )
    for pk in ids:
        assert str(pk) not in dump and pk.hex not in dump
    assert "建议0" not in dump
    assert {e.object_id for e in events} == {str(s.pk)}
    assert all(e.changes == {"response": "已记录一份匿名答卷"} for e in events)


def test_no_log_line_carries_the_answers(mine, caplog):
    s = survey(mine, audience="masses", minimum=1)
    text_q = s.questions.get(kind="text")
    form = {f"q{k}": str(v) for k, v in full_answers(s, 3).items()}
    form[f"q{text_q.pk}"] = "独一无二的意见XYZ"
    caplog.set_level(logging.DEBUG)
    client = mine.client("employee_a")
    assert client.post(reverse("surveys:answer", args=[s.pk]), form).status_code == 302
    assert Response.objects.filter(survey=s).count() == 1
    assert "独一无二的意见XYZ" not in caplog.text
    # and the API path neither
    api_answers = full_answers(s, 2)
    api_answers[str(text_q.pk)] = "另一条意见QRS"
    member = respondents(mine, 1, masses=True)[0]
    client = mine.client("shuji")
    client.force_login(member)
    response = client.post(
        f"/api/v1/surveys/{s.pk}/responses",
        data=json.dumps({"answers": api_answers}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert "另一条意见QRS" not in caplog.text and "另一条意见QRS" not in response.content.decode()
