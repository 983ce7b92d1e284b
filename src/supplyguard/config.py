"""The one ``Settings`` object. Nothing else in supplyguard reads ``os.environ``.

Values come, highest priority first, from keyword arguments, ``SUPPLYGUARD_*`` environment
variables, a TOML file named by ``SUPPLYGUARD_CONFIG_FILE`` (keys are the field names), then the
defaults below. Every field is documented in docs/configuration.md (a test keeps it so).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from supplyguard.errors import ConfigurationError

DEFAULT_DATA_DIR = Path("var")


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the TOML file named by ``SUPPLYGUARD_CONFIG_FILE``, if any."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = {}
        if path is not None:
            try:
                self._values = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigurationError(f"cannot read config file {path}: {exc}") from exc
            unknown = sorted(set(self._values) - set(settings_cls.model_fields))
            if unknown:
                raise ConfigurationError(f"unknown setting(s) in {path}: {', '.join(unknown)}")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class Settings(BaseSettings):
    """Configuration of one supplyguard node."""

    model_config = SettingsConfigDict(env_prefix="SUPPLYGUARD_", extra="forbid", frozen=True)

    config_file: Path | None = Field(
        default=None,
        description="TOML file with settings (keys are the field names below); env vars win over it.",
    )
    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Directory for the node's keys, models, sanctions lists and the default SQLite file.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the node's database, e.g. postgresql+psycopg://user@host/db. "
            "Default: SQLite file supplyguard.db inside data_dir."
        ),
    )
    secret_key: str = Field(
        default="change-me-in-production",
        description="Secret used to derive session and CSRF tokens. Set a long random value in production.",
        repr=False,
    )
    node_name: str = Field(
        default="supplyguard.local",
        description=(
            "Name of this node: the origin line of its ledger checkpoints and its identity to partners."
        ),
    )
    node_country: str = Field(
        default="XX", description="ISO 3166-1 alpha-2 country of the organisation running this node."
    )
    host: str = Field(default="127.0.0.1", description="Address `supplyguard serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `supplyguard serve` listens on.")
    max_body_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest request body the API accepts (413 beyond it).",
    )
    session_hours: int = Field(default=12, ge=1, description="Lifetime of a web session, in hours.")
    cookie_secure: bool = Field(
        default=False,
        description=(
            "Mark session cookies Secure (set true behind HTTPS; they are HttpOnly and SameSite=Lax always)."
        ),
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(default=False, description="Write logs as JSON lines instead of key=value text.")
    import_batch_rows: int = Field(
        default=5000, ge=1, description="Rows per transaction batch in bulk declaration imports."
    )
    page_size_max: int = Field(default=500, ge=1, description="Largest page a list endpoint returns.")
    inspection_red_per_day: int = Field(
        default=10, ge=0, description="Physical inspections (red lane) the organisation can do per day."
    )
    inspection_yellow_per_day: int = Field(
        default=20, ge=0, description="Document checks (yellow lane) the organisation can do per day."
    )
    exploration_share: float = Field(
        default=0.1,
        ge=0.0,
        le=0.5,
        description="Share of red-lane capacity given to exploration picks, so the model keeps learning.",
    )
    risk_retrain_every_days: int = Field(
        default=7,
        ge=1,
        description="`risk retrain --if-due` retrains only once the active model is this many days old.",
    )
    screening_list_urls: dict[str, str] = Field(
        default={
            "ofac-sdn": "https://www.treasury.gov/ofac/downloads/sdn.csv",
            "ofac-cons": "https://www.treasury.gov/ofac/downloads/consolidated/cons_prim.csv",
            "un-sc": "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
            "us-csl": "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
            "opensanctions": "https://data.opensanctions.org/datasets/latest/sanctions/entities.ftm.json",
        },
        description=(
            "Where `supplyguard lists update` downloads each list (list id -> URL, JSON in the environment). "
            "An OFAC URL names the main file (sdn.csv or cons_prim.csv); its companion files are fetched "
            "from the same folder."
        ),
    )
    screening_download_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Network timeout of `lists update`, in seconds (connect and each read).",
    )
    map_tile_url: str = Field(
        default="",
        description=(
            "Tile server of the tracking map, as a Leaflet URL template "
            "(`https://tile.example.org/{z}/{x}/{y}.png`); empty: no tiles, the map draws a plain "
            "world outline (also shown wherever tiles fail to load)."
        ),
    )
    map_tile_attribution: str = Field(
        default="", description="Attribution line the tile server's terms require (HTML allowed)."
    )
    epcis_schema_file: Path | None = Field(
        default=None,
        description=(
            "GS1's EPCIS 2.0 JSON schema (`EPCIS-JSON-Schema.json`); set, every JSON / JSON-LD capture "
            "is also validated against it, its `uri` and `date-time` formats included, and every XML "
            "capture against those formats on the same fields (strict mode, about 10-30 times slower "
            "to parse JSON). Unset: the structural and semantic checks only."
        ),
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description=(
            "MQTT broker the telemetry subscriber connects to (`mqtt://host:port`, or "
            "`mqtt://user:password@host:port`)."
        ),
        repr=False,
    )
    mqtt_topic_prefix: str = Field(
        default="supplyguard",
        description=(
            "First topic level of telemetry: `<prefix>/<org>/devices/<device_id>/position` and "
            "`<prefix>/<org>/positions` (see docs/tracking-api.md)."
        ),
    )
    mqtt_qos: int = Field(default=1, ge=0, le=2, description="QoS of the telemetry subscription.")
    mqtt_client_id: str = Field(
        default="",
        description=(
            "Client id of the subscriber; set, the broker keeps its session (and queues messages) while "
            "it is away. Empty: a fresh clean session each start."
        ),
    )
    mqtt_batch_ms: int = Field(
        default=250, ge=1, description="The subscriber writes what it received at least this often (ms)."
    )
    mqtt_batch_max: int = Field(
        default=5000, ge=1, description="... or as soon as this many positions are waiting (one transaction)."
    )
    mqtt_in_serve: bool = Field(
        default=False, description="Run the MQTT telemetry subscriber inside `supplyguard serve` as well."
    )
    sharing_request_max_skew_s: int = Field(
        default=300,
        ge=5,
        le=3600,
        description=(
            "How far, in seconds, a partner node's signed request time may be from this node's clock; "
            "older (or later) requests are refused, and nonces are remembered this long to refuse replays."
        ),
    )

    @field_validator("node_country")
    @classmethod
    def _country_upper(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha():
            raise ValueError("node_country must be an ISO 3166-1 alpha-2 code")
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_path = os.environ.get("SUPPLYGUARD_CONFIG_FILE")
        toml = _TomlFileSource(settings_cls, Path(config_path) if config_path else None)
        return (init_settings, env_settings, toml)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'supplyguard.db').as_posix()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def lists_dir(self) -> Path:
        return self.data_dir / "lists"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (and config file); errors become ConfigurationError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigurationError(f"invalid settings: {details}") from exc


def settings_reference_markdown() -> str:
    """The table of every setting, as docs/configuration.md shows it (a test keeps them equal)."""
    lines = [
        "| variable | default | description |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(none)" if default is None else f"`{default}`"
        if name == "secret_key":
            shown = "(a development value: set your own)"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `SUPPLYGUARD_{name.upper()}` | {shown} | {description} |")
    return "\n".join(lines) + "\n"
