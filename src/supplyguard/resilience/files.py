"""Network files: YAML documents and CSV tables read into a validated :class:`Network`."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.resilience.loader import parse_network
from supplyguard.resilience.model import Network


def parse_network_yaml(text: str, *, default_name: str = "network") -> Network:
    """Parse and validate a network written in YAML (see docs/resilience.md for the schema)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed([FieldError((), f"not valid YAML{where}: {exc}")]) from exc
    return parse_network(document or {}, default_name=default_name)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(io.StringIO(text))
    ]


def sites_from_csv(text: str) -> list[dict[str, Any]]:
    """Site records from a CSV table: ``id,kind,name,capacity,ttr,makes,lat,lon,country,port_code``
    plus ``stock.<product>`` and ``demand.<product>`` columns; ``makes`` is ``;``-separated."""
    out: list[dict[str, Any]] = []
    for row in _csv_rows(text):
        record: dict[str, Any] = {}
        for key, value in row.items():
            if value == "":
                continue
            if key.startswith(("stock.", "demand.")):
                group, product = key.split(".", 1)
                record.setdefault(group, {})[product] = value
            elif key in ("lat", "lon"):
                try:
                    record[key] = float(value)
                except ValueError:
                    record[key] = value
            else:
                record[key] = value
        out.append(record)
    return out


def lanes_from_csv(text: str) -> list[dict[str, Any]]:
    """Lane records from a CSV table: ``id,from,to,mode,lead_time_days,capacity,products,passages``;
    ``passages`` is ``suez=12;malacca`` (a passage without ``=days`` has no detour)."""
    out: list[dict[str, Any]] = []
    for row in _csv_rows(text):
        record: dict[str, Any] = {k: v for k, v in row.items() if v != "" and k != "passages"}
        if row.get("passages"):
            passages: dict[str, str | None] = {}
            for part in row["passages"].split(";"):
                if part.strip():
                    pname, _, days = part.partition("=")
                    passages[pname.strip()] = days.strip() or None
            record["passages"] = passages
        out.append(record)
    return out


def load_network(path: Path) -> Network:
    """Read a network YAML file; ``sites_csv`` / ``lanes_csv`` name CSV tables beside it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed([FieldError((), f"cannot read {path}: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ValidationFailed([FieldError((), f"{path} is not UTF-8 text: {exc.reason}")]) from exc
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError((), f"not valid YAML: {exc}")]) from exc
    if isinstance(document, dict):
        for key, convert, target in (
            ("sites_csv", sites_from_csv, "sites"),
            ("lanes_csv", lanes_from_csv, "lanes"),
        ):
            name = document.pop(key, None)
            if name:
                try:
                    table = (path.parent / str(name)).read_text(encoding="utf-8")
                except OSError as exc:
                    raise ValidationFailed(
                        [FieldError((key,), f"cannot read {name}: {exc.strerror}")]
                    ) from exc
                except UnicodeDecodeError as exc:
                    raise ValidationFailed(
                        [FieldError((key,), f"{name} is not UTF-8 text: {exc.reason}")]
                    ) from exc
                document[target] = list(document.get(target) or []) + convert(table)
    return parse_network(document, default_name=path.stem)
