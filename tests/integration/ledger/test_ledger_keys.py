from __future__ import annotations

import stat
from pathlib import Path

import pytest

from supplyguard.adapters.keys import export_verifier_key, key_path, load_or_create_signer, load_signer
from supplyguard.errors import ConfigurationError
from supplyguard.ledger import Checkpoint, open_checkpoint, parse_vkey, sign_checkpoint


def test_key_is_created_once_with_0600_and_reloaded(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    signer = load_or_create_signer(keys, "node.example/log")
    path = key_path(keys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    again = load_or_create_signer(keys, "node.example/log")
    assert again.vkey == signer.vkey
    vkey = export_verifier_key(keys, "node.example/log")
    assert vkey == signer.vkey
    note = sign_checkpoint(Checkpoint("node.example/log", 1, bytes(32)), again)
    assert open_checkpoint(note, [parse_vkey(vkey)]).checkpoint.size == 1


def test_loose_permissions_missing_and_bad_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="start the node once"):
        load_signer(tmp_path, "node.example/log")
    load_or_create_signer(tmp_path, "node.example/log")
    key_path(tmp_path).chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_signer(tmp_path, "node.example/log")
    key_path(tmp_path).write_bytes(b"not a key")
    key_path(tmp_path).chmod(0o600)
    with pytest.raises(ConfigurationError, match="not an unencrypted PEM"):
        load_signer(tmp_path, "node.example/log")
    with pytest.raises(ConfigurationError, match="key name"):
        load_or_create_signer(tmp_path / "other", "has space")
