"""Agreement secrets for keyed watch lists, on disk: ``keys/watch/<agreement>.key`` (hex, mode 0600).

Every party to an agreement holds the same secret, handed over out of band like node keys; it
never travels over the sharing channel. Installing a new secret replaces the old one (rotation):
lists keyed with the old one are then refused by key id until every party has the new one.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from supplyguard.adapters.keys import WATCH_FOLDER, check_private, write_private
from supplyguard.errors import ConfigurationError, FieldError, ValidationFailed
from supplyguard.sharing.keyed import MIN_KEY_BYTES

_AGREEMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")


def _key_path(keys_dir: Path, agreement_id: str) -> Path:
    if not _AGREEMENT_ID.match(agreement_id):
        raise ValidationFailed([FieldError(("agreement",), "letters, digits, '.', '_' or '-' (at most 200)")])
    return Path(keys_dir) / WATCH_FOLDER / f"{agreement_id}.key"


def parse_secret(text: str) -> bytes:
    """A secret as handed over: hex, at least 32 bytes."""
    cleaned = "".join(text.split())
    if not _HEX.match(cleaned) or len(cleaned) < 2 * MIN_KEY_BYTES:
        raise ValidationFailed(
            [FieldError(("key",), f"the agreement secret is hex, at least {MIN_KEY_BYTES} bytes")]
        )
    return bytes.fromhex(cleaned)


def new_secret() -> bytes:
    return secrets.token_bytes(MIN_KEY_BYTES)


def save_watch_secret(keys_dir: Path, agreement_id: str, secret: bytes) -> Path:
    """Store (replace) the agreement's secret, mode 0600 in a 0700 folder."""
    if len(secret) < MIN_KEY_BYTES:
        raise ValidationFailed([FieldError(("key",), f"at least {MIN_KEY_BYTES} bytes")])
    path = _key_path(keys_dir, agreement_id)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    write_private(temporary, (secret.hex() + "\n").encode("ascii"))
    temporary.replace(path)
    return path


def load_watch_secret(keys_dir: Path, agreement_id: str) -> bytes | None:
    """The agreement's secret, or None when none is installed; refuses a readable-by-others file."""
    path = _key_path(keys_dir, agreement_id)
    if not path.exists():
        return None
    check_private(path)
    try:
        return parse_secret(path.read_text(encoding="ascii"))
    except (ValidationFailed, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path} does not hold a hex agreement secret") from error
