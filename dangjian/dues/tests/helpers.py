"""Test helpers for dues: an assessment and bills for a member in one call."""

from __future__ import annotations

from typing import Any

from dangjian.core.scope import SYSTEM
from dangjian.dues import services
from dangjian.dues.models import MemberCategory


def wage(yuan_after_tax: int) -> dict[str, int]:
    return {"post_wage": yuan_after_tax * 100}


def assess(person: Any, year: int, yuan: int = 4000, category: str = "wage") -> Any:
    return services.assessment_save(
        actor=SYSTEM,
        person_id=person.pk,
        year=year,
        category=MemberCategory.objects.get(code=category),
        components=wage(yuan),
    )
