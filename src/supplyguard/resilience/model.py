"""The supply network: sites, products, lanes, alternative sources and critical infrastructure.

All values are frozen, slotted dataclasses; a :class:`Network` is built (and validated) by
:mod:`supplyguard.resilience.loader`. Quantities are in units per *period* (``period_days`` days,
a week by default); times to recover are in periods; lane lead times are in days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

SiteKind = Literal["supplier", "plant", "port", "depot", "demand"]
SITE_KINDS: tuple[SiteKind, ...] = ("supplier", "plant", "port", "depot", "demand")
AssetKind = Literal["power", "water", "communications", "transport"]
ASSET_KINDS: tuple[AssetKind, ...] = ("power", "water", "communications", "transport")
LaneMode = Literal["sea", "road", "rail", "air", "inland-water", "pipeline"]
LANE_MODES: tuple[LaneMode, ...] = ("sea", "road", "rail", "air", "inland-water", "pipeline")


def _frozen(mapping: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Site:
    """A node of the network. ``capacity`` is units per period (``None``: unlimited).

    For a site that makes products, capacity bounds its total production; for any other site it
    bounds its throughput (total outgoing shipments). ``stock`` is on-hand units per product.
    """

    id: str
    kind: SiteKind
    name: str = ""
    capacity: float | None = None
    ttr: float | None = None
    makes: tuple[str, ...] = ()
    stock: Mapping[str, float] = field(default_factory=lambda: _frozen(None))
    demand: Mapping[str, float] = field(default_factory=lambda: _frozen(None))
    lat: float | None = None
    lon: float | None = None
    country: str | None = None
    port_code: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """A product or part. Loss per unmet unit is ``margin`` or, without a margin, ``priority``."""

    id: str
    name: str = ""
    margin: float | None = None
    priority: float | None = None
    holding_cost: float = 0.0
    demand_sd: float = 0.0
    bom: Mapping[str, float] = field(default_factory=lambda: _frozen(None))

    @property
    def loss_weight(self) -> float:
        if self.margin is not None:
            return self.margin
        return self.priority if self.priority is not None else 1.0


@dataclass(frozen=True, slots=True)
class Lane:
    """A directed transport link. ``passages`` maps each sea passage the lane crosses to the
    days added by the detour when it closes (``None``: no detour, the lane stops)."""

    id: str
    origin: str
    destination: str
    mode: LaneMode = "road"
    lead_time_days: float = 0.0
    capacity: float | None = None
    products: tuple[str, ...] = ()
    ttr: float | None = None
    passages: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class AlternativeSource:
    """A qualified back-up supply of ``product`` delivered at ``site``, used only in contingencies.

    It delivers ``capacity`` units per period after ``activation_periods``, each unit costing
    ``unit_cost`` more than the normal source.
    """

    id: str
    site: str
    product: str
    capacity: float
    unit_cost: float = 0.0
    activation_periods: float = 0.0


@dataclass(frozen=True, slots=True)
class InfrastructureAsset:
    """Critical infrastructure (power, water, communications, transport) that sites depend on.

    ``dependants`` are site ids; ``assets`` are other assets that fail when this one fails (a power
    outage taking down a telecom exchange), so outages cascade transitively.
    """

    id: str
    kind: AssetKind
    name: str = ""
    ttr: float | None = None
    dependants: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A named disruption: any combination of sites, lanes, assets and sea passages.

    ``ttr`` overrides the time to recover (periods); otherwise it is the longest of the parts.
    """

    id: str
    sites: tuple[str, ...] = ()
    lanes: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()
    ttr: float | None = None
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class Network:
    """A validated supply network (see :func:`supplyguard.resilience.loader.load_network`)."""

    name: str
    sites: tuple[Site, ...]
    products: tuple[Product, ...]
    lanes: tuple[Lane, ...] = ()
    alternatives: tuple[AlternativeSource, ...] = ()
    assets: tuple[InfrastructureAsset, ...] = ()
    scenarios: tuple[ScenarioSpec, ...] = ()
    default_ttr: float = 1.0
    period_days: float = 7.0
    passage_ttr: Mapping[str, float] = field(default_factory=lambda: _frozen(None))

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def product(self, product_id: str) -> Product:
        for product in self.products:
            if product.id == product_id:
                return product
        raise KeyError(product_id)

    def site_ttr(self, site: Site) -> float:
        return site.ttr if site.ttr is not None else self.default_ttr

    def total_demand(self) -> dict[str, float]:
        """Demand per product per period over all sites."""
        totals: dict[str, float] = {p.id: 0.0 for p in self.products}
        for site in self.sites:
            for product_id, units in site.demand.items():
                totals[product_id] += units
        return totals
