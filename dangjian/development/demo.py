"""Demo records: people at different development steps in several branches (some overdue)."""

from __future__ import annotations

import datetime as dt
import random


def load(*, today: dt.date, rng: random.Random) -> None:
    return None
