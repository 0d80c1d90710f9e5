"""Fixtures shared by the whole suite (see dangjian/core/testing.py for the personas)."""

from __future__ import annotations

from typing import Any

import pytest

from dangjian.core.testing import MiniMine, build_mini_mine


@pytest.fixture
def mine(db) -> MiniMine:
    return build_mini_mine()


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Client.force_login`` skips authentication, so it skips the OTP step too (AUTH-07):
    the session it makes is MFA-verified, like ``mine.client``. Tests of the OTP step log in
    through the form (dangjian/accounts/tests/test_mfa*.py)."""
    from django.test import Client

    from dangjian.accounts.mfa import SESSION_FLAG

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[SESSION_FLAG] = True
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
