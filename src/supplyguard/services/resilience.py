"""Resilience on the node: supply networks stored per organisation (versioned by content hash,
each version a ledger leaf), their analyses cached, and drills run, scored and kept on the
participants' training records."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from supplyguard.adapters.db.resilience_repo import (
    ResilienceRepository,
    StoredDecision,
    StoredDrill,
    StoredNetwork,
    StoredScore,
)
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.errors import (
    Conflict,
    DrillNotFound,
    FieldError,
    NetworkNotFound,
    PermissionDenied,
    ValidationFailed,
)
from supplyguard.ledger import Ed25519Signer
from supplyguard.model.canonical import canonical_sha256
from supplyguard.model.clock import Clock
from supplyguard.model.ids import new_id
from supplyguard.model.organisations import Principal
from supplyguard.model.permissions import Action, require
from supplyguard.resilience import (
    Decision,
    Drill,
    Network,
    RiskProfile,
    SeaRouter,
    key_actions,
    lanes_from_csv,
    parse_drill,
    parse_network,
    parse_risks,
    score_drill,
    sites_from_csv,
    validate_drill,
)
from supplyguard.resilience.exercises import ACTION_KINDS
from supplyguard.services import resilience_views as views
from supplyguard.services.audit import audit
from supplyguard.services.ledger_records import append_record, sign_tree_head

MAX_NAME = 200
#: The Monte Carlo run a page or report shows unless asked otherwise.
PAGE_RUNS = 1000
PAGE_SEED = 1


def sea_router_for(extras: dict[str, Any]) -> SeaRouter:
    """One sea router per process (it compacts the maritime network once, in about 0.2 s)."""
    router = extras.get("sea_router")
    if not isinstance(router, SeaRouter):
        router = SeaRouter()
        extras["sea_router"] = router
    return router


# --- networks ------------------------------------------------------------------------------------


def _yaml_mapping(text: str, where: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed([FieldError((where,), f"not valid YAML{line}")]) from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValidationFailed([FieldError((where,), "must be a YAML mapping")])
    return document


def network_document(
    text: str | Mapping[str, Any],
    *,
    sites_csv: str | None = None,
    lanes_csv: str | None = None,
) -> tuple[dict[str, Any], Network]:
    """The network document (YAML text or a mapping, with CSV tables merged in) and its validated
    network; the document must be plain JSON data so its content hash is well defined."""
    document = dict(text) if isinstance(text, Mapping) else _yaml_mapping(text, "network")
    for table, convert, target in (
        (sites_csv, sites_from_csv, "sites"),
        (lanes_csv, lanes_from_csv, "lanes"),
    ):
        if table:
            document[target] = list(document.get(target) or []) + convert(table)
    network = parse_network(document, default_name=str(document.get("name") or "network"))
    try:
        canonical_sha256(document)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed([FieldError(("network",), f"values must be plain data: {exc}")]) from exc
    if len(network.name) > MAX_NAME:
        raise ValidationFailed([FieldError(("name",), f"must be at most {MAX_NAME} characters")])
    document["name"] = network.name
    return document, network


def _risks_document(risks: str | Mapping[str, Any] | None, network: Network) -> dict[str, Any] | None:
    if risks is None or (isinstance(risks, str) and not risks.strip()):
        return None
    document = dict(risks) if isinstance(risks, Mapping) else _yaml_mapping(risks, "risks")
    parse_risks(document, network)
    return document


@dataclass(frozen=True, slots=True)
class StoreResult:
    network: StoredNetwork
    created: bool


def store_network(
    uow: SqlUnitOfWork,
    clock: Clock,
    signer: Ed25519Signer,
    actor: Principal,
    text: str | Mapping[str, Any],
    *,
    sites_csv: str | None = None,
    lanes_csv: str | None = None,
    risks: str | Mapping[str, Any] | None = None,
) -> StoreResult:
    """Validate and store a network as the next version of its name; the same content (network
    and risks) again gives back the version already stored. Each new version is a ledger leaf."""
    require(actor, Action.RESILIENCE_PLAN)
    document, network = network_document(text, sites_csv=sites_csv, lanes_csv=lanes_csv)
    risk_doc = _risks_document(risks, network)
    digest = canonical_sha256({"network": document, "risks": risk_doc})
    with uow:
        repo = ResilienceRepository(uow.connection)
        existing = repo.find_version(actor.org_id, network.name, digest)
        if existing is not None:
            return StoreResult(existing, False)
        stored = StoredNetwork(
            id=new_id(),
            org_id=actor.org_id,
            name=network.name,
            version=repo.next_version(actor.org_id, network.name),
            content_sha256=digest,
            document=document,
            risks=risk_doc,
            summary=views.network_facts(network),
            created_at=clock.now(),
            created_by=actor.username,
        )
        repo.add_network(stored)
        body = {"name": stored.name, "version": stored.version, "content_sha256": digest}
        append_record(uow, "resilience.network", str(stored.id), str(actor.org_id), clock.now(), body)
        audit(uow, actor, clock, "resilience.network.store", "resilience_network", str(stored.id), body)
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return StoreResult(stored, True)


def list_networks(uow: SqlUnitOfWork, actor: Principal) -> list[StoredNetwork]:
    require(actor, Action.RESILIENCE_READ)
    with uow:
        return ResilienceRepository(uow.connection).networks(actor.org_id)


def get_network(uow: SqlUnitOfWork, actor: Principal, network_id: uuid.UUID) -> StoredNetwork:
    require(actor, Action.RESILIENCE_READ)
    with uow:
        stored = ResilienceRepository(uow.connection).network(actor.org_id, network_id)
    if stored is None:
        raise NetworkNotFound(network_id)
    return stored


def network_of(stored: StoredNetwork) -> Network:
    return parse_network(stored.document, default_name=stored.name)


def risks_of(stored: StoredNetwork, network: Network) -> dict[str, RiskProfile] | None:
    return parse_risks(stored.risks, network) if stored.risks else None


# --- computed views, cached per network version and parameters ----------------------------------


def _cached(
    uow: SqlUnitOfWork,
    clock: Clock,
    stored: StoredNetwork,
    kind: str,
    params: dict[str, Any],
    compute: Callable[[], Any],
) -> Any:
    params = {**params, "views_version": views.VIEWS_VERSION}
    key = canonical_sha256(params)
    with uow:
        found = ResilienceRepository(uow.connection).result(stored.id, kind, key)
    if found is not None:
        return found
    result = compute()
    with uow:
        ResilienceRepository(uow.connection).put_result(stored.id, kind, key, params, result, clock.now())
        uow.commit()
    return result


def analyse(
    uow: SqlUnitOfWork, clock: Clock, actor: Principal, network_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every single-point and declared scenario, most harmful first (plan and reasons included)."""
    stored = get_network(uow, actor, network_id)
    rows: list[dict[str, Any]] = _cached(
        uow, clock, stored, "analysis", {}, lambda: views.analysis_rows(network_of(stored))
    )
    return rows


