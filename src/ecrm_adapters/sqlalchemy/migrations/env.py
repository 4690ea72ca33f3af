"""Alembic environment: migrations run on the connection or URL the caller gives."""

from alembic import context
from sqlalchemy import pool

from ecrm_adapters.sqlalchemy.engine import make_engine
from ecrm_adapters.sqlalchemy.migrate import include_name
from ecrm_adapters.sqlalchemy.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
