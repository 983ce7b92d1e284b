"""The whole schema: imports every table module (``tables`` and ``*_tables``) so that ``metadata``
knows all tables, for Alembic and for tests that clean the database."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

from supplyguard.adapters.db import metadata as metadata_module


def load_all_tables() -> MetaData:
    package = __name__.rsplit(".", 1)[0]
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if module.name == "tables" or module.name.endswith("_tables"):
            importlib.import_module(f"{package}.{module.name}")
    return metadata_module.metadata
