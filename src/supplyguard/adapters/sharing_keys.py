"""The node's intelligence-signing key and the tokens it uses to pull from partners, on disk.

* ``sharing-ed25519.pem``: PKCS#8 PEM, mode 0600, in the keys folder (0700), created on first use.
  It is a separate key from the ledger key: a compromised object-signing key does not let anyone
  sign checkpoints, and the two can be rotated apart. Group- or world-readable files are refused.
* ``partners/<node>.token``: the bearer token a partner issued to us for its TAXII server (0600).
"""

from __future__ import annotations

import re
from pathlib import Path

from supplyguard.adapters.keys import check_private, load_or_create_ed25519, write_private
from supplyguard.errors import FieldError, ValidationFailed
from supplyguard.sharing import SigningKey, stix_id

SHARING_KEY_FILE = "sharing-ed25519.pem"
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def node_author_ref(node_id: str) -> str:
    """The STIX identity id a node signs as: a UUIDv5 of its node id, the same on every node."""
    return stix_id("identity", f"node/{node_id}")


def load_or_create_sharing_key(keys_dir: Path, node_id: str) -> SigningKey:
    """The node's object-signing key, pinned to its STIX identity; created (0600) on first use."""
    key = load_or_create_ed25519(Path(keys_dir) / SHARING_KEY_FILE, "sharing key")
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
