"""The unit of work: one connection, one transaction, every repository; rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from supplyguard.adapters.db.accounts_repo import AccountRepository
from supplyguard.adapters.db.audit_repo import AuditRepository
from supplyguard.adapters.db.declarations_repo import DeclarationRepository, PartyRepository
from supplyguard.adapters.db.idempotency_repo import IdempotencyRepository
from supplyguard.adapters.db.ledger_store import LedgerStore
from supplyguard.adapters.db.risk_repo import RiskRepository


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls everything back."""

    accounts: AccountRepository
    audit: AuditRepository
    declarations: DeclarationRepository
    parties: PartyRepository
    idempotency: IdempotencyRepository
    ledger: LedgerStore
    risk: RiskRepository

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self._engine = engine
        self._readonly = readonly
        self._conn: Connection | None = None
        self._committed = False

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._conn

    def __enter__(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._readonly:
            conn = conn.execution_options(supplyguard_readonly=True)
        conn.begin()
        self._conn = conn
        self._committed = False
        self.accounts = AccountRepository(conn)
        self.audit = AuditRepository(conn)
        self.declarations = DeclarationRepository(conn)
        self.parties = PartyRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.ledger = LedgerStore(conn)
        self.risk = RiskRepository(conn)
        return self

    def commit(self) -> None:
        self.connection.commit()
        self._committed = True

    def rollback(self) -> None:
        self.connection.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        try:
            if not self._committed and conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None
