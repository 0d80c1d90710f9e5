"""``flush`` (tests, re-initialisation) still works with the DELETE trigger on the audit table."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from dangjian.audit.models import AuditEvent, AuditPurgeFlag
from dangjian.audit.tests.helpers import record_some


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_table():
    record_some(3)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert AuditPurgeFlag.objects.count() == 0
