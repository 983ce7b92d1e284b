"""The queue says why it is in the order it is: each declaration's expected duty (risk x duty),
which ranks those at or above the model's duty line, and what "highest risk first" means."""

from __future__ import annotations

import math
import re

from fastapi.testclient import TestClient
from sqlalchemy import update

from supplyguard.adapters.db.tables import declarations
from supplyguard.api.app import create_app
from supplyguard.services.accounts import create_token
from tests.factories import declaration_data, make_org, make_user, web_login

ROW = re.compile(r'<tr class="lane-[a-z]+">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def _rows(page: str) -> list[list[str]]:
    return [[TAG.sub("", cell).strip() for cell in CELL.findall(row)] for row in ROW.findall(page)]


def test_the_queue_shows_each_declarations_expected_duty_and_explains_its_order(container) -> None:  # type: ignore[no-untyped-def]
    org = make_org(container)
    make_user(container, org, "olga", ("officer",))
    token = create_token(container.uow(), container.clock, None, "olga", "t").token
    # (score, priority, lane); a priority at or above the duty line is 2 + log1p(expected duty),
    # here 0.08 x 99.90 (risk.model.combined_ranking), so BY-DUTY ranks above BY-RISK's 0.95.
    scored = {"BY-DUTY": (0.08, 2.0 + math.log1p(0.08 * 99.9), "yellow"), "BY-RISK": (0.95, 0.95, "red")}
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        for reference in (*scored, "UNSCORED"):
            created = client.post(
                "/v1/declarations",
                json=declaration_data(reference),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 201, created.text
        with container.engine.begin() as conn:
            for reference, (score, priority, lane) in scored.items():
                conn.execute(
                    update(declarations)
                    .where(declarations.c.reference == reference)
                    .values(score=score, priority=priority, lane=lane)
                )
        web_login(client, "olga", "/queue")
        page = client.get("/queue").text
        by_risk = _rows(page)
        assert [row[3] for row in by_risk] == ["BY-DUTY", "BY-RISK", "UNSCORED"]
        duty = [float(row[9].replace(",", "")) for row in by_risk]
        assert duty == [99.9, 99.9, 99.9]  # 1,248.70 at 8 %
        assert [row[:3] for row in by_risk] == [
            ["0.08", "8", "yellow"],  # ranked first by its priority (expected duty at the duty line)
            ["0.95", "95", "red"],
            ["—", "—", "unscored"],
        ]
        assert "Expected duty" in page and 'id="queue-order"' in page
        newest = client.get("/queue?sort=-date").text
        assert 'id="queue-order"' not in newest  # the explanation is of the risk order only
        assert sorted(row[3] for row in _rows(newest)) == ["BY-DUTY", "BY-RISK", "UNSCORED"]
