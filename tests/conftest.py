"""Shared fixtures: where the shared recurrence cases live, and how to read their values."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = Path(os.environ.get("OPENTALK_SCHED_CASES", ROOT.parent / "shared" / "cases"))


def case_names() -> list[str]:
    """Every ``NN-kind`` that has both an .ics and a .json in the shared cases folder."""
    if not CASES_DIR.is_dir():
        raise RuntimeError(f"shared cases folder not found: {CASES_DIR} (set OPENTALK_SCHED_CASES)")
    return sorted(p.stem for p in CASES_DIR.glob("*.json") if p.with_suffix(".ics").exists())


def load_case(name: str) -> tuple[bytes, dict]:
    return (CASES_DIR / f"{name}.ics").read_bytes(), json.loads((CASES_DIR / f"{name}.json").read_text())


def parse_case_value(text: str) -> date | datetime:
    """Case JSON value → date (bare date), naive datetime (floating) or aware datetime."""
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "examples"


@pytest.fixture(scope="session")
def postgres_dsn():
    """DSN of a PostgreSQL server started for this test session (see tests/postgres_server.py)."""
    from .postgres_server import find_bin_dir, postgres_server

    if find_bin_dir() is None:
        if os.environ.get("OPENTALK_SCHED_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries are required (OPENTALK_SCHED_REQUIRE_POSTGRES=1)")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    with postgres_server() as dsn:
        yield dsn


# -- the store every store / service test runs on (see tests/store_backends.py) -----------


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): run a test that takes the `store` fixture on these backends only"
    )


def pytest_collection_modifyitems(config, items):
    """Drop the `store` parametrisations a test's ``backends`` marker excludes."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        param = getattr(getattr(item, "callspec", None), "params", {}).get("store")
        (drop if marker is not None and param is not None and param not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def postgres_store_dsn(postgres_dsn):
    """A migrated database for the store tests on the session's PostgreSQL server."""
    from .store_backends import TEST_DATABASE, create_database

    return create_database(postgres_dsn, TEST_DATABASE)


@pytest.fixture(scope="session")
def _postgres_stores(postgres_store_dsn):
    """One PostgresStore for the session (its pooled connections stay warm), reopened
    if a test closed it."""
    from opentalk_sched.store.postgres import PostgresStore

    held: list = []

    def get():
        if not held or held[0].pool.closed:
            held[:] = [PostgresStore(postgres_store_dsn, min_size=1, max_size=8)]
        return held[0]

    yield get
    if held:
        held[0].close()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    """An empty store: SQLite in memory, or PostgreSQL (every table emptied and a fresh
    compiled-series cache before the test; see tests/store_backends.py)."""
    if request.param == "sqlite":
        from opentalk_sched.store import SqliteStore

        s = SqliteStore(":memory:")
        yield s
        s.close()
        return
    from opentalk_sched.store import SeriesCache

    from .store_backends import empty_tables

    s = request.getfixturevalue("_postgres_stores")()
    empty_tables(s)
    s.series_cache = SeriesCache()
    yield s
