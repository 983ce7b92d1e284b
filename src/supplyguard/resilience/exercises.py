"""Exercises: a disruption run as a drill, decisions recorded, scored against the optimal plan.

A :class:`Drill` lists injects (a port closes at minute 5, a supplier reports a fire at minute 12).
Participants record :class:`Decision` s (use an alternative source, draw stock at a site, reroute on
a lane, ...). :func:`score_drill` solves the drill's combined scenario, derives the key actions of
the optimal contingency plan, and scores each participant on what they chose (F1 against the key
actions) and how fast (full credit within ``target_minutes`` of the last relevant inject, none
after ``limit_minutes``), with the reasons in words. Storage of records is the caller's concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience.lp import ContingencyModel
from supplyguard.resilience.model import Network, ScenarioSpec
from supplyguard.resilience.scenarios import Disruption, resolve, units

InjectKind = Literal["site-down", "lane-closed", "asset-failure", "passage-closed", "report"]
ActionKind = Literal["use-alternative", "draw-stock", "reroute", "no-action"]
ACTION_KINDS: tuple[ActionKind, ...] = ("use-alternative", "draw-stock", "reroute", "no-action")


@dataclass(frozen=True, slots=True)
class Inject:
    """An event delivered to the team at ``at_minute``; ``target`` is a site, lane, asset or passage."""

    at_minute: float
    kind: InjectKind
    target: str
    message: str


@dataclass(frozen=True, slots=True)
class Drill:
    id: str
    title: str
    injects: tuple[Inject, ...]
    target_minutes: float = 10.0
    limit_minutes: float = 60.0

    def scenario(self) -> ScenarioSpec:
        """The disruption made of all the injects."""
        pick = {
            kind: tuple(i.target for i in self.injects if i.kind == kind)
            for kind in ("site-down", "lane-closed", "asset-failure", "passage-closed")
        }
        return ScenarioSpec(
            id=f"drill:{self.id}",
            sites=pick["site-down"],
            lanes=pick["lane-closed"],
            assets=pick["asset-failure"],
            passages=pick["passage-closed"],
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """A participant's recorded action: ``target`` is an alternative id, ``site/product`` or lane id."""

    participant: str
    at_minute: float
    action: ActionKind
    target: str = ""


@dataclass(frozen=True, slots=True)
class DrillScore:
    participant: str
    score: float
    choice_score: float
    time_score: float
    matched: tuple[str, ...]
    missed: tuple[str, ...]
    extra: tuple[str, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "participant": self.participant,
            "score": round(self.score, 1),
            "choice_score": round(self.choice_score, 3),
            "time_score": round(self.time_score, 3),
            "matched": list(self.matched),
            "missed": list(self.missed),
            "extra": list(self.extra),
            "reasons": list(self.reasons),
        }


def validate_drill(network: Network, drill: Drill) -> None:
    """Raise :class:`ValidationFailed` when an inject names something the network lacks."""
    pools = {
        "site-down": {s.id for s in network.sites},
        "lane-closed": {lane.id for lane in network.lanes},
        "asset-failure": {a.id for a in network.assets},
    }
    errors = [
        FieldError(("injects", i, "target"), f"unknown {inj.kind.split('-')[0]} {inj.target!r}")
        for i, inj in enumerate(drill.injects)
        if inj.kind in pools and inj.target not in pools[inj.kind]
    ]
    errors += [
        FieldError(("injects", i, "at_minute"), "must be non-negative")
        for i, inj in enumerate(drill.injects)
        if inj.at_minute < 0
    ]
    if errors:
        raise ValidationFailed(errors)


def key_actions(network: Network, drill: Drill, model: ContingencyModel | None = None) -> dict[str, str]:
    """The actions of the optimal contingency plan, each with why it matters."""
    model = model or ContingencyModel(network)
    disruption = resolve(network, drill.scenario())
    plan = model.solve_impact(disruption)
    baseline = model.solve_impact(Disruption("baseline", disruption.ttr, {}, {}, {}, ()))
    actions: dict[str, str] = {}
    for alt, qty in plan.alternatives.items():
        actions[f"use-alternative:{alt}"] = f"switch {units(qty)} units to alternative source {alt}"
    for (site, product), qty in plan.stock_used.items():
        if qty > baseline.stock_used.get((site, product), 0.0) + 1e-6:
            actions[f"draw-stock:{site}/{product}"] = f"release {units(qty)} {product} from stock at {site}"
    base_lanes = {lane for lane, _p in baseline.lane_flows}
    for lane, product in plan.lane_flows:
        if lane not in base_lanes:
            actions[f"reroute:{lane}"] = f"move {product} onto lane {lane}"
    if not actions:
        actions["no-action"] = "the network absorbs the disruption on its own"
    return actions


