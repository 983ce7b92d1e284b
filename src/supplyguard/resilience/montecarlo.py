"""Monte Carlo: sampled disruptions of sites and infrastructure, distribution of loss and unmet demand.

Each site and asset has a probability of failing within the horizon and a recovery-time
distribution. A sample draws which fail and for how long (asset outages cascade to their
dependants); the impact LP over the horizon gives its loss, with each site's capacity available
for ``horizon - downtime`` periods. Samples are drawn with numpy's PCG64 from one seed, so a run
is reproducible; identical samples are solved once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience.lp import ContingencyModel
from supplyguard.resilience.model import Network
from supplyguard.resilience.scenarios import Disruption, cascade_assets

Distribution = Literal["fixed", "exponential", "uniform", "triangular", "lognormal"]
FArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RiskProfile:
    """Chance of failing within the horizon and recovery time in periods.

    ``params``: fixed (value), exponential (mean), uniform (low, high), triangular (low, mode, high),
    lognormal (median, sigma).
    """

    probability: float
    distribution: Distribution = "fixed"
    params: tuple[float, ...] = (1.0,)

    def sample(self, rng: np.random.Generator, size: int) -> FArray:
        p = self.params
        if self.distribution == "fixed":
            return np.full(size, p[0])
        if self.distribution == "exponential":
            return rng.exponential(p[0], size)
        if self.distribution == "uniform":
            return rng.uniform(p[0], p[1], size)
        if self.distribution == "triangular":
            return rng.triangular(p[0], p[1], p[2], size)
        return np.asarray(p[0] * np.exp(p[1] * rng.standard_normal(size)))


_ARITY = {"fixed": 1, "exponential": 1, "uniform": 2, "triangular": 3, "lognormal": 2}


def parse_risks(document: Mapping[str, object], network: Network) -> dict[str, RiskProfile]:
    """Risk profiles keyed by site or asset id from ``{id: {probability, distribution, params}}``."""
    known = {s.id for s in network.sites} | {a.id for a in network.assets}
    errors: list[FieldError] = []
    out: dict[str, RiskProfile] = {}
    for ident, spec in document.items():
        loc: tuple[str | int, ...] = ("risks", str(ident))
        if ident not in known:
            errors.append(FieldError(loc, f"unknown site or asset {ident!r}"))
            continue
        if not isinstance(spec, Mapping):
            errors.append(FieldError(loc, "must be a mapping"))
            continue
        try:
            probability = float(spec.get("probability", 0.0))
            dist = str(spec.get("distribution", "fixed"))
            raw = spec.get("params", (1.0,))
            params = tuple(float(x) for x in (raw if isinstance(raw, list | tuple) else [raw]))
        except (TypeError, ValueError):
            errors.append(FieldError(loc, "probability and params must be numbers"))
            continue
        if not 0.0 <= probability <= 1.0:
            errors.append(FieldError((*loc, "probability"), "must be between 0 and 1"))
        elif dist not in _ARITY:
            errors.append(FieldError((*loc, "distribution"), f"must be one of {', '.join(_ARITY)}"))
        elif len(params) != _ARITY[dist] or any(x < 0 for x in params):
            errors.append(FieldError((*loc, "params"), f"{dist} takes {_ARITY[dist]} non-negative numbers"))
        else:
            out[str(ident)] = RiskProfile(probability, dist, params)  # type: ignore[arg-type]
    if errors:
        raise ValidationFailed(errors)
    return out


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    """Distribution of loss over ``samples`` draws, unmet demand per product, top contributors."""

    samples: int
    seed: int
    horizon: float
    losses: FArray
    unmet_by_product: dict[str, FArray]
    lp_solves: int  # distinct samples solved (identical samples share one solve)
    contributors: list[tuple[str, float, str]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        losses = self.losses
        q = np.percentile(losses, [50, 90, 95, 99]) if len(losses) else np.zeros(4)
        tail = np.sort(losses)[-max(1, len(losses) // 20) :] if len(losses) else losses
        return {
            "samples": self.samples,
            "seed": self.seed,
            "horizon": self.horizon,
            "distinct_samples": self.lp_solves,
            "loss": {
                "mean": float(losses.mean()),
                "sd": float(losses.std()),
                "p50": float(q[0]),
                "p90": float(q[1]),
                "p95": float(q[2]),
                "p99": float(q[3]),
                "cvar95": float(tail.mean()) if len(tail) else 0.0,
                "probability_of_loss": float((losses > 1e-6).mean()),
            },
            "unmet": {
                p: {
                    "mean": float(u.mean()),
                    "p95": float(np.percentile(u, 95)),
                    "probability_short": float((u > 1e-6).mean()),
                }
                for p, u in sorted(self.unmet_by_product.items())
            },
            "contributors": [
                {"id": i, "mean_loss_when_down": round(v, 2), "reason": r} for i, v, r in self.contributors
            ],
        }

    def histogram(self, bins: int = 20) -> list[tuple[float, float, int]]:
        counts, edges = np.histogram(self.losses, bins=bins)
        return [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]


def simulate(
    network: Network,
    risks: Mapping[str, RiskProfile],
    *,
    samples: int = 10_000,
    seed: int = 1,
    horizon: float | None = None,
    model: ContingencyModel | None = None,
    top: int = 10,
    on_progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """Sample ``samples`` disruption scenarios and solve the impact LP over ``horizon`` periods
    (default: the network's default TTR) for each distinct one. ``on_progress`` is called with
    the number of samples done, about every 1 % and at the end."""
    horizon = horizon if horizon is not None else network.default_ttr
    model = model or ContingencyModel(network)
    rng = np.random.default_rng(seed)
    site_ids = [s.id for s in network.sites]
    site_index = {s: i for i, s in enumerate(site_ids)}
    down = np.zeros((samples, len(site_ids)))
    for ident in sorted(risks):
        profile = risks[ident]
        hit = rng.random(samples) < profile.probability
        durations = np.where(hit, profile.sample(rng, samples), 0.0)
        if ident in site_index:
            col = site_index[ident]
            down[:, col] = np.maximum(down[:, col], durations)
        else:
            assets = {a.id: a for a in network.assets}
            members = sorted({s for a in cascade_assets(network, [ident]) for s in assets[a].dependants})
            for site in members:
                col = site_index[site]
                down[:, col] = np.maximum(down[:, col], durations)
    down = np.round(down, 3)
    demanded = network.total_demand()
    products = [p.id for p in network.products if demanded[p.id] > 0]
    losses = np.zeros(samples)
    unmet = {p: np.zeros(samples) for p in products}
    cache: dict[bytes, tuple[float, dict[str, float]]] = {}
    solves = 0
    step = max(1, samples // 100)
    for k in range(samples):
        if on_progress is not None and k % step == 0:
            on_progress(k)
        row = down[k]
        key = row.tobytes()
        hit_result = cache.get(key)
        if hit_result is None:
            nz = np.flatnonzero(row > 0)
            disruption = Disruption(
                f"sample-{k}", horizon, {site_ids[i]: float(row[i]) for i in nz}, {}, {}, ()
            )
            sol = model.solve_impact(disruption, horizon, with_plan=False)
            solves += 1
            hit_result = (sol.loss, sol.lost_units)
            cache[key] = hit_result
        losses[k] = hit_result[0]
        for p, units in hit_result[1].items():
            if p in unmet:
                unmet[p][k] = units
    if on_progress is not None:
        on_progress(samples)
    contributors: list[tuple[str, float, str]] = []
    for site_col in np.flatnonzero((down > 0).any(axis=0)):
        when = down[:, site_col] > 0
        mean_loss = float(losses[when].mean())
        share = float(when.mean())
        contributors.append(
            (
                site_ids[site_col],
                mean_loss,
                f"{site_ids[site_col]} is down in {share:.1%} of samples; mean loss then {mean_loss:,.0f}",
            )
        )
    contributors.sort(key=lambda c: -c[1])
    return MonteCarloResult(samples, seed, horizon, losses, unmet, solves, contributors[:top])
