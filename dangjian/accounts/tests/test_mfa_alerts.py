"""PI-09: more reveals or exports per hour than the rule allows raise one anomaly alert per
user, kind and hour, shown on the security administrator's home page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dangjian.accounts.alerts import ALERT_EVENT, access_check, recent_alerts
from dangjian.accounts.services import security_rule_update
from dangjian.audit.models import AuditEvent
from dangjian.core.exports import export_start
from dangjian.core.rules import DEFAULT_RULES
from dangjian.core.scope import SYSTEM
from dangjian.people.services import person_reveal

T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)


def alerts() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=ALERT_EVENT).order_by("id"))


def reveal(mine, times: int, user: str = "secretary_a") -> None:
    for _ in range(times):
        person_reveal(
            actor=mine.users[user], person_id=mine.member_a.pk, field="phone", reason="核对联系方式"
        )


def test_default_thresholds_are_rules():
    assert DEFAULT_RULES["security.reveal_alert_per_hour"][2] == 30
    assert DEFAULT_RULES["security.export_alert_per_hour"][2] == 10


def test_threshold_reveals_raise_nothing_and_one_more_raises_exactly_one_alert(mine):
    security_rule_update(actor=SYSTEM, key="security.reveal_alert_per_hour", value="3")
    with time_machine.travel(T0, tick=False):
        reveal(mine, 3)
        assert alerts() == []
        reveal(mine, 1)  # threshold + 1
        assert len(alerts()) == 1
        reveal(mine, 2)  # still the same hour: no second alert
    found = alerts()
    assert len(found) == 1
    alert = found[0]
    user = mine.users["secretary_a"]
    assert alert.outcome == "success" and alert.actor_name == "system"
    assert alert.object_type == "accounts.user" and alert.object_id == str(user.pk)
    assert alert.changes["kind"] == "reveal"
    assert alert.changes["count"] == 4 and alert.changes["threshold"] == 3
    assert "secretary_a" in alert.reason


def test_a_new_hour_can_raise_a_new_alert_and_reveals_age_out(mine):
    security_rule_update(actor=SYSTEM, key="security.reveal_alert_per_hour", value="2")
    with time_machine.travel(T0, tick=False):
        reveal(mine, 3)
    assert len(alerts()) == 1
    with time_machine.travel(T0 + dt.timedelta(minutes=61), tick=False):
        reveal(mine, 2)  # the earlier three are out of the window
        assert len(alerts()) == 1
        reveal(mine, 1)
    assert len(alerts()) == 2


def test_alerts_are_per_user_and_per_kind(mine):
    security_rule_update(actor=SYSTEM, key="security.reveal_alert_per_hour", value="1")
    security_rule_update(actor=SYSTEM, key="security.export_alert_per_hour", value="1")
    reveal(mine, 2, "secretary_a")
    reveal(mine, 2, "shuji")
    for _ in range(2):
        record_export(mine.users["shuji"])
    assert access_check(actor=mine.users["shuji"], kind="export") is not None
    kinds = sorted((a.object_id, a.changes["kind"]) for a in alerts())
    shuji, secretary = str(mine.users["shuji"].pk), str(mine.users["secretary_a"].pk)
    assert kinds == sorted([(secretary, "reveal"), (shuji, "reveal"), (shuji, "export")])
    assert access_check(actor=SYSTEM, kind="export") is None
    with pytest.raises(ValueError):
        access_check(actor=mine.users["shuji"], kind="print")


def record_export(user) -> None:
    from dangjian.audit.services import audit_record

    audit_record("export", obj=("export", "people.persons", "人员名单"), actor=user)


def test_exports_through_the_export_job_raise_the_alert(
    mine, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.PRIVATE_DIR = tmp_path
    security_rule_update(actor=SYSTEM, key="security.export_alert_per_hour", value="2")
    user = mine.users["secretary_a"]
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            export_start(user=user, key="people.persons", params={})
        assert len(alerts()) == (1 if n == 2 else 0)
    assert alerts()[0].changes == {
        "kind": "export",
        "count": 3,
        "threshold": 2,
        "since": alerts()[0].changes["since"],
        "user": "secretary_a",
    }


def test_security_admin_home_shows_the_alert_and_others_do_not(mine):
    security_rule_update(actor=SYSTEM, key="security.reveal_alert_per_hour", value="1")
    reveal(mine, 2)
    page = mine.client("secadmin").get(reverse("dashboard:home")).content.decode()
    assert "异常访问告警" in page and "secretary_a" in page and "查看明文 2 次" in page
    for role in ("sysadmin", "auditor", "shuji"):
        other = mine.client(role).get(reverse("dashboard:home")).content.decode()
        assert "异常访问告警" not in other
    assert len(recent_alerts(actor=mine.users["secadmin"])) == 1
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        recent_alerts(actor=mine.users["sysadmin"])


def test_alert_window_of_the_home_page_is_a_day(mine):
    security_rule_update(actor=SYSTEM, key="security.reveal_alert_per_hour", value="1")
    with time_machine.travel(T0, tick=False):
        reveal(mine, 2)
    with time_machine.travel(T0 + dt.timedelta(hours=23), tick=False):
        assert len(recent_alerts(actor=mine.users["secadmin"])) == 1
    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        assert recent_alerts(actor=mine.users["secadmin"]) == []
