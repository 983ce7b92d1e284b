"""Validation of STIX objects against the OASIS STIX 2.1 JSON schemas and our extension schemas.

The OASIS schemas are read from a folder given by path (``.../stix/schemas``), registered by their
``$id`` in a ``referencing`` registry so their relative ``$ref``s resolve offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from supplyguard.errors import ConfigurationError, FieldError, ValidationFailed
from supplyguard.sharing.extensions import EXTENSION_SCHEMAS, EXTENSION_SHORT_NAMES

_FOLDERS_BY_KIND = ("sdos", "sros", "common", "observables")


class StixSchemaValidator:
    """Validates STIX 2.1 objects; build one per process with :meth:`from_directory`."""

    def __init__(self, schemas_by_file: Mapping[str, Mapping[str, Any]]) -> None:
        resources = [
            (schema["$id"], Resource.from_contents(dict(schema))) for schema in schemas_by_file.values()
        ]
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self._validators: dict[str, Draft202012Validator] = {}
        for relative, schema in schemas_by_file.items():
            folder, _, name = relative.partition("/")
            type_name = name.removesuffix(".json")
            if folder in ("sdos", "sros", "observables") or type_name in (
                "extension-definition",
                "marking-definition",
                "bundle",
                "core",
                "language-content",
            ):
                self._validators[type_name] = Draft202012Validator(dict(schema), registry=self._registry)
        if "core" not in self._validators:
            raise ConfigurationError("the STIX schema folder has no common/core.json")
        self._extension_validators = {
            ext: Draft202012Validator(schema) for ext, schema in EXTENSION_SCHEMAS.items()
        }

    @classmethod
    def from_directory(cls, schema_dir: Path) -> StixSchemaValidator:
        """Load every ``*.json`` under ``schema_dir`` (sdos, sros, common, observables)."""
        schemas: dict[str, Mapping[str, Any]] = {}
        for folder in _FOLDERS_BY_KIND:
            for path in sorted((schema_dir / folder).glob("*.json")):
                schemas[f"{folder}/{path.name}"] = json.loads(path.read_text(encoding="utf-8"))
        if not schemas:
            raise ConfigurationError(f"no STIX JSON schemas under {schema_dir}")
        return cls(schemas)

    def problems(self, stix_object: Mapping[str, Any]) -> list[FieldError]:
        """Every schema violation of one object (empty when valid), each with its location."""
        type_name = stix_object.get("type")
        if type_name == "bundle":
            return self._bundle_problems(stix_object)
        validator = self._validators.get(str(type_name)) or self._validators["core"]
        found = [
            FieldError(tuple(error.absolute_path), f"{type_name}: {error.message}")
            for error in validator.iter_errors(dict(stix_object))
        ]
        extensions = stix_object.get("extensions")
        if isinstance(extensions, Mapping):
            for ext_id, payload in extensions.items():
                ext_validator = self._extension_validators.get(ext_id)
                if ext_validator is None:
                    continue
                short = EXTENSION_SHORT_NAMES[ext_id]
                found.extend(
                    FieldError(("extensions", short, *error.absolute_path), f"{short}: {error.message}")
                    for error in ext_validator.iter_errors(payload)
                )
        return found

    def _bundle_problems(self, bundle: Mapping[str, Any]) -> list[FieldError]:
        """The bundle envelope, then each object against the schema of its own type.

        The OASIS ``bundle.json`` matches objects it does not list (incident, extension-definition)
        with ``oneOf`` of core and cyber-observable-core, which both accept them, so it rejects
        valid objects; each object is therefore checked alone.
        """
        objects = bundle.get("objects")
        envelope = {key: value for key, value in bundle.items() if key != "objects"}
        found = [
            FieldError(tuple(error.absolute_path), f"bundle: {error.message}")
            for error in self._validators["bundle"].iter_errors(envelope)
        ]
        if objects is None:
            return found
        if not isinstance(objects, list):
            return [*found, FieldError(("objects",), "bundle: objects must be an array")]
        for position, stix_object in enumerate(objects):
            if not isinstance(stix_object, Mapping):
                found.append(FieldError(("objects", position), "bundle: not a JSON object"))
                continue
            found.extend(
                FieldError(("objects", position, *error.location), error.message)
                for error in self.problems(stix_object)
            )
        return found

    def validate(self, stix_object: Mapping[str, Any]) -> None:
        """Raise :class:`ValidationFailed` listing every violation, or return quietly."""
        found = self.problems(stix_object)
        if found:
            raise ValidationFailed(found, f"{stix_object.get('id', 'object')}: " + "; ".join(map(str, found)))

    def validate_all(self, stix_objects: Iterable[Mapping[str, Any]]) -> None:
        for stix_object in stix_objects:
            self.validate(stix_object)
