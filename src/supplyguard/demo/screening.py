"""The demo's sanctions lists and the parties planted to show screening hits.

Real lists from the shared data folder (``../shared/data/screening`` beside the repository, read
in place, never copied into it) are installed on the demo node: the OFAC SDN list (2021-07), the
OFAC consolidated non-SDN list, the UN Security Council list and the trade.gov CSL sample. Then each
customs administration receives three declarations whose sellers are written as traders misspell
or transliterate real SDN entries:

=============================================  ===========================================
seller on the declaration                      SDN entry it matches
=============================================  ===========================================
Dandong Hong Xiang Industrial Devlopment       DANDONG HONGXIANG INDUSTRIAL DEVELOPMENT
Co., Ltd (CN)                                  CO LTD (spacing, a typo, legal form)
АО Рособоронэкспорт (RU)                       ROSOBORONEKSPORT OAO (Cyrillic script)
Islamic Republic of Iran Shiping Lines (IR)    ISLAMIC REPUBLIC OF IRAN SHIPPING LINES
=============================================  ===========================================

and the parties of every open declaration are screened against the lists (the same re-screening a
list change triggers), so the declaration pages show the hits with their reasons and the queue
carries the screening signals. The generated traders' generic names (``Global Trading Co., Ltd``,
``United Trading Inc.``) also meet generic aliases on the lists, as real traders do: false positives
for the officers to mark. Without the shared data the demo says so and goes on unscreened.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from supplyguard.adapters.lists_store import ListStore
from supplyguard.bootstrap import Container
from supplyguard.demo.world import DemoWorld
from supplyguard.model.organisations import Principal
from supplyguard.services.import_formats import RowInput
from supplyguard.services.imports import import_declarations
from supplyguard.services.screening import build_screener, lists_fingerprint, rescreen_org

DEMO_LISTS = (
    "ofac/sdn-2021-07",
    "ofac/consolidated-2025-12",
    "un/UN_consolidated-2026-02-27.xml",
    "csl/csl-sample-2025.csv",
)
PLANTED_SELLERS = (
    {"code": "S90001", "name": "Dandong Hong Xiang Industrial Devlopment Co., Ltd", "country": "CN"},
    {"code": "S90002", "name": "АО Рособоронэкспорт", "country": "RU"},
    {"code": "S90003", "name": "Islamic Republic of Iran Shiping Lines", "country": "IR"},
)
THRESHOLD = 0.75


def shared_screening_data() -> Path | None:
    """``../shared/data/screening`` beside the repository (or the working directory), if present."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd()):
        folder = base.parent / "shared" / "data" / "screening"
        if folder.is_dir():
            return folder
    return None


def planted_declarations(world: DemoWorld, org_name: str) -> list[dict[str, Any]]:
    """Three copies of the organisation's latest declaration with the planted sellers."""
    declarations = world.declarations.get(org_name, [])
    if not declarations:
        return []
    latest = max(declarations, key=lambda d: (d["declared_on"], d["reference"]))
    planted = []
    for number, seller in enumerate(PLANTED_SELLERS, start=1):
        declaration = copy.deepcopy(latest)
        declaration["reference"] = f"{latest['reference'][:2]}SCREEN{number:02d}"
        declaration["seller"] = dict(seller)
        planted.append(declaration)
    return planted


def load_screening(
    container: Container,
    operator: Principal,
    world: DemoWorld,
    org_name: str,
    step: Callable[[str], None],
) -> None:
    """Install the demo lists (once per node), add the planted declarations, screen open parties."""
    data = shared_screening_data()
    if data is None:
        step(f"{org_name}: no ../shared/data/screening here: sanctions lists not installed, not screened")
        return
    store = ListStore(container.settings.lists_dir)
    for name in DEMO_LISTS:
        path = data / name
        if not path.exists():
            step(f"screening: {path} is missing, skipped")
            continue
        if not any(Path(m.get("source_url") or m["metadata"]["source"]) == path for m in store.manifests()):
            meta = store.install(path, None, container.clock.now())
            step(f"screening: installed {meta.list_id} ({meta.entry_count} entries)")
    if not store.manifests() or not world.declarations.get(org_name):
        return
    rows = [RowInput(n, d) for n, d in enumerate(planted_declarations(world, org_name), start=1)]
    if rows:
        import_declarations(
            container.uow(),
            container.clock,
            container.refdata,
            container.signer,
            operator,
            rows,
            source="demo",
        )
    cache = container.extras.get("demo_screener")
    if cache is None:
        cache = container.extras["demo_screener"] = build_screener(store, THRESHOLD)
    report = rescreen_org(
        container.uow(),
        container.clock,
        cache,
        operator.org_id,
        trigger="demo",
        actor=operator,
        lists=lists_fingerprint(store),
    )
    step(f"{org_name}: screened {report.parties} parties of open declarations, {len(report.added)} hits")
