"""Running the Alembic migrations from code (``ecrm init``, ``ecrm db upgrade``, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ecrm_adapters.sqlalchemy.engine import normalise_url

#: Search structures the migrations make by hand (FTS5 tables, trigram indexes): not in
#: the metadata, so schema comparisons leave them out.
SEARCH_STRUCTURES = ("counterparty_fts", "contact_fts", "ix_counterparties_search_trgm",
                     "ix_contacts_surname_trgm", "counterparty_search",
                     "ix_counterparty_search_trgm")
#: The databases' own guards of the price ranges (migration 0008): PostgreSQL's exclusion
#: constraint (and the GiST index behind it), SQLite's triggers.
PRICE_GUARDS = ("ex_prices_no_overlap", "prices_no_overlap")


def include_name(name, type_, parent_names) -> bool:
    return not (name and name.startswith(SEARCH_STRUCTURES + PRICE_GUARDS))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "ecrm_adapters.sqlalchemy:migrations")
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current_revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
