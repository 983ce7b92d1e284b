"""The one error tree of supplyguard.

Every error a user can cause or meet is a subclass of :class:`SupplyGuardError`. Each carries
structured attributes (never only a string) and a human message. HTTP statuses are mapped in one
table in ``supplyguard.api.problems``; CLI exit codes in one table in ``supplyguard.cli.exits``.
Nothing else raises ``HTTPException`` or ``typer.Exit``.

::

    SupplyGuardError
    ├── InvalidInput                    bad data from a client (422)
    │   ├── ValidationFailed            one or more field errors, each with a location
    │   └── PayloadTooLarge             body or file over the configured limit (413)
    ├── NotAuthenticated                no or bad credentials (401)
    ├── PermissionDenied                authenticated but not allowed (403)
    │   └── AgreementViolation          intelligence outside a sharing agreement
    ├── NotFound                        no such record visible to the caller (404)
    │   ├── DeclarationNotFound
    │   ├── PartyNotFound
    │   ├── OrganisationNotFound
    │   ├── LedgerRecordNotFound
    │   ├── ScreeningHitNotFound
    │   ├── PartnerNotFound             no sharing partner with that node id
    │   ├── IntelNotFound               no shared intelligence object with that id
    │   ├── EpcisEventNotFound          no EPCIS event with that eventID or hash
    │   ├── CaptureJobNotFound          no EPCIS capture job with that id
    │   ├── AlertNotFound               no tracking alert with that id
    │   ├── TrackingRuleNotFound        no tracking rule (or device link) with that name or id
    │   ├── NetworkNotFound             no stored supply network with that id
    │   └── DrillNotFound               no resilience drill with that id
    ├── Conflict                        state conflict, e.g. duplicate key or idempotency clash (409)
    │   └── DuplicateEvents             EPCIS events already captured (or repeated), with their paths
    ├── LedgerError                     the Merkle log refuses a request or fails verification
    │   ├── ProofRequestInvalid         sizes beyond the tree, index >= size (422)
    │   └── VerificationFailed          a proof, checkpoint or signature does not verify (422)
    │       └── SignedObjectInvalid     a shared object is forged, tampered, replayed or deleted
    ├── ListSourceError                 a sanctions list could not be read or fetched (422)
    ├── ModelError                      a risk model file is missing, mismatched or corrupt (422)
    └── ConfigurationError              the node's own settings are wrong (500-class, operator's fault)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SupplyGuardError(Exception):
    """Base of every supplyguard error: ``message`` is for people, attributes for code."""

    title = "supplyguard error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SupplyGuardError):
    title = "Invalid input"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``location`` is a path such as ``("items", 0, "hs_code")``."""

    location: tuple[str | int, ...]
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"loc": list(self.location), "msg": self.message}

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.location) or "(document)"
        return f"{where}: {self.message}"


class ValidationFailed(InvalidInput):
    title = "Validation failed"

    def __init__(self, errors: Sequence[FieldError], message: str | None = None) -> None:
        self.errors = tuple(errors)
        super().__init__(message or "; ".join(str(e) for e in self.errors) or "invalid input")


class PayloadTooLarge(InvalidInput):
    title = "Payload too large"

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes
        super().__init__(f"payload of {size_bytes} bytes exceeds the limit of {limit_bytes} bytes")


class NotAuthenticated(SupplyGuardError):
    title = "Not authenticated"


class PermissionDenied(SupplyGuardError):
    title = "Permission denied"

    def __init__(self, action: str, reason: str | None = None) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"not allowed to {action}" + (f": {reason}" if reason else ""))


class AgreementViolation(PermissionDenied):
    """A partner sent (or we would send) intelligence outside a sharing agreement."""

    title = "Outside the sharing agreement"

    def __init__(self, agreement_id: str, object_id: str, reasons: Sequence[str]) -> None:
        self.agreement_id = agreement_id
        self.object_id = object_id
        self.reasons = tuple(reasons)
        super().__init__(f"accept {object_id} under agreement {agreement_id}", "; ".join(self.reasons))


class NotFound(SupplyGuardError):
    title = "Not found"
    kind = "record"

    def __init__(self, record_id: object) -> None:
        self.record_id = record_id
        super().__init__(f"{self.kind} {record_id} not found")


class DeclarationNotFound(NotFound):
    kind = "declaration"


class PartyNotFound(NotFound):
    kind = "party"


class OrganisationNotFound(NotFound):
    kind = "organisation"


class UserNotFound(NotFound):
    kind = "user"


class LedgerRecordNotFound(NotFound):
    kind = "ledger record"


class ScreeningHitNotFound(NotFound):
    kind = "screening hit"


class ScreeningRunNotFound(NotFound):
    kind = "screening run"


class PartnerNotFound(NotFound):
    kind = "sharing partner"


class IntelNotFound(NotFound):
    kind = "intelligence object"


class EpcisEventNotFound(NotFound):
    kind = "EPCIS event"


class CaptureJobNotFound(NotFound):
    kind = "capture job"


class AlertNotFound(NotFound):
    kind = "tracking alert"


class TrackingRuleNotFound(NotFound):
    kind = "tracking rule or device link"


class NetworkNotFound(NotFound):
    kind = "supply network"


class DrillNotFound(NotFound):
    kind = "drill"


class Conflict(SupplyGuardError):
    title = "Conflict"


class DuplicateEvents(Conflict):
    """EPCIS events whose hash was already captured (or repeats in the document), each with its path."""

    title = "Duplicate events"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "duplicate events")


class LedgerError(SupplyGuardError):
    title = "Ledger error"


class ProofRequestInvalid(LedgerError):
    title = "Invalid proof request"


class VerificationFailed(LedgerError):
    title = "Verification failed"


class SignedObjectInvalid(VerificationFailed):
    """A shared intelligence object fails one named ``check``.

    ``check`` is one of ``format``, ``header``, ``unknown-key``, ``author``, ``signature``,
    ``field``, ``replay``, ``deleted``.
    """

    title = "Shared object rejected"

    def __init__(self, object_id: str, check: str, detail: str) -> None:
        self.object_id = object_id
        self.check = check
        self.detail = detail
        super().__init__(f"{object_id}: {check}: {detail}")


class ListSourceError(SupplyGuardError):
    title = "Sanctions list error"

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class ModelError(SupplyGuardError):
    title = "Model error"


class ConfigurationError(SupplyGuardError):
    title = "Configuration error"
