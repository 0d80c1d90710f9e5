"""Account services: create accounts with one-time passwords (the accounts helper extends this)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.audit.services import audit_record


def one_time_password(length: int = 16) -> str:
    """A random password that satisfies the composition rule (all four classes)."""
    alphabet = string.ascii_letters + string.digits + "!@#%^&*-_=+"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


@transaction.atomic
def account_create(
    *,
    actor: Any,
    username: str,
    display_name: str = "",
    admin_role: str = "",
    password: str | None = None,
    must_change_password: bool = True,
    is_demo: bool = False,
) -> tuple[User, str]:
    """Create an account; returns it with its (one-time, unless given) password."""
    secret = password or one_time_password()
    user = User(
        username=username,
        display_name=display_name,
        admin_role=admin_role,
        must_change_password=must_change_password,
        is_demo=is_demo,
        password_changed_at=timezone.now(),
    )
    user.set_password(secret)
    user.save()
    audit_record(
        "account_create",
        obj=user,
        actor=actor,
        changes={"username": [None, username], "admin_role": [None, admin_role]},
    )
    return user, secret
