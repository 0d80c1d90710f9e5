"""Fast bulk writes shared by the demo loader and the synthetic generator.

Rows get explicit primary keys so that materialised paths are known before the insert (no
second pass), and sealed fields are set through the model descriptors (the row's ``uid`` is
fixed at construction, so the AAD is known before saving).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from django.db import models
from django.db.models import Max

from dangjian.orgs.models import path_segment

M = TypeVar("M", bound=models.Model)

BATCH = 2000


def next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def tree_path(parent_path: str, pk: int) -> tuple[str, int]:
    """(path, depth) of node ``pk`` under a parent with ``parent_path`` (root: "")."""
    return parent_path + path_segment(pk), parent_path.count(".")


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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


def _adapter(f: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    """``f.get_db_prep_save`` as a one-argument function; for the usual value types of a few
    exact field classes, the database adaptation it ends in, without its checks (they cost
    more than the value)."""
    prep = f.get_db_prep_save
    kind = type(f)
    if kind is models.DateField:
        adapt_date = connection.ops.adapt_datefield_value

        def date(v: Any) -> Any:
            return adapt_date(v) if v is None or type(v) is dt.date else prep(v, connection)

        return date
    if kind is models.BinaryField:
        binary = connection.Database.Binary

        def blob(v: Any) -> Any:
            if v is None:
                return None
            return binary(v) if type(v) is bytes else prep(v, connection)

        return blob
    if kind is models.UUIDField:
        native = connection.features.has_native_uuid_field

        def uid(v: Any) -> Any:
            if type(v) is not uuid.UUID:
                return prep(v, connection)
            return v if native else v.hex

        return uid
    if kind is models.JSONField:
        adapt_json, encoder = connection.ops.adapt_json_value, f.encoder  # type: ignore[attr-defined]

        def document(v: Any) -> Any:
            if type(v) is dict or type(v) is list:
                return adapt_json(v, encoder)
            return prep(v, connection)

        return document
    return lambda v: prep(v, connection)


def insert_values(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch: int = 5000,
) -> int:
    """Insert plain value tuples (in the order of ``fields``, attribute names) with
    ``executemany``, without building model instances.

    Every other concrete field except the auto primary key gets what a normal save would give
    it: ``auto_now``/``auto_now_add`` the current time (one timestamp for the call), otherwise
    its default (a callable default is called per row), otherwise NULL when nullable; a field
    with none of these is an error, so a NOT NULL column added to the model later cannot be
    skipped silently. Values go through the field's own ``get_db_prep_save`` unless the field
    is plain text, number, boolean or an integer key.
    """
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.utils import timezone

    # the wrapper itself, not the ``django.db.connection`` proxy: every attribute read through
    # the proxy is a context-local lookup, and get_db_prep_save reads several per value
    connection = connections[DEFAULT_DB_ALIAS]

    by_name = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in fields if name not in by_name]
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {unknown}")
    now = timezone.now()
    plain = (models.CharField, models.TextField, models.BooleanField, models.IntegerField)
    # columns: the given fields in their order (converted in place where needed), then the
    # others with a constant value, then those with a callable default
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(fields):
        f = by_name[name]
        simple = (
            isinstance(f.target_field, models.IntegerField)
            if isinstance(f, models.ForeignKey)
            else isinstance(f, plain)
        )
        if not simple:
            converters.append((index, _adapter(f, connection)))
    columns = [by_name[name] for name in fields]
    constants: list[Any] = []
    callables: list[models.Field[Any, Any]] = []
    for f in model._meta.concrete_fields:
        if f.attname in fields or (f.primary_key and isinstance(f, models.AutoField)):
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constants.append(f.get_db_prep_save(now, connection))
        elif f.has_default() and callable(f.default):
            callables.append(f)
            continue
        elif f.has_default():
            constants.append(f.get_db_prep_save(f.get_default(), connection))
        elif f.null:
            constants.append(None)
        else:
            raise ValueError(f"{model.__name__}.{f.attname} needs a value")
        columns.append(f)
    columns.extend(callables)
    tail = tuple(constants)

    def values(row: Sequence[Any]) -> tuple[Any, ...]:
        out = list(row)
        for index, convert in converters:
            out[index] = convert(out[index])
        out.extend(tail)
        for f in callables:
            out.append(f.get_db_prep_save(f.get_default(), connection))
        return tuple(out)

    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    done = 0
    with connection.cursor() as cursor:
        for part in chunks(rows, batch):
            cursor.executemany(sql, [values(row) for row in part])
            done += len(part)
    return done
