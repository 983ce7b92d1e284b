"""Build a validated :class:`Network` from a YAML document, a mapping, or CSV tables.

Every problem found is reported at once as a :class:`ValidationFailed` whose field errors carry a
location such as ``("lanes", 3, "to")``: unknown sites or products, duplicate ids, negative
capacities, cycles in bills of materials, unknown sea passages, unknown fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience.model import (
    ASSET_KINDS,
    LANE_MODES,
    SITE_KINDS,
    AlternativeSource,
    InfrastructureAsset,
    Lane,
    LaneMode,
    Network,
    Product,
    ScenarioSpec,
    Site,
)
from supplyguard.resilience.passages import canonical_passage

Loc = tuple[str | int, ...]

_TOP = {
    "name",
    "period_days",
    "defaults",
    "products",
    "sites",
    "lanes",
    "alternatives",
    "assets",
    "scenarios",
    "passages",
    "sites_csv",
    "lanes_csv",
}
_SITE = {
    "id",
    "kind",
    "name",
    "capacity",
    "ttr",
    "makes",
    "stock",
    "demand",
    "lat",
    "lon",
    "country",
    "port_code",
}
_PRODUCT = {"id", "name", "margin", "priority", "holding_cost", "demand_sd", "bom"}
_LANE = {"id", "from", "to", "mode", "lead_time_days", "capacity", "products", "ttr", "passages"}
_ALT = {"id", "site", "product", "capacity", "unit_cost", "activation_periods"}
_ASSET = {"id", "kind", "name", "ttr", "dependants", "assets", "lat", "lon"}
_SCENARIO = {"id", "sites", "lanes", "assets", "passages", "ttr", "probability"}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, loc: Loc, message: str) -> None:
        self.errors.append(FieldError(loc, message))

    def keys(self, item: Mapping[str, Any], allowed: set[str], loc: Loc) -> None:
        for key in item:
            if key not in allowed:
                self.fail((*loc, str(key)), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def text(self, item: Mapping[str, Any], key: str, loc: Loc, required: bool = False) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.fail((*loc, key), "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail((*loc, key), "must be a string")
            return None
        text = str(value).strip()
        if required and not text:
            self.fail((*loc, key), "must not be empty")
        return text

    def number(
        self,
        item: Mapping[str, Any],
        key: str,
        loc: Loc,
        *,
        positive: bool = False,
        upper: float | None = None,
    ) -> float | None:
        value = item.get(key)
        if value is None or value == "":
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            self.fail((*loc, key), f"must be a number, got {value!r}")
            return None
        if number != number or number in (float("inf"), float("-inf")):
            self.fail((*loc, key), "must be finite")
            return None
        if number < 0 or (positive and number == 0):
            self.fail((*loc, key), f"must be {'positive' if positive else 'non-negative'}, got {number:g}")
            return None
        if upper is not None and number > upper:
            self.fail((*loc, key), f"must be at most {upper:g}, got {number:g}")
            return None
        return number

    def quantities(
        self, item: Mapping[str, Any], key: str, loc: Loc, positive: bool = False
    ) -> dict[str, float]:
        value = item.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail((*loc, key), "must be a mapping of product id to quantity")
            return {}
        out: dict[str, float] = {}
        for name, _quantity in value.items():
            number = self.number(value, name, (*loc, key), positive=positive)
            if number is not None:
                out[str(name)] = number
        return out

    def ids(self, item: Mapping[str, Any], key: str, loc: Loc) -> tuple[str, ...]:
        value = item.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        if not isinstance(value, Sequence):
            self.fail((*loc, key), "must be a list of ids")
            return ()
        return tuple(str(v).strip() for v in value)

    def records(self, document: Mapping[str, Any], key: str) -> list[tuple[Loc, Mapping[str, Any]]]:
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail((key,), "must be a list")
            return []
        out: list[tuple[Loc, Mapping[str, Any]]] = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                self.fail((key, index), "must be a mapping")
            else:
                out.append(((key, index), item))
        return out

    def unique(self, records: list[tuple[Loc, Mapping[str, Any]]], what: str) -> None:
        seen: dict[str, Loc] = {}
        for loc, item in records:
            ident = item.get("id")
            if ident is None:
                continue
            ident = str(ident)
            if ident in seen:
                self.fail(
                    (*loc, "id"),
                    f"duplicate {what} id {ident!r} (first at {'.'.join(map(str, seen[ident]))})",
                )
            else:
                seen[ident] = loc


def _bom_cycle(boms: dict[str, dict[str, float]]) -> list[str] | None:
    """A cycle in the bills of materials as a list of product ids, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in boms.get(node, {}):
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if state.get(child) is None:
                found = visit(child)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for product in boms:
        if state.get(product) is None:
            found = visit(product)
            if found:
                return found
    return None


