"""Hot fixed-shape reads compiled once: ``Statement``.

Some reads run on every request with the same shape and only a different parameter, e.g. the
user's grants (``User.scope_grants``: five tables, one user id). Building and compiling such a
queryset costs the Django ORM about 0.8 ms; running it costs SQLite 0.06 ms. A ``Statement``
builds the queryset once per database alias with placeholder values, keeps the SQL, the
parameters and the result converters (JSON fields etc.), and later only runs the SQL with the
real values in the placeholders' places. Rows are exactly what ``values_list`` would give
(tested on SQLite and PostgreSQL). Nothing about the rows is cached: every call reads the
database (AC-08).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Placeholder values: integers no real id or parameter takes.
_PLACEHOLDERS = (-7_390_412_215, -7_390_412_216, -7_390_412_217, -7_390_412_218)


class Statement:
    """``Statement(lambda a, b: Model.objects.filter(x=a, y=b).values_list(...), arity=2)``;
    then ``statement.rows(a, b)`` gives the list of tuples ``values_list`` would give. The
    builder must use each argument as a plain parameter exactly once (checked when compiling).
    Compiled once per thread and database alias (a compiler belongs to its thread's
    connection)."""

    def __init__(self, build: Callable[..., QuerySet[Any]], arity: int = 1) -> None:
        if not 0 < arity <= len(_PLACEHOLDERS):
            raise ValueError("arity out of range")
        self.build = build
        self.arity = arity
        self._local = threading.local()

    def _compile(self, using: str) -> tuple[str, list[Any], list[int], Any, Any]:
        placeholders = _PLACEHOLDERS[: self.arity]
        compiler = self.build(*placeholders).query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = list(params)
        # a text column's lookup turns the placeholder into its string
        slots = [
            index
            for placeholder in placeholders
            for index, value in enumerate(params)
            if value in (placeholder, str(placeholder))
        ]
        if len(slots) != self.arity or len(set(slots)) != self.arity:
            raise ValueError("each argument must appear exactly once among the parameters")
        fields = [select[0] for select in compiler.select[: compiler.col_count]]
        return sql, params, slots, compiler, compiler.get_converters(fields)

    def rows(self, *args: Any, using: str = "default") -> list[tuple[Any, ...]]:
        if len(args) != self.arity:
            raise TypeError(f"expected {self.arity} arguments")
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        entry = compiled.get(using)
        if entry is None:
            entry = compiled[using] = self._compile(using)
        sql, params, slots, compiler, converters = entry
        values = list(params)
        for slot, arg in zip(slots, args, strict=True):
            values[slot] = arg
        with connections[using].cursor() as cursor:
            cursor.execute(sql, values)
            fetched = [row[: compiler.col_count] for row in cursor.fetchall()]
        if converters:
            fetched = list(compiler.apply_converters(fetched, converters))
        return [tuple(row) for row in fetched]
