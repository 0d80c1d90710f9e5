"""Who is acting, from where, in which request: carried in a context variable.

Set by ``RequestContextMiddleware`` for web requests and by ``acting_as`` for commands and
background jobs, and read by the audit trail, so that nobody has to pass it around.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ActContext:
    request_id: str = ""
    user: Any = None
    ip: str = ""
    user_agent: str = ""
    channel: str = "system"  # web | api | cli | job | system


_EMPTY = ActContext()
_current: contextvars.ContextVar[ActContext] = contextvars.ContextVar(
    "dangjian_act_context",
    default=_EMPTY,
)


def current() -> ActContext:
    return _current.get()


def set_current(ctx: ActContext) -> contextvars.Token[ActContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[ActContext]) -> None:
    _current.reset(token)


def update(**changes: Any) -> None:
    _current.set(replace(_current.get(), **changes))


@contextmanager
def acting_as(user: Any = None, channel: str = "cli", **extra: Any) -> Iterator[ActContext]:
    ctx = ActContext(request_id=uuid.uuid4().hex, user=user, channel=channel, **extra)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
