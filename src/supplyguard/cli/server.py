"""``supplyguard serve`` and ``supplyguard db upgrade``."""

from __future__ import annotations

import typer

from supplyguard.cli.context import open_container, out_console

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version (Alembic)."""
    from supplyguard.adapters.db.migrate import current_revision, upgrade

    with open_container(require_schema=False) as container:
        upgrade(container.engine)
        out_console.print(
            f"database at revision {current_revision(container.engine)} ({container.engine.dialect.name})"
        )


def serve(
    host: str = typer.Option(None, help="Address to listen on (default: settings.host)."),
    port: int = typer.Option(None, help="Port to listen on (default: settings.port)."),
) -> None:
    """Serve the REST API (/v1) and the web dashboard (/)."""
    import uvicorn

    from supplyguard.api.app import create_app
    from supplyguard.logging import configure_logging

    with open_container() as container:
        settings = container.settings
        configure_logging(settings.log_level, settings.log_json)
        out_console.print(
            f"supplyguard node {settings.node_name} serving on "
            f"http://{host or settings.host}:{port or settings.port}"
        )
        subscriber = None
        if settings.mqtt_in_serve:  # telemetry over MQTT in the same process (shared pipelines)
            from supplyguard.cli.tracking import start_mqtt

            subscriber, _ingest = start_mqtt(container)
            out_console.print(f"MQTT telemetry from {subscriber.broker} ({', '.join(subscriber.topics)})")
        try:
            uvicorn.run(
                create_app(container),
                host=host or settings.host,
                port=port or settings.port,
                log_level="warning",
            )
        finally:
            if subscriber is not None:
                subscriber.stop()
