"""tracking: EPCIS events, their identifiers, capture jobs, telemetry positions, alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
LEDGER_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "event_hash", sa.String(length=100), nullable=False, comment="CBV 2.0 event hash, ni:/// form"
        ),
        sa.Column("event_id", sa.Text(), nullable=False, comment="eventID as captured, else the event hash"),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("event_time", TIMESTAMP, nullable=False),
        sa.Column("record_time", TIMESTAMP, nullable=False),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("biz_step", sa.Text(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("read_point", sa.Text(), nullable=True),
        sa.Column("biz_location", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Text(), nullable=True),
        sa.Column("error_declared", sa.Boolean(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False, comment="the event in EPCIS 2.0 JSON form"),
        sa.Column("namespaces", sa.JSON(), nullable=False, comment="user extension prefix -> IRI"),
        sa.Column("capture_id", sa.Uuid(), nullable=False),
        sa.Column("ledger_index", LEDGER_INDEX, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("org_id", "event_hash", "error_declared", name="uq_tracking_events_hash"),
        sa.UniqueConstraint("org_id", "event_id", "error_declared", name="uq_tracking_events_event_id"),
    )
    op.create_index("ix_tracking_events_record", "tracking_events", ["org_id", "record_time", "id"])
    op.create_index(
        "ix_tracking_events_location", "tracking_events", ["org_id", "biz_location", "event_time"]
    )
    op.create_table(
        "tracking_event_epcs",
        sa.Column("event_row_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("epc", sa.Text(), nullable=False, comment="canonical identifier (Digital Link or URI)"),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("event_row_id", "role", "epc", name="pk_tracking_event_epcs"),
    )
    op.create_index("ix_tracking_event_epcs_epc", "tracking_event_epcs", ["org_id", "epc", "event_row_id"])
    op.create_table(
        "tracking_event_sensors",
        sa.Column("event_row_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, comment="position of the report in the event"),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("event_row_id", "seq", name="pk_tracking_event_sensors"),
    )
    op.create_index("ix_tracking_event_sensors_type", "tracking_event_sensors", ["org_id", "type", "value"])
    op.create_table(
        "tracking_capture_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False, comment="succeeded or failed"),
        sa.Column("source", sa.String(length=20), nullable=False, comment="api or cli"),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("error_text", sa.Text(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True, comment="field errors: [{loc, msg}]"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_capture_jobs")),
    )
    op.create_index("ix_tracking_capture_jobs_org", "tracking_capture_jobs", ["org_id", "created_at"])
    op.create_table(
        "tracking_positions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("time", TIMESTAMP, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("course_deg", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("humidity_pct", sa.Float(), nullable=True),
        sa.Column("shock_g", sa.Float(), nullable=True),
        sa.Column("door_open", sa.Boolean(), nullable=True),
        sa.Column("seal_intact", sa.Boolean(), nullable=True),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_positions")),
    )
    op.create_index("ix_tracking_positions_device", "tracking_positions", ["org_id", "device_id", "time"])
    op.create_table(
        "tracking_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False, comment="the device or site concerned"),
        sa.Column("time", TIMESTAMP, nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("object_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("acknowledged_at", TIMESTAMP, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_alerts")),
    )
    op.create_index("ix_tracking_alerts_org", "tracking_alerts", ["org_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tracking_alerts_org", table_name="tracking_alerts")
    op.drop_table("tracking_alerts")
    op.drop_index("ix_tracking_positions_device", table_name="tracking_positions")
    op.drop_table("tracking_positions")
    op.drop_index("ix_tracking_capture_jobs_org", table_name="tracking_capture_jobs")
    op.drop_table("tracking_capture_jobs")
    op.drop_index("ix_tracking_event_sensors_type", table_name="tracking_event_sensors")
    op.drop_table("tracking_event_sensors")
    op.drop_index("ix_tracking_event_epcs_epc", table_name="tracking_event_epcs")
    op.drop_table("tracking_event_epcs")
    op.drop_index("ix_tracking_events_location", table_name="tracking_events")
    op.drop_index("ix_tracking_events_record", table_name="tracking_events")
    op.drop_table("tracking_events")
