"""Reads compiled once and run many times: ``Statement`` and ``Prepared``.

Building and compiling a queryset costs the Django ORM 0.1–0.8 ms; running the SQL it makes
often costs SQLite a tenth of that. Both classes build the queryset once with placeholder
values, keep the SQL, the parameters and the result converters (JSON fields etc.), and later
only run the SQL with the real values in the placeholders' places. Rows are exactly what
``values_list`` would give (tested on SQLite and PostgreSQL). Nothing about the rows is
cached: every call reads the database (AC-08).

* ``Statement``: one fixed shape, e.g. the user's grants of every request
  (``User.scope_grants``: five tables, one user id).
* ``Prepared``: reads whose SQL depends on a *shape* — which filters a list has, whose scope,
  which order and page — and whose values change: compiled once per shape (a bounded number of
  shapes per thread), e.g. the person list's count and rows.

A placeholder must reach the SQL as whole parameters: exact lookups (``=``, ``IN``, ranges,
a scalar subquery used twice) qualify; ``contains``/``startswith`` (which escape and wrap the
value) and values the ORM turns into something else (booleans, dates) do not — callers put
those into the shape, or do not prepare such a read. Compiling checks that every placeholder
appears, and never changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

_INT_BASE = -7_390_412_215  # integers no real id or parameter takes


def _placeholder(index: int, example: Any) -> Any:
    """A value no real argument takes, of the argument's type (int or str)."""
    if isinstance(example, bool) or not isinstance(example, int | str):
        raise TypeError(f"prepared arguments are int or str, not {type(example).__name__}")
    if isinstance(example, int):
        return _INT_BASE - index
    return f"\ue000prepared-{index}\ue000"


