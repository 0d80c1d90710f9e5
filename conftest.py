"""Fixtures shared by the whole suite (see dangjian/core/testing.py for the personas)."""

from __future__ import annotations

import pytest

from dangjian.core.testing import MiniMine, build_mini_mine


@pytest.fixture
def mine(db) -> MiniMine:
    return build_mini_mine()
