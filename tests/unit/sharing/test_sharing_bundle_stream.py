"""Streaming a STIX bundle one object at a time: same objects as json.loads, bounded, clear refusals."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from supplyguard.sharing.bundle_stream import BundleInvalid, iter_bundle_objects

OBJECTS: list[Any] = [
    {"type": "indicator", "id": "indicator--1", "name": 'quote " and \\ and ünïcode ☃', "n": 12345},
    {"type": "note", "id": "note--2", "nested": {"list": [1, 2.5, -3e10, True, False, None, "x,]}"]}},
    {"type": "report", "id": "report--3", "object_refs": [], "empty": {}},
]


def stream(text: str, **kwargs: Any) -> list[Any]:
    return list(iter_bundle_objects(io.StringIO(text), **kwargs))


@pytest.mark.parametrize("chunk_chars", [1, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_objects_come_out_as_json_loads_gives_them_whatever_the_chunking(
    chunk_chars: int, indent: int | None
) -> None:
    bundle = {"type": "bundle", "id": "bundle--0", "objects": OBJECTS, "spec_version": "2.1"}
    text = json.dumps(bundle, indent=indent, ensure_ascii=False)
    assert stream(text, chunk_chars=chunk_chars) == OBJECTS


def test_member_order_does_not_matter_and_empty_bundles_are_fine() -> None:
    text = json.dumps({"objects": OBJECTS[:1], "id": "bundle--0", "type": "bundle"})
    assert stream(text, chunk_chars=5) == OBJECTS[:1]
    assert stream('{"type": "bundle", "id": "bundle--0", "objects": []}') == []
    assert stream('{"type": "bundle", "id": "bundle--0"}') == []


def test_an_object_over_the_limit_is_refused_naming_it() -> None:
    small = {"type": "note", "id": "note--1", "content": "ok"}
    big = {"type": "note", "id": "note--2", "content": "x" * 500}
    text = json.dumps({"type": "bundle", "objects": [small, big, small]})
    objects = iter_bundle_objects(io.StringIO(text), max_object_bytes=200, chunk_chars=16)
    assert next(objects) == small  # the objects before it come out; the rest is never read
    with pytest.raises(BundleInvalid, match=r"object #2 .* larger than 200 bytes: refused"):
        next(objects)


def test_the_limit_holds_even_when_the_object_arrives_in_one_read() -> None:
    text = json.dumps({"type": "bundle", "objects": [{"content": "y" * 1000}]})
    with pytest.raises(BundleInvalid, match="larger than 100 bytes"):
        stream(text, max_object_bytes=100, chunk_chars=1 << 20)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a JSON object"),
        ("[1, 2]", "expected a JSON object"),
        ('{"type": "report", "objects": []}', "not a STIX bundle"),
        ('{"objects": [], "type": "indicator"}', "not a STIX bundle"),
        ('{"objects": []}', 'no "type": "bundle"'),
        ('{"type": "bundle", "objects": [{"id": "a"}, {"id": ]}', "object #2 .* not valid JSON"),
        ('{"type": "bundle", "objects": [{"id": "a"} {"id": "b"}]}', "expected ',' or ']' after object #1"),
        ('{"type": "bundle", "objects": [{"id": "a"}', "expected ',' or ']'"),
        ('{"type": "bundle", "objects": [{"id": "a", "name": "cut', "not valid JSON"),
        ('{"type": "bundle", "objects": []} trailing', "unexpected text after the bundle"),
        ('{"type": "bundle", "objects": [], "objects": []}', "two 'objects' members"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(BundleInvalid, match=message):
        stream(text, chunk_chars=4)


def test_text_that_is_not_utf8_is_refused() -> None:
    raw = io.TextIOWrapper(
        io.BytesIO(b'{"type": "bundle", "objects": [{"name": "\xff\xfe"}]}'), encoding="utf-8"
    )
    with pytest.raises(BundleInvalid, match="not UTF-8"):
        list(iter_bundle_objects(raw))
