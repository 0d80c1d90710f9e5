"""Input parsing for the account pages; the rules themselves live in services."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from dangjian.accounts.models import User

RESERVED_USERNAMES = frozenset({"admin", "root", "test", "administrator", "guest", "user"})
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,150}$")


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", max_length=4096, strip=False)


class AccountCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=40, required=False)

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        if not USERNAME_RE.match(value):
            raise forms.ValidationError("用户名为 3–150 位字母、数字或 _ . @ -。")
        if value.lower() in RESERVED_USERNAMES:
            raise forms.ValidationError("不得使用通用或共享账户名（如 admin、root、test）。")
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError("用户名已存在（不区分大小写）。")
        return value


class RoleGrantForm(forms.Form):
    username = forms.CharField(label="账户（用户名）", max_length=150)
    role: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="角色", queryset=None, empty_label="请选择角色"
    )
    party_org: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="组织节点",
        queryset=None,
        required=False,
        empty_label="（不限）",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    department: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="政工部门",
        queryset=None,
        required=False,
        empty_label="（无）",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(
        self, *args: Any, users: Any, roles: Any, orgs: Any, departments: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.users = users
        self.fields["role"].queryset = roles  # type: ignore[attr-defined]
        self.fields["party_org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]

    def clean_username(self) -> User:
        value = self.cleaned_data["username"].strip()
        user = self.users.filter(username__iexact=value).first()
        if user is None:
            raise forms.ValidationError(
                "找不到可授权的账户（三员账户和停用账户不能授予业务角色）。"
            )
        return user  # type: ignore[no-any-return]
