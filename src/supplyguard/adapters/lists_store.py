"""Sanctions lists kept in the node's data directory: one folder per list id, swapped in atomically.

``data_dir/lists/<list_id>/`` holds the list's source files as imported and ``manifest.json`` (list
metadata, the format, the import time, the URL it was downloaded from). A new version is written
beside the old one and renamed into place only after it has been read successfully, so a broken
file never replaces a good list. :meth:`ListStore.update` downloads a list first (``httpx``, with
timeouts, streamed to a staging folder, the byte count checked against the server's length) and
installs it the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from supplyguard.adapters.http import http_client
from supplyguard.errors import ListSourceError
from supplyguard.model.clock import iso_utc
from supplyguard.screening import ListMetadata, ListSnapshot, read_list

MANIFEST = "manifest.json"
#: A new version with fewer entries than this share of the list in force is refused as truncated.
MIN_SHARE_OF_CURRENT = 0.5
#: The most one downloaded file may hold (the OpenSanctions sanctions export is a few hundred MB).
MAX_DOWNLOAD_BYTES = 2 * 1024**3
#: OFAC legacy CSV lists: the main file and the companions fetched from the same folder.
OFAC_COMPANIONS = {
    "sdn.csv": ("alt.csv", "add.csv", "sdn_comments.csv"),
    "cons_prim.csv": ("cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
}
#: The format of each list id whose format the official URL does not tell.
FORMAT_OF_LIST = {
    "ofac-sdn": "ofac-csv",
    "ofac-cons": "ofac-csv",
    "un-sc": "un-xml",
    "us-csl": "csl-csv",
    "opensanctions": "ftm-json",
    "eu-fsf": "eu-xml",
    "uk-ofsi": "uk-ofsi-csv",
    "bis-dpl": "bis-dpl",
}

#: ``progress(label, bytes so far, bytes expected or None)``
Progress = Callable[[str, int, int | None], None]


class ListStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def install(
        self,
        source: Path,
        fmt: str | None,
        imported_at: datetime,
        *,
        source_url: str | None = None,
        http_date: str = "",
        expected_list_id: str | None = None,
        min_share: float | None = None,
    ) -> ListMetadata:
        """Read ``source`` (a file or an OFAC CSV folder); if it parses, make it the list in force.

        ``expected_list_id``: refuse a file that turns out to be another list. ``min_share``: refuse a
        version with fewer entries than this share of the list in force (a cut-short file whose last
        record happens to be complete). ``http_date``: the server's Last-Modified date, the list date
        when the file states none."""
        if not source.exists():
            raise ListSourceError(str(source), "no such file or folder")
        label = source_url or str(source)
        snapshot = read_list(source, fmt)  # raises ListSourceError on a broken or truncated file
        meta = snapshot.metadata
        if expected_list_id is not None and meta.list_id != expected_list_id:
            raise ListSourceError(
                label, f"the file holds the list {meta.list_id!r}, not {expected_list_id!r}"
            )
        if min_share is not None:
            current = self.manifest(meta.list_id)
            in_force = int(current["metadata"]["entry_count"]) if current else 0
            if meta.entry_count < min_share * in_force:
                raise ListSourceError(
                    label,
                    f"{meta.entry_count:,} entries where the list in force has {in_force:,}: "
                    "a truncated file? (allow it with --allow-shrink)",
                )
        list_date_from = "file" if meta.list_date else ""
        if not meta.list_date and http_date:
            meta = replace(meta, list_date=http_date)
            list_date_from = "http last-modified"
        if source_url:
            meta = replace(meta, source=source_url)
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
                "source_url": source_url,
                "list_date_from": list_date_from,
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

    def update(
        self,
        list_id: str,
        url: str,
        imported_at: datetime,
        *,
        client: httpx.Client,
        progress: Progress | None = None,
        min_share: float | None = MIN_SHARE_OF_CURRENT,
    ) -> ListMetadata:
        """Download ``url`` (and, for an OFAC CSV list, its companion files), check it parses, holds
        the list ``list_id`` and is not much shorter than the list in force, then swap it in. Any
        failure raises :class:`ListSourceError` and leaves the list in force as it was."""
        self.root.mkdir(parents=True, exist_ok=True)
        download = Path(tempfile.mkdtemp(prefix=f".download-{list_id}-", dir=self.root))
        try:
            main_name = _file_name(url)
            fmt = FORMAT_OF_LIST.get(list_id)
            is_ofac = main_name.lower() in OFAC_COMPANIONS
            if is_ofac:
                fmt = "ofac-csv"
            local_name = main_name.lower() if is_ofac else (main_name or "list")
            http_date = _fetch(client, url, download / local_name, progress)
            if is_ofac:
                upper = main_name.isupper()
                for companion in OFAC_COMPANIONS[main_name.lower()]:
                    remote = companion.upper() if upper else companion
                    optional = "comments" in companion  # remarks overflow: older publications lack it
                    _fetch(client, _sibling(url, remote), download / companion, progress, optional)
            source = download if is_ofac else download / local_name
            return self.install(
                source,
                fmt,
                imported_at,
                source_url=url,
                http_date=http_date,
                expected_list_id=list_id if list_id in FORMAT_OF_LIST else None,
                min_share=min_share,
            )
        finally:
            shutil.rmtree(download, ignore_errors=True)

    def manifest(self, list_id: str) -> dict[str, Any] | None:
        path = self.root / list_id / MANIFEST
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8")) | {"folder": str(path.parent)}  # type: ignore[no-any-return]

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


def download_client(timeout_s: float) -> httpx.Client:
    """The HTTP client of ``lists update``: redirects followed, a timeout on connect and each read."""
    return http_client(
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": "supplyguard (sanctions list update)"},
    )


def _file_name(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _sibling(url: str, name: str) -> str:
    parts = urlsplit(url)
    folder = parts.path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, f"{folder}/{name}", parts.query, ""))


def _fetch(
    client: httpx.Client, url: str, target: Path, progress: Progress | None, optional: bool = False
) -> str:
    """Stream ``url`` into ``target``; the server's Last-Modified date (YYYY-MM-DD) or ``""``.
    ``optional``: a 404 leaves no file instead of failing."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ListSourceError(url, "only http:// and https:// URLs can be downloaded")
    label = _file_name(url) or url
    try:
        with client.stream("GET", url) as response:
            if response.status_code == 404 and optional:
                return ""
            if response.status_code != 200:
                raise ListSourceError(
                    url, f"the server answered HTTP {response.status_code} {response.reason_phrase}".rstrip()
                )
            length = response.headers.get("content-length")
            expected = int(length) if length and length.isdigit() else None
            if expected is not None and expected > MAX_DOWNLOAD_BYTES:
                raise ListSourceError(
                    url, f"{expected:,} bytes is more than the limit of {MAX_DOWNLOAD_BYTES:,}"
                )
            done = 0
            with target.open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
                    done += len(chunk)
                    if done > MAX_DOWNLOAD_BYTES:
                        raise ListSourceError(url, f"more than {MAX_DOWNLOAD_BYTES:,} bytes")
                    if progress is not None:
                        progress(label, response.num_bytes_downloaded, expected)
            received = response.num_bytes_downloaded
            if expected is not None and received != expected:
                raise ListSourceError(
                    url, f"received {received:,} of {expected:,} bytes: the download was cut short"
                )
            if done == 0:
                raise ListSourceError(url, "the server sent an empty file")
            return _http_date(response.headers.get("last-modified", ""))
    except httpx.TimeoutException as exc:
        raise ListSourceError(
            url, f"no answer in time ({type(exc).__name__}); the list in force stays"
        ) from exc
    except httpx.RemoteProtocolError as exc:
        raise ListSourceError(url, f"the download was cut short: the connection broke off ({exc})") from exc
    except httpx.HTTPError as exc:
        raise ListSourceError(url, f"cannot download: {exc}") from exc
    except OSError as exc:
        raise ListSourceError(url, f"cannot write the download: {exc}") from exc


def _http_date(value: str) -> str:
    try:
        return parsedate_to_datetime(value).date().isoformat() if value else ""
    except (TypeError, ValueError):
        return ""
