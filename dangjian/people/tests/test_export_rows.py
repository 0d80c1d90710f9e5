"""Rows of the person export (the fast path): the same values the model shows, identifiers
opened with authentication and masked, a constant number of queries, a known total."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import crypto, exports
from dangjian.core.exports import CountedRows, export_run
from dangjian.core.identity import mask_citizen_id, mask_phone
from dangjian.core.models import Job
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import person_data
from dangjian.people.exporting import (
    EXPORT_HEADERS,
    EXPORT_KEY,
    SealedReader,
    export_persons,
    export_queryset,
    person_rows,
)
from dangjian.people.models import Person
from dangjian.people.services import person_create

pytestmark = pytest.mark.django_db


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _model_row(p: Person) -> list[Any]:
    """The row as the export built it from model instances before (get_FOO_display ...)."""
    return [
        p.employee_no,
        p.name,
        p.get_gender_display(),
        p.ethnicity,
        p.birth_date,
        p.get_education_display(),
        mask_citizen_id(p.citizen_id),
        mask_phone(p.phone),
        p.post,
        p.unit.name,
        _yes(p.is_front_line),
        p.get_political_status_display(),
        p.party_org.name,
        p.party_group.name if p.party_group else "",
        p.joined_party_on,
        p.regularised_on,
        p.get_membership_status_display(),
        _yes(p.lost_contact),
        p.lost_contact_on,
        _yes(p.is_mobile),
        p.mobile_destination,
    ]


def _varied_people(mine) -> None:
    """Persons with every kind of value: no group, no education, no phone, lost, mobile."""
    person_create(actor=SYSTEM, data=person_data(mine, seq=31, party_group=None, education=""))
    lost = person_create(actor=SYSTEM, data=person_data(mine, seq=32, political_status="masses"))
    Person.objects.filter(pk=lost.pk).update(
        lost_contact=True,
        lost_contact_on="2025-05-01",
        is_mobile=True,
        mobile_destination="江苏省南京市",
        membership_status="retained",
        phone_sealed=None,
        gender="X",  # not a choice: shown as stored, like get_gender_display
    )


def test_rows_equal_what_the_model_shows(mine):
    _varied_people(mine)
    queryset = export_queryset(mine.users["shuji"], {})
    expected = [_model_row(p) for p in queryset]
    assert len(expected) >= 5
    rows = list(person_rows(queryset))
    assert rows == expected
    assert len(rows[0]) == len(EXPORT_HEADERS)
    by_no = {r[0]: r for r in rows}
    id_col, phone_col = EXPORT_HEADERS.index("身份证号"), EXPORT_HEADERS.index("手机号")
    assert by_no["T00032"][phone_col] == "" and by_no["T00032"][2] == "X"
    assert by_no["T00031"][EXPORT_HEADERS.index("所在党小组")] == ""
    member = mine.member_a
    assert by_no[member.employee_no][id_col] == mask_citizen_id(member.citizen_id)
    assert "*" * 10 in by_no[member.employee_no][id_col]


def test_rows_follow_scope_and_filters(mine):
    _, rows = export_persons(mine.users["secretary_a"], {})
    numbers = sorted(next(iter(r)) for r in rows)
    assert numbers == sorted([mine.member_a.employee_no, mine.masses_a.employee_no])
    _, rows = export_persons(mine.users["shuji"], {"party_org": str(mine.branch_b.pk)})
    assert [next(iter(r)) for r in rows] == [mine.member_b.employee_no]


def test_query_count_does_not_grow_with_rows(mine):
    user = mine.users["shuji"]

    def queries() -> tuple[int, int]:
        _, rows = export_persons(user, {})
        with CaptureQueriesContext(connection) as ctx:
            count = sum(1 for _ in rows)
        return len(ctx.captured_queries), count

    small, small_rows = queries()
    for seq in range(40, 70):
        person_create(actor=SYSTEM, data=person_data(mine, seq=seq))
    large, large_rows = queries()
    assert large_rows == small_rows + 30
    assert large == small


def test_a_moved_sealed_value_fails_the_export(mine, tmp_path, monkeypatch):
    """Authenticated decryption, not just masking: a value copied into another row (AAD is
    table:uid:field) is refused, the job fails and leaves no file."""
    Person.objects.filter(pk=mine.masses_a.pk).update(
        citizen_id_sealed=mine.member_a.citizen_id_sealed
    )
    with pytest.raises(crypto.InvalidTag):
        list(person_rows(export_queryset(mine.users["shuji"], {})))
    monkeypatch.setattr(exports, "export_dir", lambda: tmp_path)
    job = Job.objects.create(kind=f"export:{EXPORT_KEY}", owner=mine.users["shuji"], params={})
    with pytest.raises(crypto.InvalidTag):
        export_run(job)
    job.refresh_from_db()
    assert not job.output_file
    assert list(tmp_path.iterdir()) == []


def test_sealed_reader_picks_up_a_key_rotated_during_the_export(mine, settings, tmp_path):
    path = tmp_path / "keys" / "field-keys.json"
    crypto.keyring().dump(path)
    settings.FIELD_KEY_FILE = path
    crypto.keyring_reload()
    try:
        reader = SealedReader()
        person = mine.member_a
        old = bytes(person.phone_sealed or b"")
        assert reader.open(old, person.uid, "phone") == person.phone
        crypto.rotate_keyring(path)
        aad = f"{Person._meta.db_table}:{person.uid}:phone"
        new = crypto.seal(person.phone, aad)
        assert new[0] == 2 and 2 not in reader.ring.enc
        assert reader.open(new, person.uid, "phone") == person.phone
        assert reader.open(old, person.uid, "phone") == person.phone
    finally:
        crypto.keyring_reload()


def test_export_job_announces_its_total_before_the_rows(mine):
    user = mine.users["shuji"]
    job = Job.objects.create(kind=f"export:{EXPORT_KEY}", owner=user, params={})
    headers, rows = export_persons(user, {})
    assert isinstance(rows, CountedRows)
    expected = export_queryset(user, {}).count()
    seen: list[int] = []
    original = rows.rows

    def watching() -> Any:
        for row in original:
            seen.append(Job.objects.get(pk=job.pk).total)
            yield row

    rows.rows = watching()
    title, func = exports.exporter(EXPORT_KEY)
    exports._exporters[EXPORT_KEY] = (title, lambda _user, _params: (headers, rows))
    try:
        export_run(job)
    finally:
        exports._exporters[EXPORT_KEY] = (title, func)
    job.refresh_from_db()
    assert seen and set(seen) == {expected}
    assert job.status == Job.Status.SUCCEEDED and job.done == job.total == expected
