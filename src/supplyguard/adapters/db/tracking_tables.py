"""Tables of EPCIS capture and query (SQLAlchemy Core), all prefixed ``tracking_``.

- ``tracking_events``: every captured EPCIS event, append-only. ``body`` is the event in its EPCIS
  2.0 JSON form and ``namespaces`` the prefixes of its user extensions (JSON text: ``text`` on
  PostgreSQL since migration 0022, ``JSON`` on SQLite); the other columns are the
  canonical values queries filter on (CBV web URIs, GS1 Digital Links, UTC times). An event hash
  is unique per organisation, except that an error declaration (the same event re-sent with
  ``errorDeclaration``, so with the same hash) is stored beside the event it corrects. Event IDs are
  unique per organisation the same way (an event without one is given its hash).
- ``tracking_event_epcs``: one row per identifier an event names, with its role (``epc``,
  ``child``, ``parent``, ``input``, ``output``, ``class``), for ``MATCH_epc`` / ``MATCH_anyEPC``;
  its primary key (organisation, identifier, event row, role) is the only index (on SQLite a
  ``WITHOUT ROWID`` table: the rows are the index).
- ``tracking_event_sensors``: one row per numeric sensor report (type as a GS1 web URI, value), for
  ``EQ_type`` with ``GE_value`` / ``LE_value``.
- ``tracking_capture_jobs``: one row per capture request (the EPCIS capture job), succeeded or failed.
- ``tracking_positions``: telemetry positions that passed the filters, append-only.
- ``tracking_alerts``: alerts raised by the rules, with their reason in words; a person acknowledges them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect

from supplyguard.adapters.db.bulk import compact_json_encoder
from supplyguard.adapters.db.metadata import metadata

_JSON_ENCODE = compact_json_encoder()

Timestamp = DateTime(timezone=True)
# Text keys looked up by equality only, compared byte by byte on PostgreSQL too (migration 0020:
# memcmp instead of the locale's strcoll in every index comparison; SQLite's BINARY already is).
ByteText = Text().with_variant(Text(collation="C"), "postgresql")
ByteString100 = String(100).with_variant(String(100, collation="C"), "postgresql")
LedgerIndex = BigInteger().with_variant(Integer, "sqlite")


class _PgJsonText(TypeDecorator[Any]):
    """A JSON value stored as its text in a PostgreSQL ``text`` column: written encoded (compact),
    read back decoded. Text that is not JSON (only written behind the application's back) is read
    back as it is, a ``str``, for its reader to refuse."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else _JSON_ENCODE(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            return json.loads(value)
        except ValueError:
            return value


# A JSON value stored as its text: ``text`` on PostgreSQL (migration 0022), whose ``json`` type only
# checked the text again on every insert (about 0.8 us of server CPU a captured event; the capture
# writes JSON it encoded itself or took from a document it parsed); SQLite's ``JSON`` (which checks
# nothing) elsewhere. Read back decoded and written encoded on both, as with ``JSON``.
JsonText = JSON().with_variant(_PgJsonText(), "postgresql")

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("event_hash", ByteString100, nullable=False, comment="CBV 2.0 event hash, ni:/// form"),
    Column("event_id", ByteText, nullable=False, comment="eventID as captured, else the event hash"),
    Column("event_type", String(40), nullable=False),
    Column("event_time", Timestamp, nullable=False),
    Column("record_time", Timestamp, nullable=False),
    Column("action", String(10), nullable=True),
    Column("biz_step", Text, nullable=True),
    Column("disposition", Text, nullable=True),
    Column("read_point", Text, nullable=True),
    Column("biz_location", ByteText, nullable=True),
    Column("parent_id", Text, nullable=True),
    Column("error_declared", Boolean, nullable=False),
    Column("body", JsonText, nullable=False, comment="the event in EPCIS 2.0 JSON form"),
    Column("namespaces", JsonText, nullable=False, comment="user extension prefix -> IRI"),
    Column("capture_id", Uuid, nullable=False),
    Column("ledger_index", LedgerIndex, nullable=True),
    UniqueConstraint("org_id", "event_hash", "error_declared", name="uq_tracking_events_hash"),
    Index("ix_tracking_events_record", "org_id", "record_time", "id"),
    Index("ix_tracking_events_location", "org_id", "biz_location", "event_time"),
    UniqueConstraint("org_id", "event_id", "error_declared", name="uq_tracking_events_event_id"),
)

tracking_event_epcs = Table(
    "tracking_event_epcs",
    metadata,
    Column("event_row_id", Uuid, nullable=False),
    Column("org_id", Uuid, nullable=False),
    Column("epc", ByteText, nullable=False, comment="canonical identifier (Digital Link or URI)"),
    Column("role", String(10), nullable=False),
    # one B-tree: the key MATCH_epc / MATCH_anyEPC look up by (migration 0017; a row id names one
    # organisation, so this key is as unique as (event_row_id, role, epc))
    PrimaryKeyConstraint("org_id", "epc", "event_row_id", "role", name="pk_tracking_event_epcs"),
    sqlite_with_rowid=False,
)

