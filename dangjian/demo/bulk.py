"""Fast bulk writes shared by the demo loader and the synthetic generator.

Rows get explicit primary keys so that materialised paths are known before the insert (no
second pass), and sealed fields are set through the model descriptors (the row's ``uid`` is
fixed at construction, so the AAD is known before saving).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Max

from dangjian.core.bulk import chunks
from dangjian.orgs.models import path_segment

M = TypeVar("M", bound=models.Model)

BATCH = 2000


def next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def tree_path(parent_path: str, pk: int) -> tuple[str, int]:
    """(path, depth) of node ``pk`` under a parent with ``parent_path`` (root: "")."""
    return parent_path + path_segment(pk), parent_path.count(".")


def insert(
    model: type[M],
    rows: Iterable[M],
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """bulk_create ``rows`` in batches; returns the number inserted."""
    done = 0
    for part in chunks(rows, batch):
        model._default_manager.bulk_create(part, batch_size=batch)
        done += len(part)
        if progress is not None:
            progress(done)
    return done


def seal_into(obj: models.Model, field: str, value: str, ring: Any) -> None:
    """Fast path of the model's sealed-value descriptor with a key ring read once per run:
    the same AAD (table, row uid, field) and blind index as ``obj.<field> = value``."""
    from dangjian.core import crypto

    descriptor = type(obj).__dict__[field]
    setattr(obj, f"{field}_sealed", crypto.seal(value, descriptor.aad(obj), ring))
    if hasattr(obj, f"{field}_bidx"):
        setattr(obj, f"{field}_bidx", crypto.blind_index(value, field, ring))


def fast_insert(
    model: type[M],
    rows: Iterable[M],
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert model instances (with explicit primary keys) through ``executemany``.

    Skips the per-row SQL compilation of ``bulk_create`` but still converts every value with
    the field's own ``pre_save``/``get_db_prep_save``, so defaults, ``auto_now`` and database
    types behave exactly as in a normal save. Columns come from the model, so fields added
    later are included.
    """
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Plain text, number, boolean and integer-key columns go to the driver unchanged; every
    # other type (dates, UUIDs, binary, JSON, auto_now ...) through the field's own conversion.
    plain = (models.CharField, models.TextField, models.BooleanField, models.IntegerField)

    def simple(f: models.Field[Any, Any]) -> bool:
        if isinstance(f, models.ForeignKey):
            return isinstance(f.target_field, models.IntegerField)
        return isinstance(f, plain) and type(f).pre_save is models.Field.pre_save

    def converter(f: models.Field[Any, Any]) -> Callable[[M], Any]:
        if simple(f):
            attname = f.attname
            return lambda obj: getattr(obj, attname)
        return lambda obj: f.get_db_prep_save(f.pre_save(obj, True), connection)

    converters = [converter(f) for f in fields]
    done = 0
    with connection.cursor() as cursor:
        for part in chunks(rows, batch):
            cursor.executemany(sql, [tuple(c(obj) for c in converters) for obj in part])
            done += len(part)
            if progress is not None:
                progress(done)
    return done
