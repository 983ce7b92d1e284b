"""What every command shares: settings from the environment, the container, the acting principal."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from supplyguard.errors import ConfigurationError, FieldError, ValidationFailed
from supplyguard.model.organisations import Principal, Role

#: The terminal operator is not a stored user: the nil UUID stands for them in audit entries.
OPERATOR_ID = uuid.UUID(int=0)

# No markup or highlighting: what is printed is data (names, file paths, reasons) and must come out as is.
if TYPE_CHECKING:
    from supplyguard.bootstrap import Container

err_console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
out_console = Console(markup=False, highlight=False, soft_wrap=True)


@contextmanager
def open_container(*, require_schema: bool = True) -> Iterator[Container]:
    # Imported here, not at the top: `supplyguard --help` and file-only commands stay fast, and a
    # command that starts work beside it first (the import's reader process) starts it sooner.
    from supplyguard.adapters.db.migrate import is_up_to_date
    from supplyguard.bootstrap import build
    from supplyguard.config import load_settings

    container = build(load_settings())
    try:
        if require_schema and not is_up_to_date(container.engine):
            raise ConfigurationError(
                "the database schema is missing or out of date: run `supplyguard db upgrade` first"
            )
        yield container
    finally:
        container.close()


def operator(container: Container, org_name: str | None) -> Principal:
    """The person at the terminal, acting as an administrator of one organisation of this node."""
    with container.uow(readonly=True) as uow:
        orgs = uow.accounts.list_orgs()
    if org_name is None:
        if len(orgs) != 1:
            names = ", ".join(o.name for o in orgs) or "none yet"
            raise ValidationFailed(
                [FieldError(("--org",), f"name the organisation (this node has: {names})")]
            )
        org = orgs[0]
    else:
        matches = [o for o in orgs if o.name == org_name]
        if not matches:
            raise ValidationFailed([FieldError(("--org",), f"no organisation named {org_name!r}")])
        org = matches[0]
    return Principal(
        user_id=OPERATOR_ID,
        org_id=org.id,
        username=f"cli:{getpass.getuser()}",
        roles=frozenset({Role.ADMIN, Role.SUPERVISOR}),
        source="terminal",
        via="cli",
    )
