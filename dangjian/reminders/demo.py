"""Demo: compute the to-do list once the other apps have loaded their year of records."""

from __future__ import annotations

import datetime as dt
import random

from dangjian.core import context
from dangjian.core.scope import SYSTEM


def load(*, today: dt.date, rng: random.Random) -> None:
    from dangjian.reminders.services import reminders_refresh

    with context.acting_as(SYSTEM, channel="cli"):
        reminders_refresh(today)