def simulate(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    network_id: uuid.UUID,
    *,
    runs: int = PAGE_RUNS,
    seed: int = PAGE_SEED,
    horizon: float | None = None,
) -> dict[str, Any]:
    """Monte Carlo with the network's stored risk profiles (or the defaults)."""
    views.check_runs(runs, seed, horizon)
    stored = get_network(uow, actor, network_id)

    def compute() -> dict[str, Any]:
        network = network_of(stored)
        return views.simulation_summary(
            network, risks_of(stored, network), runs=runs, seed=seed, horizon=horizon
        )

    params = {"runs": runs, "seed": seed, "horizon": horizon}
    summary: dict[str, Any] = _cached(uow, clock, stored, "simulation", params, compute)
    return summary


def stockpile(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    network_id: uuid.UUID,
    *,
    scenarios: list[str] | None = None,
    lead_periods: float = 1.0,
) -> dict[str, Any]:
    stored = get_network(uow, actor, network_id)
    names = sorted(set(scenarios or []))
    params = {"scenarios": names, "lead_periods": lead_periods}
    plan: dict[str, Any] = _cached(
        uow,
        clock,
        stored,
        "stockpile",
        params,
        lambda: views.stockpile_summary(network_of(stored), names or None, lead_periods=lead_periods),
    )
    return plan


def reroute(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    network_id: uuid.UUID,
    router: SeaRouter,
    passage: str = "suez",
) -> dict[str, Any]:
    """What closing ``passage`` does to the network's sea lanes (detours) and to its supply."""
    stored = get_network(uow, actor, network_id)
    params = {"passage": passage.strip().lower()}
    result: dict[str, Any] = _cached(
        uow,
        clock,
        stored,
        "reroute",
        params,
        lambda: views.passage_reroutes(network_of(stored), passage, router),
    )
    return result


