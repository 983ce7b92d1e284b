"""A seeded generator of realistic multi-tier supply networks, for benchmarks, tests and demos.

Tiers: component suppliers -> plants (bills of materials) -> ports (some sea lanes cross Suez or
Malacca) -> depots (holding stock) -> demand points; power and communications assets with
dependants; a few alternative sources. About 2.3 LP columns per node.
"""

from __future__ import annotations

import numpy as np

from supplyguard.resilience.loader import parse_network
from supplyguard.resilience.model import Network


def synthetic_network(n_sites: int = 1000, *, seed: int = 7, name: str | None = None) -> Network:
    """A network of about ``n_sites`` sites (at least 20), the same for the same seed."""
    rng = np.random.default_rng(seed)
    n_sites = max(20, n_sites)
    n_products = max(2, n_sites // 250)
    n_sup = int(n_sites * 0.40)
    n_plant = max(n_products, int(n_sites * 0.10))
    n_port = max(2, int(n_sites * 0.05))
    n_depot = max(n_products, int(n_sites * 0.15))
    n_dem = max(n_products, n_sites - n_sup - n_plant - n_port - n_depot)
    finished = [f"F{j}" for j in range(n_products)]
    components = [f"C{j}" for j in range(2 * n_products)]
    products: list[dict[str, object]] = [
        {
            "id": f,
            "margin": float(rng.integers(500, 5000)),
            "holding_cost": float(rng.integers(5, 50)),
            "demand_sd": 0.0,
            "bom": {components[2 * j]: 1, components[2 * j + 1]: 2},
        }
        for j, f in enumerate(finished)
    ] + [{"id": c, "margin": 0.0} for c in components]
    sites: list[dict[str, object]] = []
    lanes: list[dict[str, object]] = []
    demand_per_product = {f: 0.0 for f in finished}
    dem_product = [finished[i % n_products] for i in range(n_dem)]
    for i in range(n_dem):
        units = float(rng.integers(5, 40))
        demand_per_product[dem_product[i]] += units
        sites.append({"id": f"D{i}", "kind": "demand", "demand": {dem_product[i]: units}})
    plant_product = [finished[i % n_products] for i in range(n_plant)]
    plants_of = {f: [i for i in range(n_plant) if plant_product[i] == f] for f in finished}
    for i in range(n_plant):
        f = plant_product[i]
        share = demand_per_product[f] / len(plants_of[f])
        sites.append(
            {
                "id": f"PL{i}",
                "kind": "plant",
                "makes": [f],
                "ttr": float(rng.integers(2, 9)),
                "capacity": round(share * float(rng.uniform(1.2, 1.6)), 1),
            }
        )
    comp_plants = {c: plants_of[finished[j // 2]] for j, c in enumerate(components)}
    for i in range(n_sup):
        c = components[i % len(components)]
        need = 3.0  # generous: each supplier covers a share of its plants' component needs
        sites.append(
            {
                "id": f"SU{i}",
                "kind": "supplier",
                "makes": [c],
                "ttr": float(rng.integers(1, 13)),
                "capacity": round(float(rng.uniform(20, 60)) * need, 1),
            }
        )
        owners = comp_plants[c]
        plant = owners[(i // len(components)) % len(owners)]  # spread suppliers evenly over plants
        lanes.append(
            {
                "id": f"L-SU{i}",
                "from": f"SU{i}",
                "to": f"PL{plant}",
                "mode": "road",
                "lead_time_days": float(rng.integers(1, 5)),
            }
        )
    port_products: dict[int, set[str]] = {p: set() for p in range(n_port)}
    for i in range(n_plant):
        for port in rng.choice(n_port, size=min(2, n_port), replace=False):
            port = int(port)
            port_products[port].add(plant_product[i])
            lane: dict[str, object] = {
                "id": f"L-PL{i}-PO{port}",
                "from": f"PL{i}",
                "to": f"PO{port}",
                "mode": "sea",
                "lead_time_days": float(rng.integers(15, 40)),
            }
            roll = rng.random()
            if roll < 0.3:
                lane["passages"] = {"suez": float(rng.integers(8, 14))}
            elif roll < 0.45:
                lane["passages"] = {"malacca": None if rng.random() < 0.3 else float(rng.integers(2, 5))}
            lanes.append(lane)
    for p in range(n_port):
        sites.append(
            {
                "id": f"PO{p}",
                "kind": "port",
                "ttr": float(rng.integers(1, 5)),
                "capacity": round(sum(demand_per_product.values()) / n_port * 4.0, 1),
            }
        )
    depot_product = [finished[i % n_products] for i in range(n_depot)]
    depots_of = {f: [i for i in range(n_depot) if depot_product[i] == f] for f in finished}
    for i in range(n_depot):
        f = depot_product[i]
        sites.append(
            {
                "id": f"DE{i}",
                "kind": "depot",
                "ttr": float(rng.integers(1, 6)),
                "stock": {f: float(rng.integers(0, 60))},
            }
        )
        sources = [p for p in range(n_port) if f in port_products[p]]
        for p in rng.choice(sources, size=min(2, len(sources)), replace=False) if sources else []:
            lanes.append(
                {
                    "id": f"L-PO{int(p)}-DE{i}",
                    "from": f"PO{int(p)}",
                    "to": f"DE{i}",
                    "mode": "rail",
                    "products": [f],
                }
            )
        if not sources:
            lanes.append(
                {"id": f"L-PL-DE{i}", "from": f"PL{plants_of[f][0]}", "to": f"DE{i}", "mode": "road"}
            )
    for i in range(n_dem):
        f = dem_product[i]
        options = depots_of[f]
        k = 1 if rng.random() < 0.5 else min(2, len(options))
        for d in rng.choice(options, size=k, replace=False):
            lanes.append({"id": f"L-DE{int(d)}-D{i}", "from": f"DE{int(d)}", "to": f"D{i}", "mode": "road"})
    alternatives = [
        {
            "id": f"ALT-{f}",
            "site": f"DE{depots_of[f][0]}",
            "product": f,
            "capacity": round(demand_per_product[f] * 0.1, 1),
            "unit_cost": 800.0,
            "activation_periods": 1.0,
        }
        for f in finished
    ]
    non_demand = [str(s["id"]) for s in sites if s["kind"] != "demand"]
    n_grid = max(1, n_sites // 100)
    assets: list[dict[str, object]] = []
    for g in range(n_grid):
        members = rng.choice(non_demand, size=min(10, len(non_demand)), replace=False)
        assets.append(
            {
                "id": f"GRID{g}",
                "kind": "power",
                "ttr": float(rng.integers(1, 4)),
                "dependants": [str(m) for m in members],
                "assets": [f"TEL{g}"],
            }
        )
        members = rng.choice(non_demand, size=min(5, len(non_demand)), replace=False)
        assets.append(
            {"id": f"TEL{g}", "kind": "communications", "ttr": 1.0, "dependants": [str(m) for m in members]}
        )
    document = {
        "name": name or f"synthetic-{n_sites}-{seed}",
        "defaults": {"ttr": 2},
        "passages": {"suez": 8, "malacca": 3},
        "products": products,
        "sites": sites,
        "lanes": lanes,
        "alternatives": alternatives,
        "assets": assets,
    }
    return parse_network(document)
