"""``supplyguard org|user|token ...``: organisations, users and API tokens."""

from __future__ import annotations

import typer

from supplyguard.cli.context import open_container, operator, out_console
from supplyguard.errors import FieldError, OrganisationNotFound, ValidationFailed
from supplyguard.services import accounts as service

org_app = typer.Typer(help="Organisations on this node.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: str = typer.Argument(..., help="Organisation name, unique on this node."),
    country: str = typer.Option(..., help="ISO 3166-1 alpha-2 country."),
    kind: str = typer.Option("customs", help="customs, agency, trader, carrier or port."),
) -> None:
    """Create an organisation."""
    with open_container() as container:
        org = service.create_organisation(container.uow(), container.clock, None, name, country, kind)
        out_console.print(f"organisation {org.name} ({org.kind.value}, {org.country}) id {org.id}")


@org_app.command("list")
def org_list() -> None:
    """List organisations."""
    with open_container() as container, container.uow(readonly=True) as uow:
        for org in uow.accounts.list_orgs():
            out_console.print(f"{org.id}  {org.name}  {org.kind.value}  {org.country}")


@user_app.command("create")
def user_create(
    username: str = typer.Argument(...),
    org: str = typer.Option(..., help="Organisation name."),
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="Role (repeatable): admin, supervisor, officer, analyst, logistics, auditor, partner.",
    ),
    password: str = typer.Option(
        None, help="Password for the web dashboard (omit for API-only users).", prompt=False
    ),
    display_name: str = typer.Option(None, help="Full name shown in the dashboard."),
) -> None:
    """Create a user in an organisation."""
    with open_container() as container:
        with container.uow(readonly=True) as uow:
            found = uow.accounts.get_org_by_name(org)
        if found is None:
            raise OrganisationNotFound(org)
        actor = operator(container, org)
        user = service.create_user(
            container.uow(), container.clock, actor, found.id, username, role, password, display_name
        )
        out_console.print(f"user {user.username} ({', '.join(sorted(user.roles))}) id {user.id}")


@token_app.command("create")
def token_create(
    username: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("cli", help="A label for the token."),
    days: int = typer.Option(None, min=1, help="Expire after this many days (default: never)."),
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    with open_container() as container:
        with container.uow(readonly=True) as uow:
            found = uow.accounts.get_user_by_name(username)
        if found is None:
            raise ValidationFailed([FieldError(("username",), f"no user named {username!r}")])
        org = None
        with container.uow(readonly=True) as uow:
            owner = uow.accounts.get_org(found[0].org_id)
            org = owner.name if owner else None
        issued = service.create_token(
            container.uow(), container.clock, operator(container, org), username, name, days
        )
        out_console.print(issued.token, highlight=False, soft_wrap=True)
