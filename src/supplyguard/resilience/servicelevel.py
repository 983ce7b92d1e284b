"""Service-level view of stock under random demand: newsvendor and base-stock, with costs.

Demand per period is Normal(mean, sd). For a base-stock level ``S`` over a protection interval of
``L`` periods (lead time plus review), demand over the interval is Normal(mean L, sd sqrt L):

* cycle service level ``alpha = P(D <= S)``, ``S = mean L + z_alpha sd sqrt L``;
* expected shortage per interval ``sd sqrt L * G(z)`` with the standard normal loss function
  ``G(z) = phi(z) - z (1 - Phi(z))``; fill rate ``1 - shortage / (mean L)``;
* cost per period (base-stock with backorders): holding ``h * E[(S - D)+] = h * (S - mean L +
  shortage)`` plus shortage ``p * shortage``, which the critical-ratio level minimises.

The newsvendor optimum is the critical ratio ``p / (p + h)`` with ``p`` the margin lost per unit
short and ``h`` the holding cost per unit per period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from supplyguard.resilience.model import Network

_STD = NormalDist()
DEFAULT_LEVELS = (0.80, 0.90, 0.95, 0.98, 0.99, 0.999)


@dataclass(frozen=True, slots=True)
class ServiceOption:
    """One stocking choice for one product, with what it costs and what it buys."""

    product: str
    label: str
    service_level: float
    base_stock: float
    safety_stock: float
    expected_shortage: float
    fill_rate: float
    holding_cost: float
    shortage_cost: float

    @property
    def total_cost(self) -> float:
        return self.holding_cost + self.shortage_cost

    def as_dict(self) -> dict[str, object]:
        return {
            "product": self.product,
            "label": self.label,
            "service_level": round(self.service_level, 4),
            "base_stock": round(self.base_stock, 2),
            "safety_stock": round(self.safety_stock, 2),
            "expected_shortage": round(self.expected_shortage, 3),
            "fill_rate": round(self.fill_rate, 4),
            "holding_cost": round(self.holding_cost, 2),
            "shortage_cost": round(self.shortage_cost, 2),
            "total_cost": round(self.total_cost, 2),
        }


def normal_loss(z: float) -> float:
    """Standard normal loss function G(z) = E[(Z - z)+]."""
    return _STD.pdf(z) - z * (1.0 - _STD.cdf(z))


def base_stock_option(
    product: str,
    mean: float,
    sd: float,
    lead_periods: float,
    holding: float,
    shortage: float,
    service_level: float,
    label: str | None = None,
) -> ServiceOption:
    """The base-stock level reaching ``service_level`` (cycle service) and its costs per period."""
    lead = max(lead_periods, 1e-9)
    mu, sigma = mean * lead, sd * math.sqrt(lead)
    level = min(max(service_level, 1e-6), 1 - 1e-9)
    z = _STD.inv_cdf(level)
    stock = mu + z * sigma
    short = sigma * normal_loss(z) if sigma > 0 else 0.0
    fill = 1.0 - short / mu if mu > 0 else 1.0
    return ServiceOption(
        product=product,
        label=label or f"{service_level:.1%} cycle service",
        service_level=level,
        base_stock=stock,
        safety_stock=stock - mu,
        expected_shortage=short,
        fill_rate=fill,
        holding_cost=holding * max(stock - mu + short, 0.0),
        shortage_cost=shortage * short,
    )


def newsvendor(
    product: str, mean: float, sd: float, lead_periods: float, holding: float, shortage: float
) -> ServiceOption:
    """The cost-optimal level: critical ratio ``shortage / (shortage + holding)``."""
    ratio = shortage / (shortage + holding) if shortage + holding > 0 else 0.5
    return base_stock_option(
        product,
        mean,
        sd,
        lead_periods,
        holding,
        shortage,
        ratio,
        label=f"optimal (critical ratio {ratio:.3f})",
    )


def service_level_view(
    network: Network, *, lead_periods: float = 1.0, levels: Sequence[float] = DEFAULT_LEVELS
) -> dict[str, list[ServiceOption]]:
    """For each demanded product with a demand ``sd``: the options at ``levels`` and the optimum,
    costed with the product's holding cost and its margin (or priority) as the shortage cost."""
    demand = network.total_demand()
    view: dict[str, list[ServiceOption]] = {}
    for product in network.products:
        mean = demand[product.id]
        if mean <= 0:
            continue
        options = [
            base_stock_option(
                product.id,
                mean,
                product.demand_sd,
                lead_periods,
                product.holding_cost,
                product.loss_weight,
                level,
            )
            for level in levels
        ]
        options.append(
            newsvendor(
                product.id, mean, product.demand_sd, lead_periods, product.holding_cost, product.loss_weight
            )
        )
        view[product.id] = options
    return view
