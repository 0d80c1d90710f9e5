"""Plain-value bulk inserts (``executemany``) for services that write many rows at once (the
person import) and for the demo and synthetic loaders: no model instances, no per-row SQL
compilation, the same column values a model save would store."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import models


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while part := list(islice(iterator, size)):
        yield part


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
