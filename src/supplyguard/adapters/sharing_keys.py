"""The node's intelligence-signing key and the tokens it uses to pull from partners, on disk.

* ``sharing-ed25519.pem``: PKCS#8 PEM, mode 0600, in the keys folder (0700), created on first use.
  It is a separate key from the ledger key: a compromised object-signing key does not let anyone
  sign checkpoints, and the two can be rotated apart. Group- or world-readable files are refused.
* ``partners/<node>.token``: the bearer token a partner issued to us for its TAXII server (0600).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from supplyguard.errors import ConfigurationError, FieldError, ValidationFailed
from supplyguard.sharing import SigningKey, stix_id

SHARING_KEY_FILE = "sharing-ed25519.pem"
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def node_author_ref(node_id: str) -> str:
    """The STIX identity id a node signs as: a UUIDv5 of its node id, the same on every node."""
    return stix_id("identity", f"node/{node_id}")


def check_private(path: Path) -> None:
    """ConfigurationError when a secret file is readable by group or others."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path} is accessible by group or others (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist) with mode 0600 in a 0700 folder and write ``data``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_sharing_key(keys_dir: Path, node_id: str) -> SigningKey:
    """The node's object-signing key, pinned to its STIX identity; created (0600) on first use."""
    path = Path(keys_dir) / SHARING_KEY_FILE
    if not path.exists():
        private_key = Ed25519PrivateKey.generate()
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # another process may have created it first: then read theirs
        with contextlib.suppress(FileExistsError):
            write_private(path, pem)
    check_private(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"sharing key {path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"sharing key {path} is not an Ed25519 key")
    return SigningKey(node_id, node_author_ref(node_id), key)


def _token_path(keys_dir: Path, node_id: str) -> Path:
    if not _NODE_ID.match(node_id):
        raise ValidationFailed([FieldError(("node_id",), "letters, digits, '.', '_' or '-' (at most 100)")])
    return Path(keys_dir) / "partners" / f"{node_id}.token"


def save_partner_token(keys_dir: Path, node_id: str, token: str) -> Path:
    """Store (replace) the token we present to ``node_id``'s TAXII server, mode 0600."""
    path = _token_path(keys_dir, node_id)
    if path.exists():
        path.unlink()
    write_private(path, token.strip().encode())
    return path


def load_partner_token(keys_dir: Path, node_id: str) -> str | None:
    path = _token_path(keys_dir, node_id)
    if not path.exists():
        return None
    check_private(path)
    return path.read_text(encoding="utf-8").strip() or None
