from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supplyguard.errors import ValidationFailed
from supplyguard.tracking import FilterConfig, Position, PositionFilter, filter_position, position_from_dict

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def at(minutes: float, lat: float = 51.9, lon: float = 4.1) -> Position:
    return Position("TRK-1", NOW + timedelta(minutes=minutes), lat, lon)


def test_message_is_read_with_its_optional_sensors() -> None:
    position = position_from_dict(
        {"device_id": "TRK-1", "time": "2026-03-01T13:00:00+01:00", "lat": 51.9, "lon": 4.1,
         "temperature_c": 4.5, "door_open": False, "seal_intact": True}
    )  # fmt: skip
    assert position.time == NOW
    assert position.temperature_c == 4.5
    assert position.door_open is False


def test_bad_message_fields_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        position_from_dict(
            {"device_id": "", "time": "noon", "lat": "51", "speed_kmh": True, "door_open": "yes"}
        )
    assert {e.location for e in caught.value.errors} == {
        ("device_id",), ("time",), ("lat",), ("lon",), ("speed_kmh",), ("door_open",)
    }  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device_id", "TRK\ud800"),
        ("device_id", "TRK\x00-1"),
        ("message_id", "m\udfff"),
        ("message_id", "m\n"),
    ],
    ids=["lone surrogate", "control character", "surrogate message id", "newline message id"],
)
def test_identifiers_must_be_printable_text(field: str, value: str) -> None:
    # a lone surrogate (JSON "\ud800") cannot be stored as UTF-8: refused here, not by the database
    message = {"device_id": "TRK-1", "time": "2026-03-01T10:00:00Z", "lat": 51.9, "lon": 4.1, field: value}
    with pytest.raises(ValidationFailed) as caught:
        position_from_dict(message)
    assert [e.location for e in caught.value.errors] == [(field,)]


@pytest.mark.parametrize(
    ("position", "code"),
    [
        (at(1, lat=91.0), "invalid"),
        (at(1, lon=-181.0), "invalid"),
        (at(1, lat=0.0, lon=0.0), "zero"),
        (at(0), "duplicate"),
        (at(-5), "out_of_order"),
        (at(1, lat=53.9), "speed"),
        (at(60 * 24), "future"),
    ],
)
def test_each_filter_refuses_with_its_reason(position: Position, code: str) -> None:
    rejection = filter_position(position, at(0), FilterConfig(max_speed_kmh=300), NOW)
    assert rejection is not None
    assert rejection.code == code
    assert rejection.reason


def test_plausible_position_is_kept_and_filters_can_be_turned_off() -> None:
    assert filter_position(at(10, lat=51.95), at(0), FilterConfig(), NOW) is None
    assert filter_position(at(1, lat=0.0, lon=0.0), None, FilterConfig(zero=False), NOW) is None


def test_stateful_filter_counts_rejections() -> None:
    stream = PositionFilter(FilterConfig())
    kept = [p for p in (at(0), at(0), at(2), at(1), at(3, lat=0, lon=0)) if stream.check(p, NOW) is None]
    assert [p.time for p in kept] == [at(0).time, at(2).time]
    assert stream.rejected == {"duplicate": 1, "out_of_order": 1, "zero": 1}
