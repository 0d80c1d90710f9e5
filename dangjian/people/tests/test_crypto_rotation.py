"""Key rotation (CRY-05): ``dangjian keys rotate`` re-encrypts in resumable batches; old
versions stay readable until done; ``keys status`` counts values per version."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.audit.models import AuditEvent
from dangjian.core import crypto
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import person_data
from dangjian.people.management.commands.keys import checkpoint_file
from dangjian.people.models import Person
from dangjian.people.services import SEALED_COLUMNS, person_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_file(settings, tmp_path):
    """A private copy of the key file, so rotating does not touch other tests' keys."""
    ring = crypto.keyring()
    path = tmp_path / "keys" / "field-keys.json"
    ring.dump(path)
    settings.FIELD_KEY_FILE = path
    crypto.keyring_reload()
    yield path
    crypto.keyring_reload()


def _versions() -> set[int]:
    found: set[int] = set()
    for row in Person.objects.values_list(*SEALED_COLUMNS):
        found.update(bytes(v)[0] for v in row if v)
    return found


def _plaintexts() -> dict[int, tuple[str, str, str]]:
    return {p.pk: (p.citizen_id, p.phone, p.address) for p in Person.objects.all()}


def _run(*args: str) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_rotate_v1_to_v2_all_readable_none_left_on_v1(mine, key_file):
    for seq in range(10, 15):
        person_create(actor=SYSTEM, data=person_data(mine, seq=seq))
    before = _plaintexts()
    bidx_before = dict(Person.objects.values_list("pk", "citizen_id_bidx"))
    assert _versions() == {1}
    assert "v1: 8" in _run("status")

    output = _run("rotate", "--batch-size", "3")

    assert "重新加密完成：24 个字段已使用 v2" in output
    data = json.loads(key_file.read_text())
    assert data["current"] == 2 and set(data["enc"]) == {"1", "2"}
    assert _versions() == {2}
    assert _plaintexts() == before
    assert dict(Person.objects.values_list("pk", "citizen_id_bidx")) == bidx_before
    status = _run("status")
    assert "当前版本：v2" in status and "citizen_id: v2: 8" in status and "旧版本密文：0" in status
    assert not checkpoint_file().exists()
    assert AuditEvent.objects.filter(event_type="key_rotate").count() == 1
    assert AuditEvent.objects.filter(event_type="key_reencrypt").count() == 1
    # new writes use the new version
    created = person_create(actor=SYSTEM, data=person_data(mine, seq=20))
    assert bytes(Person.objects.get(pk=created.pk).phone_sealed or b"")[0] == 2


def test_interrupted_rotation_stays_readable_and_resumes(mine, key_file):
    before = _plaintexts()
    output = _run("rotate", "--batch-size", "1", "--max-batches", "1")
    assert "已暂停" in output
    assert _versions() == {1, 2}  # half-way: both versions in use...
    assert _plaintexts() == before  # ...and every value still readable
    assert json.loads(checkpoint_file().read_text())["version"] == 2
    assert "未完成的轮换" in _run("status")
    with pytest.raises(CommandError, match="尚未完成"):
        _run("rotate")
    assert json.loads(key_file.read_text())["current"] == 2  # refused: no third version

    resumed = _run("rotate", "--resume", "--batch-size", "1")
    assert "重新加密完成" in resumed
    assert _versions() == {2}
    assert _plaintexts() == before
    assert not checkpoint_file().exists()


def test_running_process_picks_up_the_rotated_key_file(mine, key_file):
    ring = crypto.keyring()
    assert ring.current == 1
    crypto.rotate_keyring(key_file)
    # no explicit reload: the key ring notices the replaced file
    assert crypto.keyring().current == 2
    assert crypto.seal("x", "aad")[0] == 2


def test_reseal_leaves_current_values_alone(mine, key_file):
    sealed = bytes(mine.member_a.phone_sealed or b"")
    aad = f"{Person._meta.db_table}:{mine.member_a.uid}:phone"
    assert crypto.reseal(sealed, aad) is None
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    crypto.rotate_keyring(key_file)
    with pytest.raises(crypto.InvalidTag):
        crypto.reseal(bytes(tampered), aad)
