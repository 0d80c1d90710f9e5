"""IN-06: exports are rate-limited per user (rule ``security.exports_per_hour``): the next one
answers 429 with the reason and ``Retry-After``, creates no job, and works again an hour later."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dangjian.core.exports import TooManyExports, export_start
from dangjian.core.models import Job, Rule

pytestmark = pytest.mark.django_db


def post_export(client):
    data = dict(client.get(reverse("people:export")).context["params"])
    return client.post(reverse("people:export"), data)


def test_the_export_over_the_hourly_limit_is_refused(mine, django_capture_on_commit_callbacks):
    Rule.objects.filter(key="security.exports_per_hour").update(value=2)
    user = mine.users["secretary_a"]
    client = mine.client("secretary_a")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=False):
            assert post_export(client).status_code == 302
            traveller.shift(dt.timedelta(minutes=10))
            assert post_export(client).status_code == 302
            traveller.shift(dt.timedelta(minutes=10))
            refused = post_export(client)
        assert refused.status_code == 429
        assert "每人每小时最多导出 2 次" in refused.content.decode()
        assert int(refused["Retry-After"]) == 40 * 60 + 1  # when the first one is an hour old
        assert Job.objects.filter(owner=user, kind__startswith="export:").count() == 2
        # another user is not affected; other kinds of export count too
        with pytest.raises(TooManyExports):
            export_start(user=user, key="orgs.partyorgs", params={})
        export_start(user=mine.users["shuji"], key="orgs.partyorgs", params={})
        traveller.shift(dt.timedelta(minutes=41))
        client = mine.client("secretary_a")  # a new session: the old one idled out meanwhile
        with django_capture_on_commit_callbacks(execute=False):
            assert post_export(client).status_code == 302
