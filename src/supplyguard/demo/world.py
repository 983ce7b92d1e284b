"""The deterministic demo world: two customs administrations, a carrier, their people and traders,
and about 2,000 declarations over six months with planted fraud patterns.

Everything here is generated from one seed, so two runs describe the same world. Loading it goes
through the real services (:mod:`supplyguard.demo.load`), so the demo exercises the real flows.

Planted patterns (what a good targeting model should find):
- under-valuation: unit value 20–40 % of the HS code's usual price per kg;
- mis-declared origin: steel, aluminium and tiles shipped from CN but declared as VN or MY origin;
- a risky importer network: six importers sharing one customs broker and two sellers, most of whose
  declarations turn out fraudulent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from supplyguard.model.containers import container_check_digit

START = date(2026, 5, 1)
DAYS = 184
OPEN_DAYS = 30  # the last month has no outcomes yet: that is the queue


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    roles: tuple[str, ...]
    display_name: str


@dataclass(frozen=True, slots=True)
class DemoOrg:
    name: str
    country: str
    kind: str
    users: tuple[DemoUser, ...]


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    reference: str
    inspected: bool
    result: str | None
    duty_recovered: float
    notes: str


@dataclass
class DemoWorld:
    orgs: list[DemoOrg]
    #: Inspection capacity per day that suits the demo's volume (about eight declarations a day).
    red_per_day: int = 1
    yellow_per_day: int = 1
    declarations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outcomes: dict[str, list[DemoOutcome]] = field(default_factory=dict)


# HS code -> (usual value per kg, tax rate %, description for the generator's eyes only)
GOODS: dict[str, tuple[float, float]] = {
    "850440": (40.0, 8.0),
    "847130": (150.0, 0.0),
    "610910": (15.0, 13.0),
    "640399": (25.0, 13.0),
    "940360": (5.0, 8.0),
    "300490": (80.0, 0.0),
    "854231": (2000.0, 0.0),
    "220421": (6.0, 15.0),
    "392690": (8.0, 6.5),
    "732690": (6.0, 8.0),
    "401110": (4.0, 8.0),
    "950300": (10.0, 8.0),
    "330499": (30.0, 6.5),
    "851713": (300.0, 0.0),
    "901890": (120.0, 8.0),
    "240220": (60.0, 40.0),
    "721049": (1.0, 8.0),
    "760611": (3.0, 8.0),
    "690722": (0.6, 8.0),
    "080390": (0.8, 30.0),
}
ANTI_DUMPING = ("721049", "760611", "690722")
ORIGINS = ("CN", "VN", "DE", "US", "JP", "KR", "IN", "TR", "IT", "FR", "GB", "TH", "MY", "ID", "BR", "MX")
OWNER_CODES = ("MSK", "MSC", "CMA", "HLX", "ONE", "EGL", "COS", "YML", "ZIM", "HMM")
_ADJ = (
    "Golden",
    "Pacific",
    "Northern",
    "Blue",
    "Silver",
    "Eastern",
    "Royal",
    "Prime",
    "Global",
    "United",
    "Harbor",
    "Summit",
    "Delta",
    "Crown",
    "Orient",
    "Atlas",
    "Evergreen",
    "Sunrise",
    "Nova",
    "Apex",
)
_NOUN = (
    "Trading",
    "Logistics",
    "Imports",
    "Industries",
    "Supply",
    "Commerce",
    "Electronics",
    "Textiles",
    "Foods",
    "Metals",
    "Medical",
    "Distribution",
    "Holdings",
    "Machinery",
    "Retail",
)
_SUFFIX = ("Co., Ltd", "GmbH", "B.V.", "Ltd", "LLC", "S.A.", "Inc.", "Pte Ltd", "JSC", "S.p.A.")


def _container(rng: random.Random) -> str:
    first = rng.choice(OWNER_CODES) + "U" + f"{rng.randrange(10**6):06d}"
    return first + str(container_check_digit(first))


def _company(rng: random.Random) -> str:
    return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_SUFFIX)}"


def _orgs() -> list[DemoOrg]:
    return [
        DemoOrg(
            "Netherlands Customs (demo)",
            "NL",
            "customs",
            (
                DemoUser("nl-officer", "officer-demo-1", ("officer",), "Anna de Vries"),
                DemoUser("nl-analyst", "analyst-demo-1", ("analyst",), "Pieter Jansen"),
                DemoUser("nl-supervisor", "supervisor-demo-1", ("supervisor",), "Sanne Bakker"),
                DemoUser("nl-auditor", "auditor-demo-1", ("auditor",), "Joost Visser"),
                DemoUser("nl-admin", "admin-demo-1", ("admin",), "Node Administrator NL"),
            ),
        ),
        DemoOrg(
            "Korea Customs (demo)",
            "KR",
            "customs",
            (
                DemoUser("kr-officer", "officer-demo-2", ("officer",), "Kim Min-jun"),
                DemoUser("kr-admin", "admin-demo-2", ("admin",), "Node Administrator KR"),
            ),
        ),
        DemoOrg(
            "Oceanic Container Lines (demo)",
            "SG",
            "carrier",
            (DemoUser("ocl-logistics", "logistics-demo-3", ("logistics",), "Tan Wei Ling"),),
        ),
    ]


def _parties(rng: random.Random, country: str, count: int, prefix: str) -> list[dict[str, str]]:
    return [
        {"code": f"{country}{prefix}{index:05d}", "name": _company(rng), "country": country}
        for index in range(count)
    ]


def generate_world(seed: int = 2026, declarations_total: int = 2000) -> DemoWorld:
    rng = random.Random(seed)
    world = DemoWorld(orgs=_orgs())
    shares = {"Netherlands Customs (demo)": 0.7, "Korea Customs (demo)": 0.3}
    for org in world.orgs:
        if org.kind != "customs":
            continue
        count = round(declarations_total * shares[org.name])
        decls, outcomes = _declarations_for(rng, org.country, count)
        world.declarations[org.name] = decls
        world.outcomes[org.name] = outcomes
    return world


def _declarations_for(
    rng: random.Random, country: str, count: int
) -> tuple[list[dict[str, Any]], list[DemoOutcome]]:
    importers = _parties(rng, country, 120, "I")
    declarants = _parties(rng, country, 25, "D")
    sellers = [
        {"code": f"S{index:05d}", "name": _company(rng), "country": rng.choice(ORIGINS)}
        for index in range(150)
    ]
    network_importers = importers[:6]
    network_broker = {"code": f"{country}D99999", "name": "Redhawk Customs Brokerage Ltd", "country": country}
    network_sellers = [
        {"code": "S99990", "name": "Shenzhen Brightway Export Co., Ltd", "country": "CN"},
        {"code": "S99991", "name": "Hai Phong Star Trading JSC", "country": "VN"},
    ]
    offices = ("10", "20", "30", "40")
    today_cutoff = START + timedelta(days=DAYS - OPEN_DAYS)
    declarations: list[dict[str, Any]] = []
    outcomes: list[DemoOutcome] = []
    for index in range(count):
        declared_on = START + timedelta(days=rng.randrange(DAYS))
        pattern = "none"
        roll = rng.random()
        if roll < 0.05:
            pattern = "network"
        elif roll < 0.09:
            pattern = "undervaluation"
        elif roll < 0.12:
            pattern = "origin"
        hs_code = rng.choice(ANTI_DUMPING) if pattern == "origin" else rng.choice(list(GOODS))
        unit_value, tax_rate = GOODS[hs_code]
        origin = rng.choice(ORIGINS)
        departure = origin if rng.random() < 0.8 else rng.choice(ORIGINS)
        importer = rng.choice(importers[6:])
        declarant = rng.choice(declarants)
        seller = rng.choice(sellers)
        if pattern == "network":
            importer = rng.choice(network_importers)
            declarant = network_broker
            seller = rng.choice(network_sellers)
            origin = seller["country"]
            departure = "CN"
        if pattern == "origin":
            origin = rng.choice(("VN", "MY"))
            departure = "CN"
        mass = round(rng.lognormvariate(6.0, 1.2), 1)
        price_factor = rng.lognormvariate(0.0, 0.25)
        if pattern in ("undervaluation", "network"):
            price_factor *= rng.uniform(0.2, 0.4)
        value = round(mass * unit_value * price_factor, 2)
        mode = "10" if rng.random() < 0.6 else "40"
        containers = [_container(rng) for _ in range(rng.randint(1, 3))] if mode == "10" else []
        reference = f"{country}{declared_on:%y%m%d}{index:05d}"
        declarations.append(
            {
                "reference": reference,
                "declared_on": declared_on.isoformat(),
                "office_id": rng.choice(offices),
                "transport_mode": mode,
                "process_type": "B",
                "import_type": "11",
                "import_use": "21",
                "payment_type": "11",
                "importer": importer,
                "declarant": declarant,
                "seller": seller,
                "containers": containers,
                "items": [
                    {
                        "hs_code": hs_code,
                        "origin_country": origin,
                        "departure_country": departure,
                        "net_mass_kg": mass,
                        "value": value,
                        "tax_rate_pct": tax_rate,
                        "tax_type": "A",
                    }
                ],
            }
        )
        if declared_on < today_cutoff and rng.random() >= 0.3:
            outcomes.append(DemoOutcome(reference, False, None, 0.0, "released without inspection"))
        elif declared_on < today_cutoff:
            fraud_chance = {"network": 0.8, "undervaluation": 0.85, "origin": 0.75}.get(pattern, 0.03)
            fraud = rng.random() < fraud_chance
            duty = value * tax_rate / 100
            result = ("critical_fraud" if rng.random() < 0.1 else "fraud") if fraud else "compliant"
            notes = (
                {
                    "network": "invoice values inconsistent with supplier price lists",
                    "undervaluation": "declared value far below market price",
                    "origin": "certificate of origin not credible; goods loaded in CN",
                }.get(pattern, "random check")
                if fraud
                else "documents and goods in order"
            )
            outcomes.append(DemoOutcome(reference, True, result, round(duty * 2, 2) if fraud else 0.0, notes))
    return declarations, outcomes
