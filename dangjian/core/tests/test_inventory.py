"""PI-01/PI-02: every field of every project model is in the approved inventory, and back.

No database: the inventory is checked against model metadata only.
"""

from __future__ import annotations

import dataclasses
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.test.utils import isolate_apps

from dangjian.core import inventory
from dangjian.core.inventory import INVENTORY, NO_PERSONAL_DATA, Level, ModelInventory
from dangjian.core.management.commands.inventory import Command
from dangjian.people.models import Person

REPO = Path(__file__).resolve().parents[3]


def without(label: str, name: str) -> dict[str, ModelInventory]:
    """A copy of the inventory in which ``label``'s ``name`` is not classified."""
    entry = INVENTORY[label]
    fields = {lv: tuple(n for n in names if n != name) for lv, names in entry.fields.items()}
    notes = {k: v for k, v in entry.notes.items() if k != name}
    return {**INVENTORY, label: dataclasses.replace(entry, fields=fields, notes=notes)}


# --- (a) the CI check ------------------------------------------------------------------------


def test_every_field_of_every_project_model_is_classified():
    assert inventory.unclassified() == []


def test_no_inventory_entry_is_stale():
    assert inventory.stale() == []


def test_the_check_covers_every_project_model_and_field():
    project = inventory.dangjian_models()
    assert project, "no dangjian models found"
    assert {m._meta.label for m in project} == set(INVENTORY)
    assert Person in project
    names = inventory.field_names(Person)
    assert "citizen_id_sealed" in names and "id" in names
    # many-to-many fields are inventoried too
    assert "covered_units" in inventory.field_names(
        next(m for m in project if m.__name__ == "PartyOrg")
    )
    total = sum(len(inventory.field_names(m)) for m in project)
    assert sum(inventory.level_counts().values()) == total


def test_every_model_has_a_purpose_and_a_legal_basis():
    for label, entry in INVENTORY.items():
        assert entry.purpose.strip() and entry.basis.strip(), label


# --- (b) the check can fail --------------------------------------------------------------------


def test_a_field_missing_from_the_inventory_is_named():
    trimmed = without("people.Person", "post")
    assert inventory.unclassified(trimmed) == ["people.Person.post"]
    assert inventory.stale(trimmed) == []


def test_a_model_missing_from_the_inventory_names_all_its_fields():
    trimmed = {k: v for k, v in INVENTORY.items() if k != "transfers.LetterCounter"}
    counter = next(
        m for m in inventory.dangjian_models() if m._meta.label == "transfers.LetterCounter"
    )
    expected = [f"transfers.LetterCounter.{n}" for n in inventory.field_names(counter)]
    assert expected
    assert inventory.unclassified(trimmed) == expected


@isolate_apps("dangjian.core")
def test_a_new_model_with_an_unclassified_field_fails_the_check():
    class Gadget(models.Model):
        serial = models.CharField(max_length=20)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return self.serial

    entry = ModelInventory(purpose="测试", basis="测试", fields={Level.L1: ("id",)})
    assert inventory.unclassified({"core.Gadget": entry}, [Gadget]) == ["core.Gadget.serial"]
    assert inventory.unclassified({}, [Gadget]) == ["core.Gadget.id", "core.Gadget.serial"]


def test_an_entry_that_is_no_longer_a_field_is_stale():
    entry = INVENTORY["people.Person"]
    fields = {**entry.fields, Level.L3: (*entry.fields[Level.L3], "nickname")}
    changed = {**INVENTORY, "people.Person": dataclasses.replace(entry, fields=fields)}
    changed["people.Gone"] = ModelInventory(purpose="x", basis="x", fields={Level.L1: ("id",)})
    assert inventory.stale(changed) == ["people.Person.nickname", "people.Gone.id"]
    assert inventory.unclassified(changed) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fields": {Level.L1: ("id",), Level.L3: ("id",)}},  # listed twice
        {"fields": {Level.L1: ("id",)}, "notes": {"name": "?"}},  # note on an unlisted field
        {"fields": {Level.L1: ("id",)}, "basis": " "},  # no legal basis
        # "processes no personal data" yet a personal field
        {"fields": {Level.L1: ("id",), Level.L3: ("name",)}, "basis": NO_PERSONAL_DATA},
        # an L4 field without the protective basis (PIPL Art. 28 or 51)
        {"fields": {Level.L2: ("id",), Level.L4: ("secret",)}, "basis": "某依据"},
    ],
)
def test_an_inconsistent_entry_is_refused(kwargs):
    with pytest.raises(ValueError):
        ModelInventory(**{"purpose": "用途", "basis": "依据", **kwargs})


