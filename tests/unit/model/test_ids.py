from __future__ import annotations

import time

from supplyguard.model.ids import new_id


def test_ids_are_uuid_v7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(2000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    millis = ids[0].int >> 80
    assert abs(millis - time.time() * 1000) < 60_000
