"""``supplyguard risk ...``: train, score and evaluate the targeting model; test rules."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from supplyguard.cli.context import err_console, out_console

risk_app = typer.Typer(help="Risk targeting: model and rules.", no_args_is_help=True)
rules_app = typer.Typer(help="Analysts' targeting rules (YAML).", no_args_is_help=True)
risk_app.add_typer(rules_app, name="rules")
trusted_app = typer.Typer(help="Trusted traders (AEO / C-TPAT) and mutual recognition.", no_args_is_help=True)
risk_app.add_typer(trusted_app, name="trusted")


@risk_app.command("train")
def train(
    train_file: Path = typer.Option(..., "--train", help="Labelled declarations (KCS layout) to learn from."),
    valid_file: Path = typer.Option(
        ..., "--valid", help="Later labelled declarations: early stopping, calibration."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the model file."),
) -> None:
    """Train the LightGBM model with calibrated probabilities and the duty ranking."""
    from supplyguard.services import risk_files as service

    with err_console.status("training"):
        model = service.train_from_files(train_file, valid_file, out)
    metrics = model.metadata.get("valid_metrics", {})
    out_console.print(f"model {model.version} written to {out} (sha256 {model.content_sha256[:16]}…)")
    out_console.print(f"validation: {metrics}", highlight=False)


@risk_app.command("score")
def score(
    input_file: Path = typer.Argument(..., help="Declarations to score (KCS layout; labels ignored)."),
    model: Path = typer.Option(..., "--model", help="A model file from `risk train`."),
    out: Path = typer.Option(..., "--out", help="CSV with Declaration ID, score, expected_duty, lane."),
    history: list[Path] = typer.Option([], "--history", help="Earlier labelled declarations (repeatable)."),
    red_share: float = typer.Option(0.05, min=0.0, max=1.0, help="Share of each day's declarations in red."),
    yellow_share: float = typer.Option(0.0, min=0.0, max=1.0, help="Share in yellow (document checks)."),
) -> None:
    """Score a file of declarations; nothing about a row is learnt from its own label."""
    from supplyguard.services import risk_files as service

    scored = service.score_file(
        model, input_file, out, history_paths=history, red_share=red_share, yellow_share=yellow_share
    )
    lanes: dict[str, int] = {}
    for item in scored:
        lanes[item.lane.value] = lanes.get(item.lane.value, 0) + 1
    out_console.print(f"{len(scored)} declarations scored into {out}: {lanes}")


class OnlineStart(StrEnum):
    """The online simulation's start (mirrors ``supplyguard.risk.online.Start``, plus both)."""

    BOTH = "both"
    INSPECTED_HISTORY = "inspected-history"
    FULL_LABELS = "full-labels"


class PastInspections(StrEnum):
    """Mirrors ``supplyguard.risk.online.PastPolicy`` (kept here so the CLI starts without numpy)."""

    TARGETED = "targeted"
    RANDOM = "random"


