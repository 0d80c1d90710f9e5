"""Menu entries of the assessment engine (each helper adds its own line below)."""

from __future__ import annotations

from dangjian.core.registries import NavItem, register_nav  # noqa: F401

# register_nav(NavItem("考核评价", ...)) lines are added by each area as its pages land.
