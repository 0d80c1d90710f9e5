"""Fixtures for the accounts tests: a cheap Argon2id (same algorithm, test-sized cost)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse

from dangjian.accounts.models import User

GOOD = "Lamp-Post-7-River"  # satisfies the policy; personas get it in these tests


class FastArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with small cost parameters, so that a login takes milliseconds in tests."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def fast_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "dangjian.accounts.tests.conftest.FastArgon2Hasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def accounts(mine: Any) -> Any:
    """The mini mine with every persona's password set to GOOD (changed just now)."""
    from django.utils import timezone

    for user in mine.users.values():
        user.set_password(GOOD)
        user.password_changed_at = timezone.now()
        user.save()
    return mine


def login(
    client: Client, username: str, password: str = GOOD, *, otp: bool = True, **extra: Any
) -> Any:
    """Log in through the form; with ``otp`` the session is then marked as having passed the
    second factor (test_mfa*.py walk the real OTP step with ``otp=False``)."""
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )
    if otp and response.status_code == 302:
        from dangjian.accounts.mfa import SESSION_FLAG

        session = client.session
        session[SESSION_FLAG] = True
        session.save()
    return response


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)
