"""Stock per site from EPCIS object and aggregation events, and the check against what was shipped.

A site is an event's ``bizLocation``. Instance-level objects (``epcList``, ``childEPCs``) are counted
under their item class (the GTIN of an SGTIN, else the identifier's key type); class-level
``quantityList`` entries under their ``epcClass``. ``ADD`` and ``OBSERVE`` at a site put the objects
there (and take them off any other site); an event without ``bizLocation`` (shipping, transport)
takes them off their site; ``DELETE`` removes them. Quantities: ``ADD`` adds, ``OBSERVE`` replaces
the count (a stock take), ``DELETE`` subtracts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from supplyguard.tracking.alerts import Alert
from supplyguard.tracking.epcis_model import EpcisEvent

__all__ = ["StockLedger", "item_class", "stock_by_site", "stock_mismatches"]

_SERIAL_SUFFIX = re.compile(r"^(https://id\.gs1\.org/01/\d{14})(/.*)?$")
_KEY_TYPE = re.compile(r"^(https://id\.gs1\.org/\d{2,4})/")


def item_class(epc: str) -> str:
    """The class an instance identifier is counted under (GTIN for SGTINs, else its key type)."""
    serial = _SERIAL_SUFFIX.match(epc)
    if serial:
        return serial.group(1)
    key = _KEY_TYPE.match(epc)
    return key.group(1) if key else epc


@dataclass(slots=True)
class StockLedger:
    """Mutable accumulator behind :func:`stock_by_site` (kept by services for incremental updates)."""

    site_of: dict[str, str] = field(default_factory=dict)
    quantities: dict[str, dict[str, float]] = field(default_factory=dict)
    contents: dict[str, set[str]] = field(default_factory=dict)

    def _place(self, epc: str, site: str | None) -> None:
        self.site_of.pop(epc, None)
        if site is not None:
            self.site_of[epc] = site
        for child in self.contents.get(epc, ()):
            self._place(child, site)

    def apply(self, event: EpcisEvent) -> None:
        if event.event_type not in ("ObjectEvent", "AggregationEvent", "TransformationEvent"):
            return
        site = event.biz_location
        if event.event_type == "AggregationEvent" and event.parent_id:
            children = set(event.child_epcs)
            if event.action == "DELETE":
                self.contents[event.parent_id] = self.contents.get(event.parent_id, set()) - children
            else:
                self.contents.setdefault(event.parent_id, set()).update(children)
        gone = event.action == "DELETE" and event.event_type == "ObjectEvent"
        instances = event.input_epcs if event.event_type == "TransformationEvent" else event.epcs
        for epc in instances:
            self._place(epc, None if gone or event.event_type == "TransformationEvent" else site)
        for epc in event.output_epcs:
            self._place(epc, site)
        if event.event_type == "AggregationEvent" and event.parent_id and event.action != "DELETE":
            self._place(event.parent_id, site)
        if site is None:
            return
        counts = self.quantities.setdefault(site, {})
        for element in event.quantities + event.output_quantities:
            amount = element.quantity if element.quantity is not None else 1.0
            if event.action == "ADD" or event.event_type == "TransformationEvent":
                counts[element.epc_class] = counts.get(element.epc_class, 0.0) + amount
            elif event.action == "OBSERVE":
                counts[element.epc_class] = amount
            elif event.action == "DELETE":
                counts[element.epc_class] = max(0.0, counts.get(element.epc_class, 0.0) - amount)
        for element in event.input_quantities:
            amount = element.quantity if element.quantity is not None else 1.0
            counts[element.epc_class] = max(0.0, counts.get(element.epc_class, 0.0) - amount)

    def stock(self) -> dict[str, dict[str, float]]:
        """site -> item class -> count."""
        out: dict[str, dict[str, float]] = {
            site: {k: v for k, v in c.items() if v} for site, c in self.quantities.items()
        }
        for epc, site in self.site_of.items():
            counts = out.setdefault(site, {})
            key = item_class(epc)
            counts[key] = counts.get(key, 0.0) + 1.0
        return {site: counts for site, counts in out.items() if counts}


def stock_by_site(events: Iterable[EpcisEvent]) -> dict[str, dict[str, float]]:
    """site (bizLocation) -> item class -> count, from events in time order."""
    ledger = StockLedger()
    for event in sorted(events, key=lambda e: e.event_time):
        ledger.apply(event)
    return ledger.stock()


def stock_mismatches(
    expected: Mapping[str, Mapping[str, float]],
    observed: Mapping[str, Mapping[str, float]],
    *,
    time: datetime,
    tolerance: float = 0.0,
) -> list[Alert]:
    """One ``stock_mismatch`` alert per (site, item) where observed and expected differ beyond ``tolerance``.

    ``expected`` is what declarations and shipments say should be at each site.
    """
    alerts: list[Alert] = []
    for site in sorted(set(expected) | set(observed)):
        want, have = expected.get(site, {}), observed.get(site, {})
        for item in sorted(set(want) | set(have)):
            difference = have.get(item, 0.0) - want.get(item, 0.0)
            if abs(difference) <= tolerance:
                continue
            missing = difference < 0
            severity = "high" if missing else "medium"
            reason = (
                f"{abs(difference):g} of {item} missing at {site}: expected {want.get(item, 0.0):g}, "
                f"counted {have.get(item, 0.0):g}"
                if missing
                else f"{difference:g} more of {item} at {site} than expected: expected "
                f"{want.get(item, 0.0):g}, counted {have.get(item, 0.0):g}"
            )
            alerts.append(
                Alert(
                    "stock_mismatch",
                    severity,
                    site,
                    time,
                    reason,
                    object_ids=(item,),
                    details={
                        "site": site,
                        "item": item,
                        "expected": want.get(item, 0.0),
                        "observed": have.get(item, 0.0),
                    },
                )
            )
    return alerts
