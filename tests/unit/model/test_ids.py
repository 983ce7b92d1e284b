from __future__ import annotations

import time
import uuid

from supplyguard.model.ids import new_id, new_id_ints


def test_ids_are_uuid_v7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(2000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    millis = ids[0].int >> 80
    assert abs(millis - time.time() * 1000) < 60_000


def test_ids_made_in_bulk_follow_on_from_single_ones() -> None:
    ids = [new_id(), *(uuid.UUID(int=v) for v in new_id_ints(9000)), new_id()]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)  # 9,000 > 4,096 a millisecond: the counter runs into the next ones
    assert len(set(ids)) == len(ids)
    assert abs((ids[-1].int >> 80) - time.time() * 1000) < 60_000
    assert new_id_ints(0) == []
