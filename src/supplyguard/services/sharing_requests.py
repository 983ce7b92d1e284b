"""Node-to-node authentication: signing our requests to partners, checking theirs to us.

The scheme is :mod:`supplyguard.sharing.requests` (an RFC 9421 profile). Policy:

* a **partner account** (role ``partner``: the local user a partner node's token stands for) must
  sign every request with that partner's node key, and the signer must be the partner the account
  is mapped to: a stolen token alone reads nothing;
* **local staff** tokens (admin, analyst, ...) need no signature; a request that carries one anyway
  is checked all the same;
* a registered partner's refused request (bad signature, stale, replayed, wrong signer) is recorded
  against it like a refused object (``sharing_rejections``, its verification-failure count), so the
  partner status shows it; a request naming no registered partner is only logged;
* a nonce is accepted once per partner: it is stored in ``sharing_request_nonces`` in the same
  database as everything else (so it holds across restarts and between workers) and forgotten
  once its ``created`` time leaves the skew window, after which the request is stale anyway.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from supplyguard.adapters.db.sharing_repo import PartnerRecord, Rejection, SharingRepository
from supplyguard.adapters.db.uow import SqlUnitOfWork
from supplyguard.logging import get_logger
from supplyguard.model.clock import Clock
from supplyguard.model.organisations import Principal, Role
from supplyguard.services.sharing_node import SharingNode
from supplyguard.sharing.requests import (
    RequestSignature,
    RequestSignatureInvalid,
    has_signature,
    parse_request_signature,
    sign_request,
    verify_request,
)

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the server saw of one request: enough to rebuild the signature base."""

    method: str
    path: str
    query: str
    body: bytes
    headers: Mapping[str, str]


def authenticate_node_request(
    uow: SqlUnitOfWork, clock: Clock, max_skew_s: int, principal: Principal, request: SignedRequest
) -> str | None:
    """The partner node that signed ``request`` (None: unsigned staff request); raises if refused."""
    is_partner = Role.PARTNER in principal.roles
    if not has_signature(request.headers):
        if is_partner:
            raise RequestSignatureInvalid(
                "missing", "partner accounts must sign every request with their node key"
            )
        return None
    parsed = parse_request_signature(request.headers)
    now = clock.now()
    with uow:
        repo = SharingRepository(uow.connection)
        partner = repo.partner(parsed.keyid)
        if partner is None or partner.status != "active":
            _refused(parsed.keyid, "unknown")
            raise RequestSignatureInvalid("unknown", f"{parsed.keyid} is not an active partner of this node")
        try:
            _check_known(repo, partner, parsed, principal, request, now, max_skew_s)
        except RequestSignatureInvalid as error:
            failure = error
        else:
            repo.forget_nonces(now - timedelta(seconds=max_skew_s))
            uow.commit()
            return partner.node_id
    # a registered partner's request refused: on its record (partner status, rejections), then 401
    _refused(parsed.keyid, failure.check)
    with uow:
        SharingRepository(uow.connection).record_rejection(
            Rejection(
                partner.node_id,
                f"request:{request.method} {request.path}"[:200],
                f"request-{failure.check}",
                failure.detail,
                now,
            )
        )
        uow.commit()
    raise failure


def _check_known(
    repo: SharingRepository,
    partner: PartnerRecord,
    parsed: RequestSignature,
    principal: Principal,
    request: SignedRequest,
    now: datetime,
    max_skew_s: int,
) -> None:
    verify_request(
        parsed,
        partner.public_key,
        method=request.method,
        path=request.path,
        query=request.query,
        body=request.body,
        now=now,
        max_skew_s=max_skew_s,
    )
    if Role.PARTNER in principal.roles and partner.user_id != principal.user_id:
        raise RequestSignatureInvalid(
            "signer", f"signed by {partner.node_id}, but the token belongs to another partner account"
        )
    if not repo.remember_nonce(partner.node_id, parsed.nonce, datetime.fromtimestamp(parsed.created, tz=UTC)):
        raise RequestSignatureInvalid("replay", "this nonce was already used; sign each request anew")


def _refused(keyid: str, check: str) -> None:
    log.warning("sharing.request_refused", signer=keyid[:100], check=check)


class NodeRequestAuth(httpx.Auth):
    """httpx auth that signs every request as this node and presents the partner's token."""

    requires_request_body = True

    def __init__(self, node: SharingNode, token: str | None) -> None:
        self._node = node
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token:
            request.headers["Authorization"] = f"Bearer {self._token}"
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        request.headers.update(
            sign_request(
                self._node.key,
                method=request.method,
                path=path,
                query=query,
                body=request.content,
                created=self._node.clock.now(),
            )
        )
        yield request
