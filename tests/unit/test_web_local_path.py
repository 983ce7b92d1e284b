"""Redirect targets taken from forms stay on this site."""

from __future__ import annotations

import pytest

from supplyguard.web.common import local_path


@pytest.mark.parametrize("target", ["/queue", "/declarations/abc?x=1", "/tracking/alerts#a"])
def test_local_paths_are_kept(target: str) -> None:
    assert local_path(target, "/home") == target


@pytest.mark.parametrize(
    "target",
    [None, "", "https://evil.example", "//evil.example", "/\\evil.example", "queue", "/a\r\nSet-Cookie: x"],
)
def test_anything_else_falls_back(target: str | None) -> None:
    assert local_path(target, "/home") == "/home"