def test_an_unknown_field_has_no_classification():
    with pytest.raises(KeyError):
        inventory.classification("people.Person", "nickname")
    with pytest.raises(KeyError):
        inventory.classification("people.Nobody", "id")


# --- (c) sensitive fields are L4 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("people.Person", "citizen_id_sealed"),
        ("people.Person", "citizen_id_bidx"),
        ("people.Person", "phone_sealed"),
        ("people.Person", "phone_bidx"),
        ("people.Person", "address_sealed"),
        ("accounts.User", "password"),
        ("accounts.PasswordHistory", "password"),
        ("accounts.MfaDevice", "secret_sealed"),
        ("accounts.MfaRecoveryCode", "code_hash"),
        ("accounts.ApiToken", "key_hash"),
    ],
)
def test_sensitive_fields_are_l4(label, name):
    assert inventory.classification(label, name) is Level.L4


def test_every_sealed_or_blind_index_column_is_l4():
    found = [
        (m._meta.label, n)
        for m in inventory.dangjian_models()
        for n in inventory.field_names(m)
        if n.endswith(("_sealed", "_bidx"))
    ]
    assert len(found) >= 6  # Person's five and the MFA secret
    for label, name in found:
        assert inventory.classification(label, name) is Level.L4, f"{label}.{name}"


# --- (d) the document cannot go stale -----------------------------------------------------------


def test_the_document_is_the_generated_inventory():
    doc = REPO / inventory.DOC_PATH
    assert doc.read_text(encoding="utf-8") == inventory.as_markdown(), (
        f"{inventory.DOC_PATH} is out of date: dangjian inventory --output {inventory.DOC_PATH}"
    )


def test_the_markdown_shows_each_field_with_its_level():
    text = inventory.as_markdown()
    assert "| `citizen_id_sealed` | 身份证号(密文) | L4 |" in text
    assert INVENTORY["people.Person"].basis in text
    for model in inventory.dangjian_models():
        assert f"### {model._meta.label}（" in text


def test_the_markdown_marks_an_unclassified_field(monkeypatch):
    monkeypatch.setattr(inventory, "INVENTORY", without("people.Person", "post"))
    assert "| `post` | 岗位 | **未分级** |" in inventory.as_markdown()


# --- (e) the management command ---------------------------------------------------------------


def test_check_passes_now():
    out = StringIO()
    call_command("inventory", "--check", stdout=out)
    assert "均已分级" in out.getvalue()


def test_check_exits_zero_from_the_command_line(capsys):
    Command().run_from_argv(["dangjian", "inventory", "--check"])  # no SystemExit
    assert "均已分级" in capsys.readouterr().out


def test_check_fails_and_names_the_unclassified_field(monkeypatch, capsys):
    monkeypatch.setattr(inventory, "INVENTORY", without("accounts.User", "email"))
    err = StringIO()
    with pytest.raises(CommandError, match="1 个字段未分级"):
        call_command("inventory", "--check", stderr=err)
    assert err.getvalue().splitlines() == ["未分级：accounts.User.email"]
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["dangjian", "inventory", "--check"])
    assert exit_.value.code != 0
    assert "accounts.User.email" in capsys.readouterr().err


def test_output_writes_the_markdown(tmp_path):
    target = tmp_path / "inventory.md"
    call_command("inventory", "--output", str(target), stdout=StringIO())
    assert target.read_text(encoding="utf-8") == inventory.as_markdown()
