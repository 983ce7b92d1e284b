"""EpcisEvent's own __init__ (fields stored through their slots) behaves as the dataclass's would."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import UTC, datetime

import pytest

from supplyguard.tracking.epcis_model import EpcisEvent

WHEN = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_every_field_is_set_from_its_argument_or_its_default() -> None:
    event = EpcisEvent(
        "ObjectEvent", {"a": 1}, {}, "ni:///x", WHEN, "+00:00", epcs=("urn:e:1",), action="ADD"
    )
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(EpcisEvent)}
    defaults = {
        f.name: f.default for f in dataclasses.fields(EpcisEvent) if f.default is not dataclasses.MISSING
    }
    given = {
        "event_type": "ObjectEvent",
        "body": {"a": 1},
        "namespaces": {},
        "event_hash": "ni:///x",
        "event_time": WHEN,
        "event_time_zone_offset": "+00:00",
        "epcs": ("urn:e:1",),
        "action": "ADD",
    }
    assert values == defaults | given
    assert list(inspect.signature(EpcisEvent).parameters) == [f.name for f in dataclasses.fields(EpcisEvent)]


def test_it_stays_frozen_comparable_replaceable_and_picklable() -> None:
    event = EpcisEvent("ObjectEvent", {}, {}, "ni:///x", WHEN, "+00:00")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.action = "ADD"  # type: ignore[misc]
    changed = dataclasses.replace(event, action="ADD")
    assert changed == EpcisEvent("ObjectEvent", {}, {}, "ni:///x", WHEN, "+00:00", action="ADD") != event
    assert pickle.loads(pickle.dumps(changed)) == changed  # noqa: S301 (our own bytes)
    with pytest.raises(TypeError):
        EpcisEvent("ObjectEvent", {}, {}, "ni:///x", WHEN)  # type: ignore[call-arg]