def score_drill(network: Network, drill: Drill, decisions: Sequence[Decision]) -> list[DrillScore]:
    """Score each participant's decisions against the optimal plan and their time to decide."""
    validate_drill(network, drill)
    for i, decision in enumerate(decisions):
        if decision.action not in ACTION_KINDS:
            raise ValidationFailed(
                [FieldError(("decisions", i, "action"), f"unknown action {decision.action!r}")]
            )
    keys = key_actions(network, drill)
    start = max((inj.at_minute for inj in drill.injects if inj.kind != "report"), default=0.0)
    scores: list[DrillScore] = []
    for participant in sorted({d.participant for d in decisions}):
        mine = [d for d in decisions if d.participant == participant]
        chosen = {d.action if d.action == "no-action" else f"{d.action}:{d.target}" for d in mine}
        matched = sorted(chosen & set(keys))
        missed = sorted(set(keys) - chosen)
        extra = sorted(chosen - set(keys))
        precision = len(matched) / len(chosen) if chosen else 0.0
        recall = len(matched) / len(keys) if keys else 1.0
        choice = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        relevant = [
            d.at_minute
            for d in mine
            if (d.action if d.action == "no-action" else f"{d.action}:{d.target}") in keys
        ]
        decided = max(relevant) - start if relevant else drill.limit_minutes
        span = max(drill.limit_minutes - drill.target_minutes, 1e-9)
        timing = (
            1.0 if decided <= drill.target_minutes else max(0.0, 1 - (decided - drill.target_minutes) / span)
        )
        total = 100.0 * choice * (0.7 + 0.3 * timing)
        reasons = [f"took {m}: {keys[m]}" for m in matched]
        reasons += [f"missed {m}: {keys[m]}" for m in missed]
        reasons += [f"{e} is not part of the optimal plan" for e in extra]
        reasons.append(
            f"decided {decided:.0f} min after the last inject (target {drill.target_minutes:g}, "
            f"limit {drill.limit_minutes:g}); time score {timing:.2f}"
        )
        scores.append(
            DrillScore(
                participant,
                total,
                choice,
                timing,
                tuple(matched),
                tuple(missed),
                tuple(extra),
                tuple(reasons),
            )
        )
    return scores


_INJECT_KINDS = ("site-down", "lane-closed", "asset-failure", "passage-closed", "report")


def parse_drill(document: Mapping[str, Any]) -> Drill:
    """A drill from a mapping (the parsed YAML): ``id``, ``title``, ``target_minutes``,
    ``limit_minutes`` and ``injects`` of ``{at_minute, kind, target, message}``."""
    errors: list[FieldError] = []
    injects: list[Inject] = []
    raw = document.get("injects")
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError(("injects",), "at least one inject is required"))
        raw = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.append(FieldError(("injects", i), "must be a mapping"))
            continue
        kind = str(item.get("kind", ""))
        if kind not in _INJECT_KINDS:
            errors.append(FieldError(("injects", i, "kind"), f"must be one of {', '.join(_INJECT_KINDS)}"))
            continue
        try:
            minute = float(item.get("at_minute", 0))
        except (TypeError, ValueError):
            errors.append(FieldError(("injects", i, "at_minute"), "must be a number"))
            continue
        injects.append(Inject(minute, kind, str(item.get("target", "")), str(item.get("message", ""))))  # type: ignore[arg-type]
    if not document.get("id"):
        errors.append(FieldError(("id",), "is required"))
    if errors:
        raise ValidationFailed(errors)
    return Drill(
        id=str(document["id"]),
        title=str(document.get("title", document["id"])),
        injects=tuple(sorted(injects, key=lambda inj: inj.at_minute)),
        target_minutes=float(document.get("target_minutes", 10.0)),
        limit_minutes=float(document.get("limit_minutes", 60.0)),
    )
