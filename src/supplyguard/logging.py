"""Structured logging: constant event names with key-value fields.

Library code calls ``get_logger(__name__).info("declaration.scored", declaration_id=..., ms=...)``.
Only entrypoints (CLI, server) call :func:`configure_logging`.
"""

from __future__ import annotations

import json
import logging as _stdlib_logging
import sys
from datetime import UTC, datetime
from typing import Any


class StructuredLogger:
    """A thin wrapper that turns ``event, **fields`` into one structured record."""

    __slots__ = ("_logger",)

    def __init__(self, logger: _stdlib_logging.Logger) -> None:
        self._logger = logger

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, event, extra={"sg_fields": fields})

    def debug(self, event: str, **fields: Any) -> None:
        self._log(_stdlib_logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(_stdlib_logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(_stdlib_logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(_stdlib_logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._logger.exception(event, extra={"sg_fields": fields})


def get_logger(name: str) -> StructuredLogger:
    return StructuredLogger(_stdlib_logging.getLogger(name))


class _KeyValueFormatter(_stdlib_logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self._as_json = as_json

    def format(self, record: _stdlib_logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "sg_fields", {})
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if self._as_json:
            payload = {"ts": when, "level": record.levelname.lower(), "event": record.getMessage()}
            payload.update(fields)
            if record.exc_info:
                payload["exc"] = self.formatException(record.exc_info)
            return json.dumps(payload, default=str)
        parts = [when, record.levelname.lower(), record.getMessage()]
        parts.extend(f"{key}={value}" for key, value in fields.items())
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    """Called by entrypoints only: one handler on stderr for the ``supplyguard`` logger tree."""
    root = _stdlib_logging.getLogger("supplyguard")
    root.handlers.clear()
    handler = _stdlib_logging.StreamHandler(sys.stderr)
    handler.setFormatter(_KeyValueFormatter(as_json))
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
