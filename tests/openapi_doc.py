"""Checking what the API sends against what its OpenAPI document declares."""

from __future__ import annotations

from typing import Any

import jsonschema


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of ``schema``, a schema in the OpenAPI document ``spec`` (its references resolved
    in the document)."""
    return jsonschema.Draft202012Validator({**schema, "components": spec.get("components", {})})


def problem_validator(spec: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of the document's own Problem schema, which it declares for every error."""
    return schema_validator(spec, {"$ref": "#/components/schemas/Problem"})


def assert_as_declared(spec: dict[str, Any], path: str, method: str, response: Any) -> None:
    """``response`` (an httpx answer to ``method`` on the document's ``path`` template) has a media
    type and a body the document declares for its status (or for ``default``)."""
    responses = spec["paths"][path][method.lower()]["responses"]
    declared = responses.get(str(response.status_code), responses.get("default"))
    assert declared is not None, f"{method} {path}: {response.status_code} is not declared"
    content = declared.get("content", {})
    media_type = response.headers["content-type"]
    assert media_type in content, f"{method} {path}: {media_type} is not one of {sorted(content)}"
    errors = [
        e.message for e in schema_validator(spec, content[media_type]["schema"]).iter_errors(response.json())
    ]
    assert not errors, f"{method} {path} -> {response.status_code}: {errors}"
