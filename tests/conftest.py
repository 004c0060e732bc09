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
