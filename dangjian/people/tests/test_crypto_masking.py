"""Masking properties (PI-03): ID ``4+10*+4``, phone ``3+4*+4``, never the hidden middle."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.identity import (
    citizen_id_check_char,
    mask_citizen_id,
    mask_phone,
    validate_citizen_id,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def citizen_ids(draw) -> str:
    area = draw(st.from_regex(r"[1-6]\d{5}", fullmatch=True))
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2010, 12, 31)))
    seq = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + citizen_id_check_char(first17)


phones = st.from_regex(r"1[3-9]\d{9}", fullmatch=True)


@given(citizen_ids())
def test_citizen_id_mask_shape(cid):
    validate_citizen_id(cid)
    masked = mask_citizen_id(cid)
    assert len(masked) == 18
    assert masked[:4] == cid[:4] and masked[-4:] == cid[-4:]
    assert masked[4:14] == "*" * 10
    assert cid[4:14] not in masked  # birth date and sequence hidden


@given(citizen_ids(), citizen_ids())
def test_citizen_id_mask_depends_only_on_the_ends(a, b):
    assert (mask_citizen_id(a) == mask_citizen_id(b)) == (a[:4] + a[-4:] == b[:4] + b[-4:])


@given(phones)
def test_phone_mask_shape(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert len(masked) == 11


@given(st.text(max_size=30))
def test_masks_never_longer_and_never_reveal_middle(value):
    for mask in (mask_citizen_id, mask_phone):
        masked = mask(value)
        assert len(masked) == len(value)
        visible = sum(1 for c, m in zip(value, masked, strict=True) if c == m and m != "*")
        assert visible <= 8
    assert mask_citizen_id("") == "" and mask_phone(None) == ""
