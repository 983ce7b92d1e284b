"""The node's Ed25519 signing key on disk: created on first start, private file mode 0600.

The key is a PKCS#8 PEM file ``ledger-ed25519.pem`` in the keys folder (folder mode 0700). A key
file readable by group or others is refused, as ssh does. The public half is exported as a
c2sp.org/signed-note verifier key, ``<name>+<key ID hex>+<base64(0x01 || public key)>``.

The private-file helpers here (:func:`write_private`, :func:`check_private`,
:func:`load_or_create_ed25519`) serve every secret the node keeps on disk: the ledger key, the
sharing key, partner tokens and watch-list secrets.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from supplyguard.errors import ConfigurationError
from supplyguard.ledger import Ed25519Signer

KEY_FILE = "ledger-ed25519.pem"
WATCH_FOLDER = "watch"  # agreement secrets for keyed watch lists: adapters/sharing_watch_keys.py


def has_watch_secret(keys_dir: Path) -> bool:
    """Whether any watch-list agreement secret is installed (without one no keyed list can be
    matched). Here, not beside the secrets' own code, so a caller can ask without loading sharing."""
    folder = Path(keys_dir) / WATCH_FOLDER
    return folder.is_dir() and any(folder.glob("*.key"))


def key_path(keys_dir: Path) -> Path:
    return Path(keys_dir) / KEY_FILE


def check_private(path: Path) -> None:
    """ConfigurationError when a secret file is readable by group or others."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path} is accessible by group or others (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist: O_EXCL, so two processes never overwrite each other's
    secret) with mode 0600 in a 0700 folder and write ``data``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_ed25519(path: Path, what: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PKCS#8 PEM file ``path``, generated (0600) when there is none;
    if another process creates it first, theirs is read. ``what`` names the key in errors."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with contextlib.suppress(FileExistsError):
            write_private(path, pem)
    return read_ed25519(path, what)


def read_ed25519(path: Path, what: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path``; refused when group- or world-readable, or not one."""
    check_private(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{what} {path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{what} {path} is not an Ed25519 key")
    return key


def load_or_create_signer(keys_dir: Path, name: str) -> Ed25519Signer:
    """The node's checkpoint signer named ``name`` (its origin), creating the key on first use."""
    private_key = load_or_create_ed25519(key_path(keys_dir), "ledger key")
    try:
        return Ed25519Signer(name, private_key)
    except ValueError as exc:
        raise ConfigurationError(f"invalid ledger key name: {exc}") from exc


def load_signer(keys_dir: Path, name: str) -> Ed25519Signer:
    """The existing signer; :class:`ConfigurationError` if the node has no key yet."""
    path = key_path(keys_dir)
    if not path.exists():
        raise ConfigurationError(f"no ledger key at {path}: start the node once to create it")
    return Ed25519Signer(name, read_ed25519(path, "ledger key"))


def export_verifier_key(keys_dir: Path, name: str) -> str:
    """The public key as a signed-note verifier key string (what partners configure)."""
    return load_signer(keys_dir, name).vkey
