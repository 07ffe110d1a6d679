"""Shared fixtures: a clock, and a database on SQLite always and PostgreSQL when reachable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.db import Database
from tests.dbsupport import (
    PostgresScratch,
    SqliteTemplate,
    must_test_postgres,
    postgres_base_url,
    postgres_reachable,
)

import models  # noqa: F401,E402  (registers every table)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("backends")
        backends = list(only.args) if only else ["sqlite", "postgres"]
        metafunc.parametrize("db_backend", backends, scope="session")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    template = SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))
    asyncio.run(template.build())
    return template


@pytest.fixture(scope="session")
def postgres_scratch() -> Iterator[PostgresScratch]:
    base = postgres_base_url()
    problem = asyncio.run(postgres_reachable(base))
    if problem is not None:
        if must_test_postgres():
            pytest.fail(f"PostgreSQL at {base} is required here but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {base} ({problem}); set "
                    "WILAYAH_TEST_DATABASE_URL or CI=true to require it")
    scratch = PostgresScratch(base)
    asyncio.run(scratch.create())
    yield scratch
    asyncio.run(scratch.drop())


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> str:
    if db_backend == "sqlite":
        return request.getfixturevalue("sqlite_template").copy_to(tmp_path)
    return request.getfixturevalue("postgres_scratch").url


@pytest.fixture
async def db(request: pytest.FixtureRequest, db_backend: str,
             database_url: str) -> AsyncIterator[Database]:
    """A migrated database with the pilot regions and nothing else."""
    database = Database(database_url)
    if db_backend == "postgres":
        await request.getfixturevalue("postgres_scratch").empty(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    # Monday 4 November 2024, 02:00 UTC = 09:00 WIB / 10:00 WITA
    return FrozenClock(datetime(2024, 11, 4, 2, 0, tzinfo=UTC))
