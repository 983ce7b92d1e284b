"""Disruption scenarios: which sites and lanes are down, for how long, and why.

A :class:`ScenarioSpec` names causes (sites, lanes, infrastructure assets, sea passages); resolving
it against the network gives a :class:`Disruption`: every site and lane affected with its downtime
in periods, after cascading asset outages to dependent assets and sites and applying passage
closures to the sea lanes that cross them (rerouted lanes are delayed, others stop).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from supplyguard.resilience.model import InfrastructureAsset, Lane, Network, ScenarioSpec, Site


def units(value: float) -> str:
    """A quantity for people: ``4,000`` or ``2.5`` (never ``4e+03``)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


@dataclass(frozen=True, slots=True)
class Disruption:
    """A resolved scenario: downtime (periods) per site and lane, delays of rerouted lanes."""

    id: str
    ttr: float
    site_down: dict[str, float]
    lane_down: dict[str, float]
    lane_delay: dict[str, float]
    reasons: tuple[str, ...]
    probability: float | None = None

    @property
    def disrupted_sites(self) -> list[str]:
        return sorted(self.site_down)


def cascade_assets(network: Network, asset_ids: Iterable[str]) -> list[str]:
    """The assets that fail with ``asset_ids``, following asset-to-asset dependencies."""
    by_id = {asset.id: asset for asset in network.assets}
    seen: list[str] = []
    queue = deque(asset_ids)
    while queue:
        ident = queue.popleft()
        if ident in seen or ident not in by_id:
            continue
        seen.append(ident)
        queue.extend(by_id[ident].assets)
    return seen


def resolve(network: Network, spec: ScenarioSpec) -> Disruption:
    """Resolve ``spec`` against ``network`` into per-site and per-lane downtimes."""
    return resolve_all(network, [spec])[0]


def resolve_all(network: Network, specs: Iterable[ScenarioSpec]) -> list[Disruption]:
    """Resolve many scenarios of one network (its lookups are built once)."""
    sites = {site.id: site for site in network.sites}
    lanes = {lane.id: lane for lane in network.lanes}
    assets = {asset.id: asset for asset in network.assets}
    return [_resolve(network, spec, sites, lanes, assets) for spec in specs]


def _resolve(
    network: Network,
    spec: ScenarioSpec,
    sites: dict[str, Site],
    lanes: dict[str, Lane],
    assets: dict[str, InfrastructureAsset],
) -> Disruption:
    default = network.default_ttr
    site_down: dict[str, float] = {}
    lane_down: dict[str, float] = {}
    lane_delay: dict[str, float] = {}
    reasons: list[str] = []

    def down(store: dict[str, float], key: str, periods: float) -> None:
        store[key] = max(store.get(key, 0.0), periods)

    for site_id in spec.sites:
        site = sites[site_id]
        down(site_down, site_id, network.site_ttr(site))
        reasons.append(f"{site.kind} {site_id} ({site.name}) is down for {network.site_ttr(site):g} periods")
    for asset_id in cascade_assets(network, spec.assets):
        asset = assets[asset_id]
        periods = asset.ttr if asset.ttr is not None else default
        for site_id in asset.dependants:
            down(site_down, site_id, periods)
        names = ", ".join(asset.dependants) or "no site"
        cause = "" if asset_id in spec.assets else " (cascading)"
        reasons.append(
            f"{asset.kind} asset {asset_id} fails{cause} for {periods:g} periods, taking down {names}"
        )
    for lane_id in spec.lanes:
        lane = lanes[lane_id]
        periods = lane.ttr if lane.ttr is not None else default
        down(lane_down, lane_id, periods)
        reasons.append(f"lane {lane_id} {lane.origin}->{lane.destination} is closed for {periods:g} periods")
    for passage in spec.passages:
        periods = network.passage_ttr.get(passage, default)
        hit = [lane for lane in network.lanes if passage in lane.passages]
        for lane in hit:
            added = lane.passages[passage]
            if added is None:
                down(lane_down, lane.id, periods)
                reasons.append(
                    f"{passage} closed for {periods:g} periods: lane {lane.id} has no detour and stops"
                )
            else:
                delay = min(added / network.period_days, periods)
                down(lane_delay, lane.id, delay)
                reasons.append(f"{passage} closed: lane {lane.id} reroutes, {added:g} days longer")
        if not hit:
            reasons.append(f"{passage} closed for {periods:g} periods: no lane crosses it")
    ttr_parts = [*site_down.values(), *lane_down.values()]
    ttr_parts += [network.passage_ttr.get(p, default) for p in spec.passages]
    ttr = spec.ttr if spec.ttr is not None else (max(ttr_parts) if ttr_parts else default)
    return Disruption(
        id=spec.id,
        ttr=ttr,
        site_down=site_down,
        lane_down=lane_down,
        lane_delay=lane_delay,
        reasons=tuple(reasons),
        probability=spec.probability,
    )


def single_point_scenarios(
    network: Network, *, include_lanes: bool = False, include_declared: bool = True
) -> list[ScenarioSpec]:
    """Every single-point disruption: each site that is not a demand point, each infrastructure
    asset (with its cascade), each sea passage some lane crosses, optionally each lane, then the
    scenarios declared in the network file."""
    specs = [
        ScenarioSpec(id=f"site:{site.id}", sites=(site.id,))
        for site in network.sites
        if site.kind != "demand"
    ]
    if include_lanes:
        specs += [ScenarioSpec(id=f"lane:{lane.id}", lanes=(lane.id,)) for lane in network.lanes]
    specs += [ScenarioSpec(id=f"asset:{asset.id}", assets=(asset.id,)) for asset in network.assets]
    used = sorted({p for lane in network.lanes for p in lane.passages})
    specs += [ScenarioSpec(id=f"passage:{p}", passages=(p,)) for p in used]
    if include_declared:
        specs += list(network.scenarios)
    return specs


def combine(specs: Iterable[ScenarioSpec], scenario_id: str | None = None) -> ScenarioSpec:
    """One scenario in which all of ``specs`` happen at once."""
    items = list(specs)
    return ScenarioSpec(
        id=scenario_id or "+".join(spec.id for spec in items),
        sites=tuple(dict.fromkeys(s for spec in items for s in spec.sites)),
        lanes=tuple(dict.fromkeys(s for spec in items for s in spec.lanes)),
        assets=tuple(dict.fromkeys(s for spec in items for s in spec.assets)),
        passages=tuple(dict.fromkeys(s for spec in items for s in spec.passages)),
    )
