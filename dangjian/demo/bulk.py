"""Fast bulk writes shared by the demo loader and the synthetic generator.

Rows get explicit primary keys so that materialised paths are known before the insert (no
second pass), and sealed fields are set through the model descriptors (the row's ``uid`` is
fixed at construction, so the AAD is known before saving).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
