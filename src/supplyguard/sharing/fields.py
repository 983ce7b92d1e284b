"""An object's disclosable fields: top-level properties and extension properties, by path.

``type``, ``id``, ``spec_version`` and ``modified`` form the object's identity and version: they
are carried in the signed header, never redacted. Every other top-level property is one field
(``description``); each property of an extension is its own field (``seizure.consignee_name``) so a
single personal detail can be withheld while the rest of the extension travels. The provenance
extension is never a field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from supplyguard.sharing.extensions import PROVENANCE_EXTENSION_ID, field_path

HEADER_PROPERTIES = ("type", "id", "spec_version", "modified")


def object_version(stix_object: Mapping[str, Any]) -> str:
    """The version of an object: ``modified``, or ``created`` for objects without one."""
    return str(stix_object.get("modified") or stix_object.get("created") or "")


def object_fields(stix_object: Mapping[str, Any]) -> dict[str, Any]:
    """Path -> value of every disclosable field of ``stix_object``."""
    fields: dict[str, Any] = {}
    for name, value in stix_object.items():
        if name in HEADER_PROPERTIES:
            continue
        if name == "extensions" and isinstance(value, Mapping):
            for ext_id, payload in value.items():
                if ext_id == PROVENANCE_EXTENSION_ID or not isinstance(payload, Mapping):
                    continue
                for prop, prop_value in payload.items():
                    fields[field_path(prop, ext_id)] = prop_value
            continue
        fields[name] = value
    return fields


def assemble_object(stix_object: Mapping[str, Any], keep: Iterable[str]) -> dict[str, Any]:
    """A copy of ``stix_object`` with only the fields in ``keep`` (header properties always stay).

    An extension is kept, with its ``extension_type``, only while at least one of its other
    properties is kept.
    """
    wanted = set(keep)
    result: dict[str, Any] = {}
    extensions: dict[str, dict[str, Any]] = {}
    for name, value in stix_object.items():
        if name in HEADER_PROPERTIES:
            result[name] = value
        elif name == "extensions" and isinstance(value, Mapping):
            for ext_id, payload in value.items():
                if ext_id == PROVENANCE_EXTENSION_ID or not isinstance(payload, Mapping):
                    continue
                kept = {
                    prop: prop_value
                    for prop, prop_value in payload.items()
                    if prop != "extension_type" and field_path(prop, ext_id) in wanted
                }
                if kept:
                    if "extension_type" in payload:
                        kept = {"extension_type": payload["extension_type"], **kept}
                    extensions[ext_id] = kept
        elif name in wanted:
            result[name] = value
    if extensions:
        result["extensions"] = extensions
    return result
