"""``core.memo.remember``: made once per key, bounded by clearing."""

from __future__ import annotations

from dangjian.core.memo import remember


def test_made_once_per_key_and_bounded():
    cache: dict = {}
    made: list[str] = []

    def make(key: str):
        def build() -> str:
            made.append(key)
            return f"v-{key}"

        return build

    assert remember(cache, "a", make("a")) == "v-a"
    assert remember(cache, "a", make("a")) == "v-a"
    assert made == ["a"]
    for key in "bcd":
        remember(cache, key, make(key), limit=3)
    assert len(cache) <= 3 and remember(cache, "d", make("d"), limit=3) == "v-d"
    assert made.count("d") == 1
