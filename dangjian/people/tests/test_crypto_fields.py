"""Field crypto at rest (CRY-02..04, CRY-06): no plaintext in the database, SM4-GCM round trip,
AAD binding, tamper detection, blind index, start-up self-test vectors."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from dangjian.core import crypto
from dangjian.core.crypto import CryptoSelfTestError, InvalidTag, blind_index, sm3_hex
from dangjian.people.models import Person
from dangjian.people.selectors import person_list

pytestmark = pytest.mark.django_db

# Bounded by non-alphanumerics so that hex digests (blind indexes, uids) do not match by chance.
ID_RE = re.compile(rb"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE_RE = re.compile(rb"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def _raw_rows() -> list[tuple]:
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (constant table name)
        return cursor.fetchall()


def _as_bytes(value) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def test_raw_table_holds_no_plaintext_id_or_phone(mine):
    rows = _raw_rows()
    assert len(rows) == 3
    planted = {p.citizen_id for p in (mine.member_a, mine.masses_a, mine.member_b)}
    for row in rows:
        for value in row:
            raw = _as_bytes(value)
            assert not ID_RE.search(raw), raw
            assert not PHONE_RE.search(raw), raw
            for plain in planted | {"13800000001", "13800000002", "13800000003"}:
                assert plain.encode() not in raw
    # and the same scan does find plaintext when it is there (the regexes can fail)
    assert ID_RE.search(mine.member_a.citizen_id.encode())
    assert PHONE_RE.search(f"tel: {mine.member_a.phone}".encode())


def test_history_and_audit_hold_no_plaintext(mine):
    from dangjian.audit.models import AuditEvent
    from dangjian.people.models import PersonChange

    blob = str(list(PersonChange.objects.values_list("changes", flat=True)))
    blob += str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert not ID_RE.search(blob.encode())
    assert not PHONE_RE.search(blob.encode())


def test_sm4_gcm_round_trip_and_layout():
    ring = crypto.KeyRing.generate()
    sealed = crypto.seal("340321198503120015", "t:1:citizen_id", ring)
    assert sealed[0] == ring.current
    assert len(sealed) == 1 + crypto.IV_BYTES + 18 + crypto.TAG_BYTES
    assert crypto.open_sealed(sealed, "t:1:citizen_id", ring) == "340321198503120015"
    again = crypto.seal("340321198503120015", "t:1:citizen_id", ring)
    assert again != sealed  # random IV per value


def test_person_round_trip(mine):
    fresh = Person.objects.get(pk=mine.member_a.pk)
    assert fresh.citizen_id == mine.member_a.citizen_id
    assert fresh.phone == "13800000001"
    assert fresh.address == "安徽省淮北市濉溪县"


def test_moving_a_sealed_value_to_another_row_fails(mine):
    a, b = mine.member_a, mine.member_b
    Person.objects.filter(pk=b.pk).update(citizen_id_sealed=bytes(a.citizen_id_sealed))
    moved = Person.objects.get(pk=b.pk)
    with pytest.raises(InvalidTag):
        _ = moved.citizen_id
    # and into another field of the same row
    Person.objects.filter(pk=a.pk).update(phone_sealed=bytes(a.citizen_id_sealed))
    with pytest.raises(InvalidTag):
        _ = Person.objects.get(pk=a.pk).phone


def test_byte_flip_in_database_is_detected(mine):
    sealed = bytearray(mine.member_a.phone_sealed)
    sealed[20] ^= 0x01
    Person.objects.filter(pk=mine.member_a.pk).update(phone_sealed=bytes(sealed))
    with pytest.raises(InvalidTag):
        _ = Person.objects.get(pk=mine.member_a.pk).phone
    tag_flip = bytearray(mine.member_a.address_sealed)
    tag_flip[-1] ^= 0x80
    Person.objects.filter(pk=mine.member_a.pk).update(address_sealed=bytes(tag_flip))
    with pytest.raises(InvalidTag):
        _ = Person.objects.get(pk=mine.member_a.pk).address


def test_blind_index_is_keyed_not_plain_sm3(mine):
    cid = mine.member_a.citizen_id
    index = mine.member_a.citizen_id_bidx
    assert index == blind_index(cid, "citizen_id")
    assert index != sm3_hex(cid.encode())
    assert index != sm3_hex(b"citizen_id\x00" + cid.encode())
    other_key = crypto.KeyRing.generate()
    assert blind_index(cid, "citizen_id", other_key) != index
    assert blind_index(cid, "phone") != index  # purpose separates indexes
    assert blind_index(cid.lower(), "citizen_id") == index  # normalised (x/X)


def test_exact_search_by_id_and_phone(mine):
    user = mine.users["shuji"]
    assert list(person_list(user=user, q=mine.member_b.citizen_id)) == [mine.member_b]
    assert list(person_list(user=user, q=mine.member_a.phone)) == [mine.member_a]
    assert list(person_list(user=user, q=mine.member_a.citizen_id[:17] + "0")) == []
    # scope still applies to an exact match
    assert list(person_list(user=mine.users["secretary_a"], q=mine.member_b.citizen_id)) == []


def test_self_test_passes_on_published_vectors():
    crypto.self_test()


@pytest.mark.parametrize("vector", ["_SM3_ABC", "_SM4_CT", "_GCM_CT", "_GCM_TAG"])
def test_self_test_raises_on_mismatching_vector(monkeypatch, vector):
    value = getattr(crypto, vector)
    flipped = ("0" if value[0] != "0" else "1") + value[1:]
    monkeypatch.setattr(crypto, vector, flipped)
    with pytest.raises(CryptoSelfTestError):
        crypto.self_test()


def test_startup_runs_the_self_test(monkeypatch):
    from django.apps import apps

    monkeypatch.setattr(crypto, "_SM3_ABC", "0" * 64)
    with pytest.raises(CryptoSelfTestError):
        apps.get_app_config("core").ready()
