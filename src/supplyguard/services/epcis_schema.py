"""The opt-in strict mode of EPCIS capture: the GS1 EPCIS 2.0 JSON schema, loaded once per process.

Capture always runs the structural and semantic checks of :mod:`supplyguard.tracking`; with the
``epcis_schema_file`` setting (``SUPPLYGUARD_EPCIS_SCHEMA_FILE``) pointing at GS1's
``EPCIS-JSON-Schema.json``, every JSON / JSON-LD document is also validated against that schema,
its ``uri`` and ``date-time`` formats included, before it is parsed; an XML document (the schema is
a JSON one) has the same fields checked against the same formats once it is parsed. It is opt-in because the
schema costs 10 to 30 times the parse itself (docs/benchmarks.md): a node that accepts documents
from partners it does not trust, and can afford the time, turns it on.

:func:`epcis_schema_for` is what ``bootstrap.build`` calls; the API's capture route and
``supplyguard events import`` then find the schema under ``container.extras["epcis_schema"]``.
An unreadable file or one that is not a JSON schema is a :class:`ConfigurationError` at start,
never a surprise at the first capture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from supplyguard.errors import ConfigurationError

if TYPE_CHECKING:
    from supplyguard.tracking import EpcisJsonSchema

SCHEMA_EXTRA = "epcis_schema"

__all__ = ["SCHEMA_EXTRA", "epcis_schema_for", "load_epcis_schema"]


def load_epcis_schema(path: Path) -> EpcisJsonSchema:
    """The GS1 EPCIS JSON schema at ``path``, compiled; a bad file is a :class:`ConfigurationError`."""
    from supplyguard.tracking import EpcisJsonSchema  # only with the setting: the CLI starts without it

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"epcis_schema_file: cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"epcis_schema_file: {path} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigurationError(f"epcis_schema_file: {path} is not a JSON schema (an object)")
    try:
        return EpcisJsonSchema(document)
    except ConfigurationError as exc:  # a format checker missing: said as it is
        raise ConfigurationError(f"epcis_schema_file: {exc}") from exc
    except Exception as exc:  # jsonschema's SchemaError, or a schema it cannot compile
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigurationError(f"epcis_schema_file: {path} is not a valid JSON schema: {message}") from exc


def epcis_schema_for(path: Path | None) -> dict[str, EpcisJsonSchema]:
    """The container extras the setting asks for: the compiled schema, or nothing when unset."""
    return {} if path is None else {SCHEMA_EXTRA: load_epcis_schema(path)}
