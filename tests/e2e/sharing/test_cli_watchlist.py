"""`supplyguard intel watchlist ...` as a user runs it: the secret, entries, publication, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.e2e.sharing.test_cli_intel import run
from tests.integration.sharing.nodes import AGREEMENT


@pytest.mark.slow  # about a dozen CLI processes
def test_secret_entries_publish_and_bad_input(tmp_path: Path) -> None:
    env = {
        "SUPPLYGUARD_DATA_DIR": str(tmp_path / "node"),
        "SUPPLYGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "SUPPLYGUARD_NODE_NAME": "test.node",
    }
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "org", "create", "Customs A", "--country", "NL").returncode == 0
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT, encoding="utf-8")
    assert run(env, "partners", "agreement", str(agreement)).returncode == 0
    partner_key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert (
        run(env, "partners", "add", "customs-b", "--name", "B", "--public-key", partner_key.hex()).returncode
        == 0
    )

    generated = run(env, "intel", "watchlist", "key", "cmaa-test", "--generate")
    assert generated.returncode == 0, generated.stderr
    secret_hex = generated.stdout.split()[0]
    assert len(bytes.fromhex(secret_hex)) == 32
    secret_file = tmp_path / "node" / "keys" / "watch" / "cmaa-test.key"
    assert secret_file.stat().st_mode & 0o077 == 0
    handed = tmp_path / "secret.hex"
    handed.write_text(secret_hex + "\n")
    installed = run(env, "intel", "watchlist", "key", "cmaa-test", "--from-file", str(handed))
    key_id = generated.stdout.split()[-1]
    assert installed.returncode == 0 and installed.stdout.split()[-1] == key_id  # same secret, same key id
    both = run(env, "intel", "watchlist", "key", "cmaa-test", "--generate", "--from-file", str(handed))
    assert both.returncode == 4 and "exactly one" in both.stderr
    handed.write_text("abcd")
    assert run(env, "intel", "watchlist", "key", "cmaa-test", "--from-file", str(handed)).returncode == 4

    added = run(env, "intel", "watchlist", "add", "container", "CSQU 305438-3", "--reference", "case A-17")
    assert added.returncode == 0 and "CSQU3054383" in added.stdout
    wrong = run(env, "intel", "watchlist", "add", "container", "CSQU3054384", "--reference", "case A-18")
    assert wrong.returncode == 4 and "check digit" in wrong.stderr

    listing = tmp_path / "watch.csv"
    listing.write_text(
        "kind,value,reference,country\nimo,IMO 9074729,case A-20,\ntax_id,123 456,case A-21,nl\n"
    )
    imported = run(env, "intel", "watchlist", "import", str(listing))
    assert imported.returncode == 0 and "2 added" in imported.stdout, imported.stderr
    listing.write_text("kind,value,reference\ncontainer,MSKU9070323,ok\nimo,1234568,bad\n")
    bad_file = run(env, "intel", "watchlist", "import", str(listing))
    assert bad_file.returncode == 4 and "line.3.value" in bad_file.stderr, bad_file.stderr
    assert "MSKU9070323" not in run(env, "intel", "watchlist", "list").stdout  # all or none

    published = run(env, "intel", "watchlist", "publish", "cmaa-test")
    assert published.returncode == 0, published.stderr
    (line,) = published.stdout.splitlines()
    assert json.loads(line)["recipient"] == "customs-b" and json.loads(line)["digests"] == 3
    assert "CSQU3054383" not in published.stdout
    listed = run(env, "intel", "watchlist", "list")
    assert "CSQU3054383" in listed.stdout and "published for customs-b" in listed.stdout
    assert run(env, "intel", "watchlist", "publish", "cmaa-none").returncode == 4
    assert "no keyed watch-list hit" in run(env, "intel", "watchlist", "matches").stdout
    assert run(env, "intel", "watchlist", "remove", "not-an-id").returncode == 4
