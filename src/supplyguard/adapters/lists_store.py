"""Sanctions lists kept in the node's data directory: one folder per list id, swapped in atomically.

``data_dir/lists/<list_id>/`` holds the list's source files as imported and ``manifest.json`` (list
metadata, the format, the import time). A new version is written beside the old one and renamed into
place only after it has been read successfully, so a broken file never replaces a good list.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from supplyguard.errors import ListSourceError
from supplyguard.model.clock import iso_utc
from supplyguard.screening import ListMetadata, ListSnapshot, read_list

MANIFEST = "manifest.json"


class ListStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def install(self, source: Path, fmt: str | None, imported_at: datetime) -> ListMetadata:
        """Read ``source`` (a file or an OFAC CSV folder); if it parses, make it the list in force."""
        if not source.exists():
            raise ListSourceError(str(source), "no such file or folder")
        snapshot = read_list(source, fmt)  # raises ListSourceError on a broken or truncated file
        meta = snapshot.metadata
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{meta.list_id}-", dir=self.root))
        try:
            files = [source] if source.is_file() else sorted(p for p in source.iterdir() if p.is_file())
            for path in files:
                shutil.copy2(path, staging / path.name)
            manifest = {
                "metadata": asdict(meta),
                "format": meta.format,
                "entry": source.name if source.is_file() else ".",
                "imported_at": iso_utc(imported_at),
            }
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            target = self.root / meta.list_id
            previous = self.root / f".{meta.list_id}.previous"
            if previous.exists():
                shutil.rmtree(previous)
            if target.exists():
                os.replace(target, previous)
            os.replace(staging, target)
            if previous.exists():
                shutil.rmtree(previous)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return meta

    def manifests(self) -> list[dict[str, Any]]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            manifest = folder / MANIFEST
            if manifest.is_file():
                found.append(json.loads(manifest.read_text(encoding="utf-8")) | {"folder": str(folder)})
        return found

    def snapshots(self) -> list[ListSnapshot]:
        """Every list in force, read from its stored files."""
        result = []
        for manifest in self.manifests():
            folder = Path(manifest["folder"])
            entry = folder if manifest["entry"] == "." else folder / manifest["entry"]
            result.append(read_list(entry, manifest["format"]))
        return result