@dataclass(frozen=True)
class _Compiled:
    """What running a compiled queryset needs — not the compiler or the query (kept for as
    many shapes as a ``Prepared`` holds)."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (parameter, argument): where the arguments go
    col_count: int
    converters: tuple[tuple[int, tuple[list[Any], Any]], ...] = ()
    connection: Any = None
    klass_info: Any = None  # model instances: what Django's ModelIterable needs
    select: Any = None
    empty: bool = False  # the queryset can match nothing (e.g. no scope at all)

    def run(self, args: Sequence[Any], using: str) -> list[tuple[Any, ...]]:
        if self.empty:
            return []
        values = list(self.params)
        for index, arg in self.slots:
            values[index] = args[arg]
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, values)
            fetched = [row[: self.col_count] for row in cursor.fetchall()]
        if not self.converters:
            return [tuple(row) for row in fetched]
        converted = []
        for fetched_row in fetched:  # SQLCompiler.apply_converters
            row = list(fetched_row)
            for position, (functions, expression) in self.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, self.connection)
                row[position] = value
            converted.append(tuple(row))
        return converted

    def instances(self, args: Sequence[Any], using: str) -> list[Any]:
        """Model instances, as Django's ``ModelIterable`` makes them from the same rows
        (``from_db`` for the model, the ``select_related`` ones populated, deferred fields
        deferred)."""
        from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

        if self.empty:
            return []
        if self.klass_info is None:
            raise TypeError("instances() needs a queryset of model instances")
        rows = self.run(args, using)
        if not rows:
            return []
        klass_info, select = self.klass_info, self.select
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        found = []
        for row in rows:
            instance = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            found.append(instance)
        return found


def _compile(queryset: QuerySet[Any], placeholders: Sequence[Any], using: str) -> _Compiled:
    compiler = queryset.query.get_compiler(using)
    try:
        sql, raw = compiler.as_sql()
    except EmptyResultSet:
        return _Compiled("", (), (), 0, empty=True)
    params = tuple(raw)
    slots: list[tuple[int, int]] = []
    for arg, placeholder in enumerate(placeholders):
        text = str(placeholder)  # an integer compared with a text column arrives as its string
        found = 0
        for index, value in enumerate(params):
            if type(value) in (int, str) and value in (placeholder, text):
                slots.append((index, arg))
                found += 1
            elif isinstance(value, str) and text in value:
                raise ValueError("an argument reached the SQL changed (e.g. a LIKE pattern)")
        if not found:
            raise ValueError("each argument must appear among the parameters")
    if any(str(p) in sql for p in placeholders):
        raise ValueError("an argument reached the SQL text")
    fields = [select[0] for select in compiler.select[: compiler.col_count]]
    is_model = compiler.klass_info is not None and not compiler.query.values_select
    return _Compiled(
        sql,
        params,
        tuple(slots),
        compiler.col_count,
        tuple(compiler.get_converters(fields).items()),
        compiler.connection,
        compiler.klass_info if is_model else None,
        compiler.select if is_model else None,
    )


def _count_queryset(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.order_by().values_list("pk")


def _as_count(compiled: _Compiled) -> _Compiled:
    if compiled.empty:
        return compiled
    # the inner SQL is the ORM's, with every value a parameter
    sql = f"SELECT COUNT(*) FROM ({compiled.sql}) prepared_count"  # noqa: S608
    return _Compiled(sql, compiled.params, compiled.slots, 1)


class Statement:
    """``Statement(lambda a, b: Model.objects.filter(x=a, y=b).values_list(...), arity=2)``;
    then ``statement.rows(a, b)`` gives the list of tuples ``values_list`` would give. The
    builder must use each argument as a plain parameter (checked when compiling).
    Compiled once per thread and database alias (a compiler belongs to its thread's
    connection). Arguments are integers (ids), or strings for text columns."""

    def __init__(self, build: Callable[..., QuerySet[Any]], arity: int = 1) -> None:
        if not 0 < arity <= 8:
            raise ValueError("arity out of range")
        self.build = build
        self.arity = arity
        self._local = threading.local()

    def rows(self, *args: Any, using: str = "default") -> list[tuple[Any, ...]]:
        if len(args) != self.arity:
            raise TypeError(f"expected {self.arity} arguments")
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        entry = compiled.get(using)
        if entry is None:
            placeholders = [_placeholder(i, 0) for i in range(self.arity)]
            entry = compiled[using] = _compile(self.build(*placeholders), placeholders, using)
        return entry.run(args, using)


class Prepared:
    """Statements compiled once per *shape*: ``prepared.rows(shape, build, args)`` gives what
    ``build(*args)`` (a ``values_list`` queryset) would give, ``prepared.objects(...)`` the
    model instances of a model queryset, ``prepared.count(...)`` what ``build(*args).count()``
    would. ``shape`` is a hashable that determines the SQL (which filters, the scope's grants,
    order, page); ``args`` the values that vary (int or str, each reaching the SQL as whole
    parameters). The same ``shape`` must always come with a builder that makes the same SQL.
    Per thread and database alias, at most ``maxsize`` shapes are kept (least recently used
    dropped)."""

    def __init__(self, maxsize: int = 128) -> None:
        self.maxsize = maxsize
        self._local = threading.local()

    def _entry(
        self,
        key: Hashable,
        build: Callable[..., QuerySet[Any]],
        args: Sequence[Any],
        using: str,
        count: bool,
    ) -> _Compiled:
        cache: OrderedDict[Hashable, _Compiled] | None = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = OrderedDict()
        full_key = (using, count, tuple(map(type, args)), key)
        entry = cache.get(full_key)
        if entry is not None:
            cache.move_to_end(full_key)
            return entry
        placeholders = [_placeholder(i, arg) for i, arg in enumerate(args)]
        queryset = build(*placeholders)
        if count:
            entry = _as_count(_compile(_count_queryset(queryset), placeholders, using))
        else:
            entry = _compile(queryset, placeholders, using)
        cache[full_key] = entry
        while len(cache) > self.maxsize:
            cache.popitem(last=False)
        return entry

    def rows(
        self,
        shape: Hashable,
        build: Callable[..., QuerySet[Any]],
        args: Sequence[Any],
        using: str = "default",
    ) -> list[tuple[Any, ...]]:
        return self._entry(shape, build, args, using, count=False).run(args, using)

    def objects(
        self,
        shape: Hashable,
        build: Callable[..., QuerySet[Any]],
        args: Sequence[Any],
        using: str = "default",
    ) -> list[Any]:
        """The model instances ``list(build(*args))`` would give (``select_related`` and
        ``only`` honoured; no ``prefetch_related``)."""
        return self._entry(shape, build, args, using, count=False).instances(args, using)

    def count(
        self,
        shape: Hashable,
        build: Callable[..., QuerySet[Any]],
        args: Sequence[Any],
        using: str = "default",
    ) -> int:
        rows = self._entry(shape, build, args, using, count=True).run(args, using)
        return int(rows[0][0]) if rows else 0


class PreparedQuery:
    """The part of a queryset a list page uses — ``count()``, ``order_by()``, a slice,
    ``values_list()`` — run through a :class:`Prepared`, so that ``core.listing`` and Django's
    ``Paginator`` take it in place of the queryset ``build(*args)``. ``values_list`` returns
    the rows (a list), not a queryset."""

    def __init__(
        self,
        prepared: Prepared,
        shape: Hashable,
        build: Callable[..., QuerySet[Any]],
        args: Sequence[Any],
        *,
        order: tuple[str, ...] = (),
        window: tuple[int, int] | None = None,
    ) -> None:
        self.prepared = prepared
        self.shape = shape
        self.build = build
        self.args = tuple(args)
        self.order = order
        self.window = window

    @property
    def ordered(self) -> bool:
        return bool(self.order)

    def _with(self, **changes: Any) -> PreparedQuery:
        values = {"order": self.order, "window": self.window, **changes}
        return PreparedQuery(self.prepared, self.shape, self.build, self.args, **values)

    def order_by(self, *fields: str) -> PreparedQuery:
        return self._with(order=tuple(fields))

    def __getitem__(self, key: slice) -> PreparedQuery:
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("a PreparedQuery takes a slice [start:stop]")
        start, stop = key.start or 0, key.stop
        if not isinstance(start, int) or not isinstance(stop, int) or start < 0 or stop < start:
            raise TypeError("a PreparedQuery takes a slice of non-negative bounds")
        if self.window is not None:
            base = self.window[0]
            start, stop = base + start, min(base + stop, self.window[1])
        return self._with(window=(start, stop))

    def count(self) -> int:
        return self.prepared.count(self.shape, self.build, self.args)

    def values_list(self, *fields: str) -> list[tuple[Any, ...]]:
        order, window, build = self.order, self.window, self.build

        def shaped(*placeholders: Any) -> QuerySet[Any]:
            queryset = build(*placeholders)
            if order:
                queryset = queryset.order_by(*order)
            if window is not None:
                queryset = queryset[window[0] : window[1]]
            return queryset.values_list(*fields)

        return self.prepared.rows((self.shape, order, window, fields), shaped, self.args)
