"""The node's Ed25519 signing key on disk: created on first start, private file mode 0600.

The key is a PKCS#8 PEM file ``ledger-ed25519.pem`` in the keys folder (folder mode 0700). A key
file readable by group or others is refused, as ssh does. The public half is exported as a
c2sp.org/signed-note verifier key, ``<name>+<key ID hex>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from supplyguard.errors import ConfigurationError
from supplyguard.ledger import Ed25519Signer

KEY_FILE = "ledger-ed25519.pem"


def key_path(keys_dir: Path) -> Path:
    return Path(keys_dir) / KEY_FILE


def _write_new_key(path: Path) -> Ed25519PrivateKey:
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once never overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return private_key


def _read_key(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"ledger key {path} is accessible by group or others (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"ledger key {path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"ledger key {path} is not an Ed25519 key")
    return key


def load_or_create_signer(keys_dir: Path, name: str) -> Ed25519Signer:
    """The node's checkpoint signer named ``name`` (its origin), creating the key on first use."""
    path = key_path(keys_dir)
    try:
        private_key = _read_key(path) if path.exists() else _write_new_key(path)
    except FileExistsError:
        private_key = _read_key(path)
    try:
        return Ed25519Signer(name, private_key)
    except ValueError as exc:
        raise ConfigurationError(f"invalid ledger key name: {exc}") from exc


def load_signer(keys_dir: Path, name: str) -> Ed25519Signer:
    """The existing signer; :class:`ConfigurationError` if the node has no key yet."""
    path = key_path(keys_dir)
    if not path.exists():
        raise ConfigurationError(f"no ledger key at {path}: start the node once to create it")
    return Ed25519Signer(name, _read_key(path))


def export_verifier_key(keys_dir: Path, name: str) -> str:
    """The public key as a signed-note verifier key string (what partners configure)."""
    return load_signer(keys_dir, name).vkey
