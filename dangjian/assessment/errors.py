"""Errors of the assessment engine that views and the API translate (409, 400)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class StaleVersion(Exception):
    """A write based on an old version of a row: someone else saved in between (HTTP 409)."""

    def __init__(self, current_version: int, message: str = "") -> None:
        self.current_version = current_version
        super().__init__(
            message
            or f"该内容已被他人修改（当前版本 {current_version}），您的修改未保存。"
            "请刷新后在最新内容上重新修改。"
        )


class Locked(ValidationError):
    """Scores of a final round (or outside the state that allows the write) cannot change."""