@risk_app.command("evaluate")
def evaluate(
    train_file: Path = typer.Option(..., "--train"),
    valid_file: Path = typer.Option(..., "--valid"),
    test_file: Path = typer.Option(..., "--test"),
    online: bool = typer.Option(True, help="Also run the week-by-week online simulation (minutes)."),
    start: OnlineStart = typer.Option(
        OnlineStart.BOTH,
        "--start",
        help="Online simulation start: inspected-history (2020 outcomes only for what a past policy"
        " inspected within capacity), full-labels (every 2020 outcome known), or both side by side.",
    ),
    past_policy: PastInspections = typer.Option(
        PastInspections.TARGETED,
        "--past-policy",
        help="How 2020's inspections were chosen in the inspected-history start: targeted (a rule score"
        " on duty at stake, tax rate, the importer's past frauds, new importers) or random.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """DATE protocol: train on train, tune on valid, report on test (and its hard subset), beside the
    published figures."""
    from supplyguard.risk.online import PastPolicy, Start
    from supplyguard.services import risk_files as service

    starts = (
        (Start.INSPECTED_HISTORY, Start.FULL_LABELS) if start is OnlineStart.BOTH else (Start(start.value),)
    )
    with err_console.status("evaluating"):
        report = service.evaluate_files(
            train_file,
            valid_file,
            test_file,
            online=online,
            starts=starts,
            past_policy=PastPolicy(past_policy.value),
        )
    if as_json:
        typer.echo(report.to_json())
    else:
        typer.echo(report.to_table())


@rules_app.command("test")
def rules_test(
    rules_file: Path = typer.Argument(..., help="A rules file (YAML)."),
    rule: str = typer.Option(None, "--rule", help="Only this rule id."),
    history: list[Path] = typer.Option(..., "--history", help="Past labelled declarations (repeatable)."),
) -> None:
    """How many past declarations each rule hits, and their fraud rate."""
    from supplyguard.services import risk_files as service

    for result in service.check_rules_file(rules_file, history, rule):
        out_console.print(result.describe(), highlight=False)


@risk_app.command("retrain")
def retrain(
    org: str = typer.Option(None, help="Organisation (needed when the node has several)."),
    if_due: bool = typer.Option(
        False,
        "--if-due",
        help="Only when the active model is SUPPLYGUARD_RISK_RETRAIN_EVERY_DAYS old or older (for cron).",
    ),
) -> None:
    """Train a new model on this organisation's recorded outcomes, activate it, ledger it."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import risk_node
    from supplyguard.services.risk_intake import invalidate_intake

    with open_container() as container:
        actor = operator(container, org)
        if if_due:
            due = risk_node.retrain_due(
                container.uow(), container.clock, actor, container.settings.risk_retrain_every_days
            )
            if not due.due:
                out_console.print(f"not due: {due.reason}")
                return
            out_console.print(f"due: {due.reason}")
        with err_console.status("training on recorded outcomes"):
            stored = risk_node.retrain(
                container.uow(), container.clock, container.signer, container.settings.models_dir, actor
            )
        invalidate_intake(container.extras, actor.org_id)
        rows = stored.summary.get("rows", {})
        window = stored.summary.get("data_window", {})
        out_console.print(
            f"model {stored.version} active, trained on {sum(rows.values())} outcomes "
            f"({window.get('train', {}).get('from')} to {window.get('valid', {}).get('to')}); "
            f"validation {stored.summary.get('valid_metrics')}"
        )


@risk_app.command("drift")
def drift(
    weeks: int = typer.Option(12, "--weeks", min=1, help="How many of the latest weeks to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the weeks as JSON."),
    org: str = typer.Option(None, help="Organisation (needed when the node has several)."),
) -> None:
    """Score distribution and inspection hit rate per week on this node's scored declarations."""
    import dataclasses
    import json

    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import risk_node

    with open_container() as container:
        summary = risk_node.drift(container.uow(), container.clock, operator(container, org), weeks=weeks)
    if as_json:
        body = {
            "model_version": summary.model_version,
            "reference": summary.reference,
            "weeks": [dataclasses.asdict(week) for week in summary.weeks],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    out_console.print(f"model {summary.model_version or '(none active)'}; reference: {summary.reference}")
    if not summary.weeks:
        return
    out_console.print("week      declarations  mean   p50    p90    inspected  hit rate  PSI")
    for week in summary.weeks:
        rate = "-" if week.hit_rate is None else f"{week.hit_rate:.0%}"
        out_console.print(
            f"{week.week:<9} {week.declarations:>12}  {week.mean_score:.3f}  {week.p50_score:.3f}  "
            f"{week.p90_score:.3f}  {week.inspected:>9}  {rate:>8}  {week.psi:.2f}  {week.reason}"
        )


@trusted_app.command("load")
def trusted_load(
    register_file: Path = typer.Argument(..., help="A trusted-trader register (YAML)."),
    org: str = typer.Option(None, help="Organisation (needed when the node has several)."),
) -> None:
    """Validate a trusted-trader register and make it the organisation's whole register."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.errors import FieldError, ValidationFailed
    from supplyguard.services import risk_node
    from supplyguard.services.risk_intake import invalidate_intake

    if not register_file.is_file():
        raise ValidationFailed([FieldError(("REGISTER_FILE",), f"{register_file} is not a readable file")])
    with open_container() as container:
        actor = operator(container, org)
        register = risk_node.load_trust(
            container.uow(),
            container.clock,
            container.signer,
            actor,
            register_file.read_text(encoding="utf-8"),
        )
        invalidate_intake(container.extras, actor.org_id)
        out_console.print(
            f"{len(register.statuses)} trusted-trader statuses and {len(register.arrangements)} "
            "mutual recognition arrangements in force"
        )


@risk_app.command("rescore")
def rescore(org: str = typer.Option(None, help="Organisation (needed when the node has several).")) -> None:
    """Score every declaration without an outcome with the active model; fill lanes within capacity."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import risk_node

    with open_container() as container:
        settings = container.settings
        summary = risk_node.score_open(
            container.uow(),
            container.clock,
            operator(container, org),
            red_per_day=settings.inspection_red_per_day,
            yellow_per_day=settings.inspection_yellow_per_day,
            exploration_share=settings.exploration_share,
        )
        out_console.print(
            f"{summary.scored} declarations scored with {summary.model_version}: {summary.lanes}"
        )


@risk_app.command("activate")
def activate(
    version: str = typer.Argument(..., help="A model version from `risk retrain`."),
    org: str = typer.Option(None, help="Organisation (needed when the node has several)."),
) -> None:
    """Make a registered model version the active one (recorded in the ledger)."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.services import risk_node

    with open_container() as container:
        risk_node.activate(
            container.uow(), container.clock, container.signer, operator(container, org), version
        )
        out_console.print(f"model {version} active")


@rules_app.command("load")
def rules_load(
    rules_file: Path = typer.Argument(..., help="A rules file (YAML) to put in force."),
    org: str = typer.Option(None, help="Organisation (needed when the node has several)."),
) -> None:
    """Validate a rules file and make it the rules in force (each rule version is a ledger leaf)."""
    from supplyguard.cli.context import open_container, operator
    from supplyguard.errors import FieldError, ValidationFailed
    from supplyguard.services import risk_node

    if not rules_file.is_file():
        raise ValidationFailed([FieldError(("RULES_FILE",), f"{rules_file} is not a readable file")])
    with open_container() as container:
        rules = risk_node.load_rules(
            container.uow(),
            container.clock,
            container.signer,
            operator(container, org),
            rules_file.read_text(encoding="utf-8"),
        )
        out_console.print(
            f"{len(rules)} rules in force: {', '.join(f'{r.rule_id} v{r.version}' for r in rules)}"
        )
