"""Reading declaration files: CSV (KCS layout or our own columns) and NDJSON, row by row.

Each reader yields :class:`RowInput`: ``mapping`` uses the wire field names of
:func:`supplyguard.model.intake.parse_declaration`, ``labels`` is the KCS row when it carries Fraud
labels, ``problem`` says why a row could not even be read. Row numbers are the file's line numbers as
a person counts them (CSV header = 1). A KCS row carries only ``kcs``, its values in
:data:`~supplyguard.model.kcs.KCS_COLUMNS` order (then the two labels when the file has them): the
importer validates those directly and builds the mapping only for a row it must look at closely
(:meth:`RowInput.wire`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import IO, Any

from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.model.kcs import KCS_COLUMNS, KCS_LABEL_COLUMNS, is_kcs_header, kcs_row_to_mapping


@dataclass(frozen=True, slots=True)
class RowInput:
    line: int
    mapping: Mapping[str, Any] | None
    labels: Mapping[str, str] | None = None
    problem: str | None = None
    layout: str = "wire"
    kcs: tuple[str, ...] | None = None

    def wire(self) -> tuple[Mapping[str, Any] | None, Mapping[str, str] | None]:
        """``(mapping, labels)`` for :func:`~supplyguard.model.intake.parse_declaration`, KCS rows
        included (built here from ``kcs``)."""
        if self.kcs is None:
            return self.mapping, self.labels
        row = dict(zip(KCS_COLUMNS + KCS_LABEL_COLUMNS, self.kcs, strict=False))
        return kcs_row_to_mapping(row), (row if len(self.kcs) > len(KCS_COLUMNS) else None)


RowResult = RowInput

#: Our own flat CSV layout: one declaration with one item per row.
FLAT_COLUMNS = (
    "reference",
    "declared_on",
    "office_id",
    "transport_mode",
    "importer",
    "declarant",
    "seller",
    "courier",
    "process_type",
    "import_type",
    "import_use",
    "payment_type",
    "containers",
    "hs_code",
    "origin_country",
    "departure_country",
    "origin_indicator",
    "net_mass_kg",
    "value",
    "tax_rate_pct",
    "tax_type",
    "duty",
    "description",
)
_ITEM_COLUMNS = {
    "hs_code",
    "origin_country",
    "departure_country",
    "origin_indicator",
    "net_mass_kg",
    "value",
    "tax_rate_pct",
    "tax_type",
    "duty",
    "description",
}
MAX_FIELD_CHARS = 100_000


def _flat_row_to_mapping(row: Mapping[str, str]) -> dict[str, Any]:
    top: dict[str, Any] = {
        k: (v if v != "" else None) for k, v in row.items() if k not in _ITEM_COLUMNS and k
    }
    item = {k: (v if v != "" else None) for k, v in row.items() if k in _ITEM_COLUMNS}
    top["items"] = [item]
    return top


def read_csv(stream: IO[str]) -> Iterator[RowResult]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed([FieldError(("file",), "the CSV file is empty")]) from None
    except csv.Error as exc:
        raise ValidationFailed([FieldError(("file", 1), f"unreadable CSV header: {exc}")]) from exc
    header = [h.strip().lstrip("\ufeff") for h in header]
    kcs = is_kcs_header(header)
    if not kcs:
        missing = [c for c in ("reference", "declared_on", "importer", "hs_code") if c not in header]
        if missing:
            raise ValidationFailed(
                [
                    FieldError(
                        ("file", 1),
                        "the header is neither the KCS layout nor supplyguard's CSV layout "
                        f"(missing {', '.join(missing)}); see docs/declarations.md",
                    )
                ]
            )
    has_labels = kcs and all(c in header for c in KCS_LABEL_COLUMNS)
    width = len(header)
    if kcs:
        # A column named twice counts by its last occurrence, as dict(zip(header, values)) would.
        position = {name: index for index, name in enumerate(header)}
        wanted = KCS_COLUMNS + KCS_LABEL_COLUMNS if has_labels else KCS_COLUMNS
        kcs_values = itemgetter(*(position[name] for name in wanted))
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            yield RowInput(line, None, problem=f"unreadable CSV row: {exc}")
            continue
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != width:
            yield RowInput(line, None, problem=f"has {len(values)} fields, the header has {width}")
            continue
        if kcs:
            yield RowInput(line, None, layout="kcs", kcs=kcs_values(values))
        else:
            yield RowInput(line, _flat_row_to_mapping(dict(zip(header, values, strict=True))), layout="flat")


def read_ndjson(stream: IO[str]) -> Iterator[RowResult]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield RowInput(number, None, problem=f"is not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield RowInput(number, None, problem="must be a JSON object")
            continue
        yield RowInput(number, value)


def detect_format(filename: str | None, content_type: str | None, first_bytes: bytes) -> str:
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    if name.endswith((".ndjson", ".jsonl")) or "ndjson" in ctype or "jsonl" in ctype:
        return "ndjson"
    if name.endswith(".csv") or "csv" in ctype:
        return "csv"
    return "ndjson" if first_bytes.lstrip().startswith(b"{") else "csv"
