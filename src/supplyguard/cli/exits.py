"""The one table from error class to process exit code."""

from __future__ import annotations

from supplyguard import errors

EXIT_OK = 0
EXIT_ROWS_REJECTED = 3
EXIT_USAGE = 2

#: Most specific class first. 2 is reserved for usage errors (Typer/Click).
EXIT_BY_ERROR: tuple[tuple[type[errors.SupplyGuardError], int], ...] = (
    (errors.PayloadTooLarge, 4),
    (errors.InvalidInput, 4),
    (errors.NotAuthenticated, 5),
    (errors.PermissionDenied, 5),
    (errors.NotFound, 6),
    (errors.Conflict, 7),
    (errors.VerificationFailed, 8),
    (errors.LedgerError, 8),
    (errors.ListSourceError, 9),
    (errors.ModelError, 10),
    (errors.ConfigurationError, 11),
)


def exit_code_for(error: errors.SupplyGuardError) -> int:
    for cls, code in EXIT_BY_ERROR:
        if isinstance(error, cls):
            return code
    return 1