def report(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    network_id: uuid.UUID,
    router: SeaRouter,
    *,
    runs: int = PAGE_RUNS,
    seed: int = PAGE_SEED,
) -> dict[str, Any]:
    """Everything the network page and the forwarded report show."""
    stored = get_network(uow, actor, network_id)
    network = network_of(stored)
    return views.report_document(
        network,
        ranking=analyse(uow, clock, actor, network_id),
        simulation=simulate(uow, clock, actor, network_id, runs=runs, seed=seed),
        stockpile=stockpile(uow, clock, actor, network_id),
        reroute=reroute(uow, clock, actor, network_id, router, "suez"),
        generated_at=clock.now(),
        version={
            "id": str(stored.id),
            "version": stored.version,
            "content_sha256": stored.content_sha256,
            "stored_at": stored.created_at.isoformat(),
            "stored_by": stored.created_by,
        },
    )


# --- drills --------------------------------------------------------------------------------------


def drill_from_scenario(
    network: Network, scenario_id: str, *, spacing_minutes: float = 5.0, title: str | None = None
) -> dict[str, Any]:
    """A drill document whose injects are the parts of a scenario, ``spacing_minutes`` apart."""
    specs = views.scenario_specs(network, [scenario_id])
    assert specs is not None
    spec = specs[0]
    names = {s.id: s.name or s.id for s in network.sites} | {a.id: a.name or a.id for a in network.assets}
    parts: list[tuple[str, str, str]] = []
    parts += [("site-down", s, f"{names.get(s, s)} is out of action") for s in spec.sites]
    parts += [("asset-failure", a, f"{names.get(a, a)} has failed") for a in spec.assets]
    parts += [("passage-closed", p, f"the {p} passage is closed to shipping") for p in spec.passages]
    parts += [("lane-closed", lane, f"lane {lane} is cut") for lane in spec.lanes]
    injects = [
        {"at_minute": i * spacing_minutes, "kind": kind, "target": target, "message": message}
        for i, (kind, target, message) in enumerate(parts)
    ]
    return {
        "id": spec.id.replace(":", "-"),
        "title": title or f"Drill: {spec.id}",
        "target_minutes": 10,
        "limit_minutes": 45,
        "injects": injects,
    }


def _drill_of(stored: StoredDrill) -> Drill:
    return parse_drill(stored.document)