def parse_network(document: Mapping[str, Any], *, default_name: str = "network") -> Network:
    """Validate a network document (the parsed YAML) and build the :class:`Network`."""
    if not isinstance(document, Mapping):
        raise ValidationFailed([FieldError((), "the network document must be a mapping")])
    c = _Checker()
    c.keys(document, _TOP, ())
    name = c.text(document, "name", ()) or default_name
    period_days = c.number(document, "period_days", (), positive=True) or 7.0
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        c.fail(("defaults",), "must be a mapping")
        defaults = {}
    c.keys(defaults, {"ttr"}, ("defaults",))
    default_ttr = c.number(defaults, "ttr", ("defaults",))
    passage_ttr_raw = document.get("passages") or {}
    passage_ttr: dict[str, float] = {}
    if isinstance(passage_ttr_raw, Mapping):
        for pname in passage_ttr_raw:
            canonical = canonical_passage(str(pname))
            if canonical is None:
                c.fail(("passages", str(pname)), "unknown sea passage")
                continue
            value = c.number(passage_ttr_raw, pname, ("passages",))
            if value is not None:
                passage_ttr[canonical] = value
    else:
        c.fail(("passages",), "must be a mapping of passage to time to recover")

    product_recs = c.records(document, "products")
    site_recs = c.records(document, "sites")
    lane_recs = c.records(document, "lanes")
    alt_recs = c.records(document, "alternatives")
    asset_recs = c.records(document, "assets")
    scenario_recs = c.records(document, "scenarios")
    for recs, what in (
        (product_recs, "product"),
        (site_recs, "site"),
        (lane_recs, "lane"),
        (alt_recs, "alternative"),
        (asset_recs, "asset"),
        (scenario_recs, "scenario"),
    ):
        c.unique(recs, what)
    if not product_recs:
        c.fail(("products",), "at least one product is required")
    if not site_recs:
        c.fail(("sites",), "at least one site is required")

    product_ids = {str(item["id"]) for _, item in product_recs if item.get("id") is not None}
    site_ids = {str(item["id"]) for _, item in site_recs if item.get("id") is not None}
    lane_ids = {str(item["id"]) for _, item in lane_recs if item.get("id") is not None}
    asset_ids = {str(item["id"]) for _, item in asset_recs if item.get("id") is not None}

    def known(ids: Sequence[str], pool: set[str], loc: Loc, what: str) -> None:
        for index, ident in enumerate(ids):
            if ident not in pool:
                c.fail((*loc, index), f"unknown {what} {ident!r}")

    def known_keys(mapping: Mapping[str, float], pool: set[str], loc: Loc, what: str) -> None:
        for ident in mapping:
            if ident not in pool:
                c.fail((*loc, ident), f"unknown {what} {ident!r}")

    products: list[Product] = []
    boms: dict[str, dict[str, float]] = {}
    for loc, item in product_recs:
        c.keys(item, _PRODUCT, loc)
        pid = c.text(item, "id", loc, required=True)
        bom = c.quantities(item, "bom", loc, positive=True)
        known_keys(bom, product_ids, (*loc, "bom"), "product")
        if pid is None:
            continue
        boms[pid] = bom
        products.append(
            Product(
                id=pid,
                name=c.text(item, "name", loc) or pid,
                margin=c.number(item, "margin", loc),
                priority=c.number(item, "priority", loc),
                holding_cost=c.number(item, "holding_cost", loc) or 0.0,
                demand_sd=c.number(item, "demand_sd", loc) or 0.0,
                bom=bom,
            )
        )
    cycle = _bom_cycle(boms)
    if cycle:
        c.fail(("products",), "cycle in bills of materials: " + " -> ".join(cycle))

    sites: list[Site] = []
    for loc, item in site_recs:
        c.keys(item, _SITE, loc)
        sid = c.text(item, "id", loc, required=True)
        kind = c.text(item, "kind", loc, required=True)
        if kind is not None and kind not in SITE_KINDS:
            c.fail((*loc, "kind"), f"must be one of {', '.join(SITE_KINDS)}, got {kind!r}")
        makes = c.ids(item, "makes", loc)
        known(makes, product_ids, (*loc, "makes"), "product")
        stock = c.quantities(item, "stock", loc)
        demand = c.quantities(item, "demand", loc)
        known_keys(stock, product_ids, (*loc, "stock"), "product")
        known_keys(demand, product_ids, (*loc, "demand"), "product")
        lat = item.get("lat")
        lon = item.get("lon")
        if lat is not None and not (isinstance(lat, int | float) and -90 <= lat <= 90):
            c.fail((*loc, "lat"), "must be a latitude between -90 and 90")
        if lon is not None and not (isinstance(lon, int | float) and -180 <= lon <= 180):
            c.fail((*loc, "lon"), "must be a longitude between -180 and 180")
        site_capacity = c.number(item, "capacity", loc)
        site_ttr = c.number(item, "ttr", loc)
        if sid is None or kind not in SITE_KINDS:
            continue
        sites.append(
            Site(
                id=sid,
                kind=kind,
                name=c.text(item, "name", loc) or sid,
                capacity=site_capacity,
                ttr=site_ttr,
                makes=makes,
                stock=stock,
                demand=demand,
                lat=float(lat) if isinstance(lat, int | float) else None,
                lon=float(lon) if isinstance(lon, int | float) else None,
                country=c.text(item, "country", loc),
                port_code=c.text(item, "port_code", loc),
            )
        )

    lanes: list[Lane] = []
    for loc, item in lane_recs:
        c.keys(item, _LANE, loc)
        lid = c.text(item, "id", loc, required=True)
        origin = c.text(item, "from", loc, required=True)
        destination = c.text(item, "to", loc, required=True)
        for end_key, end in (("from", origin), ("to", destination)):
            if end is not None and end not in site_ids:
                c.fail((*loc, end_key), f"unknown site {end!r}")
        if origin is not None and origin == destination:
            c.fail((*loc, "to"), "a lane must join two different sites")
        mode = c.text(item, "mode", loc) or "road"
        if mode not in LANE_MODES:
            c.fail((*loc, "mode"), f"must be one of {', '.join(LANE_MODES)}, got {mode!r}")
        lane_products = c.ids(item, "products", loc)
        known(lane_products, product_ids, (*loc, "products"), "product")
        passages_raw = item.get("passages") or {}
        passages: dict[str, float | None] = {}
        if isinstance(passages_raw, list | tuple | str):
            passages_raw = {p: None for p in c.ids(item, "passages", loc)}
        if isinstance(passages_raw, Mapping):
            for pname, added in passages_raw.items():
                canonical = canonical_passage(str(pname))
                if canonical is None:
                    c.fail((*loc, "passages", str(pname)), "unknown sea passage")
                    continue
                passages[canonical] = (
                    None if added is None else c.number(passages_raw, pname, (*loc, "passages"))
                )
        else:
            c.fail((*loc, "passages"), "must be a list of passages or a mapping passage -> added days")
        lead_time = c.number(item, "lead_time_days", loc) or 0.0
        lane_capacity = c.number(item, "capacity", loc)
        lane_ttr = c.number(item, "ttr", loc)
        if lid is None or origin is None or destination is None:
            continue
        lanes.append(
            Lane(
                id=lid,
                origin=origin,
                destination=destination,
                mode=cast(LaneMode, mode),
                lead_time_days=lead_time,
                capacity=lane_capacity,
                products=lane_products,
                ttr=lane_ttr,
                passages=passages,
            )
        )

    alternatives: list[AlternativeSource] = []
    for loc, item in alt_recs:
        c.keys(item, _ALT, loc)
        aid = c.text(item, "id", loc, required=True)
        site = c.text(item, "site", loc, required=True)
        product = c.text(item, "product", loc, required=True)
        if site is not None and site not in site_ids:
            c.fail((*loc, "site"), f"unknown site {site!r}")
        if product is not None and product not in product_ids:
            c.fail((*loc, "product"), f"unknown product {product!r}")
        capacity = c.number(item, "capacity", loc)
        if capacity is None and "capacity" not in item:
            c.fail((*loc, "capacity"), "is required")
        unit_cost = c.number(item, "unit_cost", loc) or 0.0
        activation = c.number(item, "activation_periods", loc) or 0.0
        if aid is None or site is None or product is None or capacity is None:
            continue
        alternatives.append(
            AlternativeSource(
                id=aid,
                site=site,
                product=product,
                capacity=capacity,
                unit_cost=unit_cost,
                activation_periods=activation,
            )
        )

    assets: list[InfrastructureAsset] = []
    for loc, item in asset_recs:
        c.keys(item, _ASSET, loc)
        aid = c.text(item, "id", loc, required=True)
        kind = c.text(item, "kind", loc, required=True)
        if kind is not None and kind not in ASSET_KINDS:
            c.fail((*loc, "kind"), f"must be one of {', '.join(ASSET_KINDS)}, got {kind!r}")
        dependants = c.ids(item, "dependants", loc)
        known(dependants, site_ids, (*loc, "dependants"), "site")
        sub_assets = c.ids(item, "assets", loc)
        known(sub_assets, asset_ids, (*loc, "assets"), "asset")
        asset_ttr = c.number(item, "ttr", loc)
        if aid is None or kind not in ASSET_KINDS:
            continue
        assets.append(
            InfrastructureAsset(
                id=aid,
                kind=kind,
                name=c.text(item, "name", loc) or aid,
                ttr=asset_ttr,
                dependants=dependants,
                assets=sub_assets,
                lat=float(item["lat"]) if isinstance(item.get("lat"), int | float) else None,
                lon=float(item["lon"]) if isinstance(item.get("lon"), int | float) else None,
            )
        )

    scenarios: list[ScenarioSpec] = []
    for loc, item in scenario_recs:
        c.keys(item, _SCENARIO, loc)
        sid = c.text(item, "id", loc, required=True)
        s_sites = c.ids(item, "sites", loc)
        s_lanes = c.ids(item, "lanes", loc)
        s_assets = c.ids(item, "assets", loc)
        known(s_sites, site_ids, (*loc, "sites"), "site")
        known(s_lanes, lane_ids, (*loc, "lanes"), "lane")
        known(s_assets, asset_ids, (*loc, "assets"), "asset")
        s_passages: list[str] = []
        for index, pname in enumerate(c.ids(item, "passages", loc)):
            canonical = canonical_passage(pname)
            if canonical is None:
                c.fail((*loc, "passages", index), f"unknown sea passage {pname!r}")
            else:
                s_passages.append(canonical)
        if not (s_sites or s_lanes or s_assets or s_passages):
            c.fail(loc, "a scenario must disrupt at least one site, lane, asset or passage")
        if sid is None:
            continue
        scenarios.append(
            ScenarioSpec(
                id=sid,
                sites=s_sites,
                lanes=s_lanes,
                assets=s_assets,
                passages=tuple(s_passages),
                ttr=c.number(item, "ttr", loc),
                probability=c.number(item, "probability", loc, upper=1.0),
            )
        )

    if c.errors:
        raise ValidationFailed(c.errors)
    return Network(
        name=name,
        sites=tuple(sites),
        products=tuple(products),
        lanes=tuple(lanes),
        alternatives=tuple(alternatives),
        assets=tuple(assets),
        scenarios=tuple(scenarios),
        default_ttr=default_ttr if default_ttr is not None else 1.0,
        period_days=period_days,
        passage_ttr=passage_ttr,
    )