tracking_event_sensors = Table(
    "tracking_event_sensors",
    metadata,
    Column("event_row_id", Uuid, nullable=False),
    Column("seq", Integer, nullable=False, comment="position of the report in the event"),
    Column("org_id", Uuid, nullable=False),
    Column("type", Text, nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("event_row_id", "seq", name="pk_tracking_event_sensors"),
    Index("ix_tracking_event_sensors_type", "org_id", "type", "value"),
)

tracking_capture_jobs = Table(
    "tracking_capture_jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False, comment="succeeded or failed"),
    Column("source", String(20), nullable=False, comment="api or cli"),
    Column("actor", String(200), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp, nullable=True),
    Column("event_count", Integer, nullable=False),
    Column("error_text", Text, nullable=True),
    Column("errors", JSON, nullable=True, comment="field errors: [{loc, msg}]"),
    Index("ix_tracking_capture_jobs_org", "org_id", "created_at"),
)

tracking_positions = Table(
    "tracking_positions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("time", Timestamp, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed_kmh", Float, nullable=True),
    Column("course_deg", Float, nullable=True),
    Column("temperature_c", Float, nullable=True),
    Column("humidity_pct", Float, nullable=True),
    Column("shock_g", Float, nullable=True),
    Column("door_open", Boolean, nullable=True),
    Column("seal_intact", Boolean, nullable=True),
    Column("battery_pct", Float, nullable=True),
    Column("message_id", String(200), nullable=True),
    Column("received_at", Timestamp, nullable=False),
    Index("ix_tracking_positions_device", "org_id", "device_id", "time"),
)

#: each device's last stored position (by time), kept at ingest so the map and the silence check read
#: one row per device instead of grouping over every position ever stored.
tracking_device_last = Table(
    "tracking_device_last",
    metadata,
    Column("org_id", Uuid, primary_key=True),
    Column("device_id", String(128), primary_key=True),
    Column("time", Timestamp, nullable=False),
    Column("position_id", Uuid, nullable=False, comment="tracking_positions.id of that position"),
)

tracking_alerts = Table(
    "tracking_alerts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("subject", String(200), nullable=False, comment="the device or site concerned"),
    Column("time", Timestamp, nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("reason", Text, nullable=False),
    Column("object_ids", JSON, nullable=False),
    Column("details", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("acknowledged_at", Timestamp, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Index("ix_tracking_alerts_org", "org_id", "created_at"),
)

# Alert rules stored on the node (migration 0009). The engine's rules are rebuilt from these rows, so a
# restarted node (or a second process: the MQTT subscriber) keeps alerting; every change bumps the
# organisation's row in ``tracking_rule_revisions`` and the pipelines reload when it moves.

tracking_rules = Table(
    "tracking_rules",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False, comment="unique per organisation; geofence ids in alerts"),
    Column("kind", String(20), nullable=False, comment="geofence, corridor or profile"),
    Column(
        "spec", JSON, nullable=False, comment="the validated definition (sea corridors with their points)"
    ),
    Column("created_at", Timestamp, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("org_id", "name", name="uq_tracking_rules_name"),
)

tracking_rule_assignments = Table(
    "tracking_rule_assignments",
    metadata,
    Column("rule_id", Uuid, nullable=False),
    Column("org_id", Uuid, nullable=False),
    Column("device_id", String(128), nullable=False, comment="a device id, or * for every device"),
    PrimaryKeyConstraint("rule_id", "device_id", name="pk_tracking_rule_assignments"),
    Index("ix_tracking_rule_assignments_device", "org_id", "device_id"),
)

tracking_device_links = Table(
    "tracking_device_links",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("asset_id", Text, nullable=True, comment="container number or EPC the device is fixed to"),
    Column("declaration_id", Uuid, nullable=True, comment="the declaration whose goods it travels with"),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_tracking_device_links_device", "org_id", "device_id"),
)

tracking_expected_stock = Table(
    "tracking_expected_stock",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid, nullable=False),
    Column("declaration_id", Uuid, nullable=False),
    Column("site", Text, nullable=False, comment="bizLocation, canonical"),
    Column("item", Text, nullable=False, comment="item class or instance (e.g. a container's BIC EPC)"),
    Column("quantity", Float, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_tracking_expected_stock_site", "org_id", "site"),
)

tracking_rule_revisions = Table(
    "tracking_rule_revisions",
    metadata,
    Column("org_id", Uuid, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)
