"""The ``--db`` form of ``opentalk-sched instances``: every instance in a window, read
from an event store instead of an .ics file.

The store's span index picks the series that can have an instance in the window; each
is expanded from the store's compiled-series cache. The result is the list the file form
prints for the same events: :func:`~opentalk_sched.cli.output.write_instances` prints it.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from pathlib import Path

from ..core import UTC, Instance, to_utc
from ..core.timeline import sort_key
from ..store import open_store, parse_store_url


def _instant(value: date | datetime, tz: tzinfo | None) -> datetime:
    """A CLI bound → aware UTC (dates and floating bounds are read in ``tz``, UTC by default)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        return to_utc(value, tz or UTC).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def instances_from_store(
    path: str | Path, start, end, tz: tzinfo | None = None, include_cancelled: bool = False
) -> list[Instance]:
    """Every instance overlapping [start, end) of every event in the store at ``path`` (an
    SQLite path, or a store URL as :func:`~opentalk_sched.store.open_store` reads it:
    ``sqlite:///cal.db``, ``postgresql://...``), in start order then event id (as
    ``Timeline.overlapping`` orders them). Raises ``FileNotFoundError`` when an SQLite
    store file does not exist (it is not created)."""
    backend, target = parse_store_url(path)
    if backend == "sqlite" and target != ":memory:" and not Path(target).is_file():
        raise FileNotFoundError(f"no event store at {path}")
    store = open_store(path)
    try:
        found: list[Instance] = []
        for hit in store.window(_instant(start, tz), _instant(end, tz)):
            found.extend(hit.compiled.overlapping(start, end, tz, include_cancelled))
    finally:
        store.close()

    def order(inst: Instance):
        rid = inst.recurrence_id
        return (*sort_key(inst, tz), rid if isinstance(rid, datetime) else datetime.combine(rid, time()))

    found.sort(key=order)
    return found