def start_drill(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    network_id: uuid.UUID,
    *,
    scenario: str | None = None,
    document: str | Mapping[str, Any] | None = None,
) -> StoredDrill:
    """Start a drill on a stored network, from one of its scenarios or from a drill document."""
    require(actor, Action.RESILIENCE_PLAN)
    stored = get_network(uow, actor, network_id)
    network = network_of(stored)
    if (scenario is None) == (document is None):
        raise ValidationFailed([FieldError(("scenario",), "give either a scenario or a drill document")])
    if scenario is not None:
        raw = drill_from_scenario(network, scenario)
    else:
        assert document is not None
        raw = dict(document) if isinstance(document, Mapping) else _yaml_mapping(document, "drill")
    drill = parse_drill(raw)
    validate_drill(network, drill)
    if len(drill.id) > MAX_NAME:
        raise ValidationFailed([FieldError(("id",), f"must be at most {MAX_NAME} characters")])
    if not any(inject.kind != "report" for inject in drill.injects):
        raise ValidationFailed([FieldError(("injects",), "at least one inject must disrupt something")])
    try:
        canonical_sha256(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed([FieldError(("drill",), f"values must be plain data: {exc}")]) from exc
    row = StoredDrill(
        id=new_id(),
        org_id=actor.org_id,
        network_id=stored.id,
        drill_key=drill.id,
        title=drill.title,
        document=raw,
        started_at=clock.now(),
        started_by=actor.username,
        offset_minutes=0.0,
        status="running",
        scored_at=None,
        key_actions=None,
    )
    with uow:
        ResilienceRepository(uow.connection).add_drill(row)
        audit(
            uow, actor, clock, "resilience.drill.start", "resilience_drill", str(row.id), {"drill": drill.id}
        )
        uow.commit()
    return row


@dataclass(frozen=True, slots=True)
class DrillView:
    """A drill as a participant sees it now: the injects delivered so far, the choices they can
    make, the decisions recorded, and the scores once it is scored."""

    drill: StoredDrill
    network: StoredNetwork
    elapsed_minutes: float
    injects: list[dict[str, Any]]
    next_inject_minute: float | None
    options: dict[str, list[str]]
    decisions: list[StoredDecision]
    scores: list[StoredScore]
    target_minutes: float
    limit_minutes: float
    key_actions: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.drill.status == "running"


def _elapsed(drill: StoredDrill, clock: Clock) -> float:
    end = drill.scored_at if drill.scored_at is not None else clock.now()
    return max(0.0, (end - drill.started_at).total_seconds() / 60.0) + drill.offset_minutes


def _options(network: Network) -> dict[str, list[str]]:
    stock = sorted(
        {f"{site.id}/{product}" for site in network.sites for product in site.stock}
        | {
            f"{site.id}/{product}"
            for site in network.sites
            if site.kind in ("depot", "demand", "plant")
            for product, units in network.total_demand().items()
            if units > 0
        }
    )
    return {
        "use-alternative": [alt.id for alt in network.alternatives],
        "draw-stock": stock,
        "reroute": [lane.id for lane in network.lanes],
        "no-action": [""],
    }


def _load_drill(
    uow: SqlUnitOfWork, actor: Principal, drill_id: uuid.UUID
) -> tuple[StoredDrill, StoredNetwork]:
    with uow:
        repo = ResilienceRepository(uow.connection)
        drill = repo.drill(actor.org_id, drill_id)
        if drill is None:
            raise DrillNotFound(drill_id)
        stored = repo.network(actor.org_id, drill.network_id)
    if stored is None:
        raise NetworkNotFound(drill.network_id)
    return drill, stored


def drill_view(uow: SqlUnitOfWork, clock: Clock, actor: Principal, drill_id: uuid.UUID) -> DrillView:
    """The drill now: facilitators (who may plan) and scored drills show every decision; while a
    drill runs a participant sees only their own."""
    if not _can(actor, Action.RESILIENCE_READ):
        require(actor, Action.RESILIENCE_DRILL)
    drill, stored = _load_drill(uow, actor, drill_id)
    parsed = _drill_of(drill)
    elapsed = _elapsed(drill, clock)
    with uow:
        repo = ResilienceRepository(uow.connection)
        decisions = repo.decisions(drill.id)
        scores = repo.scores(drill.id)
    if drill.status == "running" and not _can(actor, Action.RESILIENCE_PLAN):
        decisions = [d for d in decisions if d.user_id == actor.user_id]
    delivered = [
        {"at_minute": i.at_minute, "kind": i.kind, "target": i.target, "message": i.message}
        for i in parsed.injects
        if i.at_minute <= elapsed + 1e-9 or drill.status != "running"
    ]
    upcoming = [i.at_minute for i in parsed.injects if i.at_minute > elapsed + 1e-9]
    return DrillView(
        drill=drill,
        network=stored,
        elapsed_minutes=elapsed,
        injects=delivered,
        next_inject_minute=min(upcoming) if upcoming and drill.status == "running" else None,
        options=_options(network_of(stored)),
        decisions=decisions,
        scores=scores,
        target_minutes=parsed.target_minutes,
        limit_minutes=parsed.limit_minutes,
        key_actions=dict(drill.key_actions or {}),
    )


def _can(actor: Principal, action: Action) -> bool:
    try:
        require(actor, action)
    except PermissionDenied:
        return False
    return True


def list_drills(
    uow: SqlUnitOfWork, actor: Principal, network_id: uuid.UUID | None = None
) -> list[StoredDrill]:
    if not _can(actor, Action.RESILIENCE_DRILL):
        require(actor, Action.RESILIENCE_READ)
    with uow:
        return ResilienceRepository(uow.connection).drills(actor.org_id, network_id)


def advance_drill(uow: SqlUnitOfWork, clock: Clock, actor: Principal, drill_id: uuid.UUID) -> float | None:
    """The facilitator delivers the next inject now; returns its minute (None when none is left)."""
    require(actor, Action.RESILIENCE_PLAN)
    drill, _stored = _load_drill(uow, actor, drill_id)
    if drill.status != "running":
        raise Conflict(f"drill {drill_id} is already scored")
    elapsed = _elapsed(drill, clock)
    upcoming = [i.at_minute for i in _drill_of(drill).injects if i.at_minute > elapsed + 1e-9]
    if not upcoming:
        return None
    target = min(upcoming)
    with uow:
        ResilienceRepository(uow.connection).advance_drill(drill.id, drill.offset_minutes + target - elapsed)
        audit(
            uow, actor, clock, "resilience.drill.advance", "resilience_drill", str(drill.id), {"to": target}
        )
        uow.commit()
    return target


def record_decision(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Principal,
    drill_id: uuid.UUID,
    action: str,
    target: str = "",
) -> StoredDecision:
    """Record a participant's decision at the drill's current minute."""
    require(actor, Action.RESILIENCE_DRILL)
    drill, stored = _load_drill(uow, actor, drill_id)
    if drill.status != "running":
        raise Conflict(f"drill {drill_id} is already scored: decisions are closed")
    action = action.strip()
    target = "" if action == "no-action" else target.strip()
    if action not in ACTION_KINDS:
        raise ValidationFailed([FieldError(("action",), f"must be one of {', '.join(ACTION_KINDS)}")])
    if action != "no-action" and target not in _options(network_of(stored))[action]:
        raise ValidationFailed([FieldError(("target",), f"{target!r} is not a possible {action} target")])
    if len(target) > MAX_NAME:
        raise ValidationFailed([FieldError(("target",), f"must be at most {MAX_NAME} characters")])
    decision = StoredDecision(
        id=new_id(),
        drill_id=drill.id,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        target=target,
        at_minute=round(_elapsed(drill, clock), 2),
        recorded_at=clock.now(),
    )
    with uow:
        ResilienceRepository(uow.connection).add_decision(decision)
        uow.commit()
    return decision


def score(
    uow: SqlUnitOfWork, clock: Clock, signer: Ed25519Signer, actor: Principal, drill_id: uuid.UUID
) -> list[StoredScore]:
    """Close the drill and score each participant against the optimal contingency plan and their
    time to decide; the scores go on their training records and the result into the ledger."""
    require(actor, Action.RESILIENCE_PLAN)
    drill, stored = _load_drill(uow, actor, drill_id)
    if drill.status != "running":
        raise Conflict(f"drill {drill_id} is already scored")
    network = network_of(stored)
    parsed = _drill_of(drill)
    with uow:
        decisions = ResilienceRepository(uow.connection).decisions(drill.id)
    people = {str(d.user_id): d.username for d in decisions}
    results = score_drill(
        network,
        parsed,
        [Decision(str(d.user_id), d.at_minute, d.action, d.target) for d in decisions],  # type: ignore[arg-type]
    )
    keys = key_actions(network, parsed)
    now = clock.now()
    scores = [
        StoredScore(
            drill_id=drill.id,
            user_id=uuid.UUID(result.participant),
            username=people[result.participant],
            score=round(result.score, 1),
            detail=result.as_dict(),
            scored_at=now,
            drill_title=drill.title,
        )
        for result in results
    ]
    with uow:
        repo = ResilienceRepository(uow.connection)
        if not repo.close_drill(drill.id, keys, now):
            raise Conflict(f"drill {drill_id} is already scored")
        repo.add_scores(scores)
        body = {
            "drill": drill.drill_key,
            "network_sha256": stored.content_sha256,
            "key_actions": sorted(keys),
            "scores": {s.username: s.score for s in scores},
        }
        append_record(uow, "resilience.drill", str(drill.id), str(actor.org_id), now, body)
        audit(uow, actor, clock, "resilience.drill.score", "resilience_drill", str(drill.id), body)
        sign_tree_head(uow, signer, clock)
        uow.commit()
    return scores


def training_record(
    uow: SqlUnitOfWork, actor: Principal, user_id: uuid.UUID | None = None, *, everyone: bool = False
) -> list[StoredScore]:
    """A user's drill scores: one's own by default; another user's, or everyone's in the
    organisation (``everyone``), for those who may plan drills."""
    target: uuid.UUID | None
    if everyone:
        require(actor, Action.RESILIENCE_PLAN)
        target = None
    elif user_id is None or user_id == actor.user_id:
        if not _can(actor, Action.RESILIENCE_DRILL):
            require(actor, Action.RESILIENCE_READ)
        target = actor.user_id
    else:
        require(actor, Action.RESILIENCE_PLAN)
        target = user_id
    with uow:
        return ResilienceRepository(uow.connection).training_record(actor.org_id, target)
