from __future__ import annotations

from pathlib import Path

import pytest

from supplyguard.config import Settings, load_settings, settings_reference_markdown
from supplyguard.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]


def test_docs_list_every_setting_exactly_as_generated() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_reference_markdown() in doc
    for name in Settings.model_fields:
        assert f"SUPPLYGUARD_{name.upper()}" in doc


def test_environment_variables_are_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUPPLYGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUPPLYGUARD_NODE_NAME", "customs.kr")
    monkeypatch.setenv("SUPPLYGUARD_NODE_COUNTRY", "kr")
    settings = load_settings()
    assert settings.node_name == "customs.kr" and settings.node_country == "KR"
    assert settings.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/supplyguard.db"


def test_toml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text('node_name = "from-file"\nport = 9001\n', encoding="utf-8")
    monkeypatch.setenv("SUPPLYGUARD_CONFIG_FILE", str(config))
    monkeypatch.setenv("SUPPLYGUARD_PORT", "9002")
    settings = load_settings()
    assert settings.node_name == "from-file"
    assert settings.port == 9002


def test_unknown_keys_and_bad_values_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "node.toml"
    config.write_text('nodename = "typo"\n', encoding="utf-8")
    monkeypatch.setenv("SUPPLYGUARD_CONFIG_FILE", str(config))
    with pytest.raises(ConfigurationError, match="unknown setting"):
        load_settings()
    monkeypatch.delenv("SUPPLYGUARD_CONFIG_FILE")
    monkeypatch.setenv("SUPPLYGUARD_NODE_COUNTRY", "Netherlands")
    with pytest.raises(ConfigurationError, match="node_country"):
        load_settings()
