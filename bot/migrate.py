"""Apply Alembic migrations programmatically (used by `db upgrade`, `run` and tests)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# a table's statistics are redone when its row count has more than doubled or halved since
STALE_FACTOR = 2
SMALL_TABLE_ROWS = 1000  # below this the planner's guesses are good enough


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the schema to the newest revision; safe to call on every start."""
    command.upgrade(alembic_config(database_url), revision)
    refresh_sqlite_statistics(database_url)


def refresh_sqlite_statistics(database_url: str) -> None:
    """ANALYZE an SQLite database whose planner statistics are missing or stale.

    PostgreSQL's autovacuum keeps its own; SQLite has none until ANALYZE runs, and without
    them it picks e.g. the `status` index for a month's complaints, reading far more rows
    than the month holds. A full ANALYZE takes about a second per million reports, so it runs
    only when a table has grown or shrunk a lot, or an index (a new migration's) has none.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    connection = sqlite3.connect(url.database, timeout=30)
    try:
        if _statistics_stale(connection):
            connection.execute("ANALYZE")
            connection.commit()
    finally:
        connection.close()


def _statistics_stale(connection: sqlite3.Connection) -> bool:
    if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        # the first number of an index's stat is the table's row count when it was analyzed
        known = dict(connection.execute(
            "SELECT idx, CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE idx IS NOT NULL"))
    else:
        known = {}
    indexes: dict[str, list[str]] = {}
    for name, table in connection.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
        indexes.setdefault(table, []).append(name)
    for table, names in indexes.items():
        rows = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        if rows < SMALL_TABLE_ROWS:
            continue
        for name in names:
            analyzed = known.get(name)
            if analyzed is None or not analyzed / STALE_FACTOR <= rows <= analyzed * STALE_FACTOR:
                return True
    return False


def current_heads(database_url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
