"""Wipe the business data (organisations, units, people, accounts and everything hanging off
them) so the demo or a synthetic data set can be reloaded. The audit trail is never touched,
nor are tables seeded by migrations that hang off nothing (rules, roles, schemes)."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models, transaction

ROOT_MODELS = ("orgs.PartyOrg", "orgs.Unit", "orgs.Department", "people.Person", "accounts.User")
KEPT_APPS = {"audit"}
# Figures derived from the business data, without foreign keys into it: wiped with it, or a
# reloaded data set with the same highest ids would show the old figures until they expire.
DERIVED_MODELS = ("people.AnalyticsSnapshot", "dashboard.HomeSnapshot")


def business_models() -> list[type[models.Model]]:
    """The root models plus every model with a foreign key (transitively) into them."""
    roots = {apps.get_model(label) for label in ROOT_MODELS}
    selected: set[type[models.Model]] = set(roots) | {
        apps.get_model(label) for label in DERIVED_MODELS
    }
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label not in KEPT_APPS and not m._meta.proxy and m._meta.managed
    ]
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in selected:
                continue
            for field in model._meta.concrete_fields:
                target = getattr(field, "related_model", None)
                if target is not None and target in selected:
                    selected.add(model)
                    changed = True
                    break
    return sorted(selected, key=lambda m: m._meta.db_table)


def wipe_business_data() -> list[str]:
    """Delete all rows of the business tables in one transaction; returns the table names.

    Foreign keys are deferred (Django creates them DEFERRABLE INITIALLY DEFERRED on SQLite
    and PostgreSQL), so the order does not matter as long as every referencing table goes too,
    which :func:`business_models` guarantees.
    """
    tables = [m._meta.db_table for m in business_models()]
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire deferred FK checks of rows written earlier in this transaction, otherwise
            # TRUNCATE refuses ("pending trigger events"); then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(quote(t) for t in tables) + " RESTART IDENTITY")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 (names from models)
    return tables


def reset_sequences(model_list: list[type[models.Model]]) -> None:
    """After inserts with explicit primary keys, move PostgreSQL sequences past them."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
