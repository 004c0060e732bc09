"""The persisted month index: where each series' instances fall, month by month, kept in
the database so a freshly started process answers a calendar view without compiling
and expanding every candidate series.

It is a *derived cache*, never a source of truth: a row holds the instances of one
series in one calendar month of UTC (the same lists
:class:`~opentalk_sched.store.series_cache.CompiledEvent` keeps in memory) together with
what they were computed from:

* ``version``: the event row's write counter, so any write to the event makes the row
  stale (rows of a written or deleted event are also deleted with it);
* ``engine``: :func:`engine_key`, a digest of the tzdata in use and of the engine's own
  source, so new zone rules (SPEC §1: UTC instants are re-derived when tzdata changes)
  or a changed expansion never serve old answers.

A stale or missing row is simply recomputed (and written back when possible). The table
is created when the store opens and is not part of the schema versions: dropping it is
always safe.

Each instance is four signed 64-bit integers: start and end (seconds since 1970 of the
naive UTC key), the original start (seconds of the wall time, or days for a date) and
flags (bit 0: cancelled; bit 1: the original start is a date).

    >>> from datetime import datetime
    >>> rows = [(datetime(2025, 3, 10, 8), datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 9), False)]
    >>> decode(encode(rows)) == rows
    True
"""

from __future__ import annotations

import hashlib
from array import array
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

_EPOCH = datetime(1970, 1, 1)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_CANCELLED = 1
_DATE = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS month_index (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    month INTEGER NOT NULL,
    version INTEGER NOT NULL,
    engine TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (event_id, month)
)
"""

#: one instance as the index keeps it: (start key, end key, original start, cancelled)
Entry = tuple


def _seconds(v: datetime) -> int:
    d = v - _EPOCH
    return d.days * 86400 + d.seconds


def encodable(v: datetime) -> bool:
    return v.microsecond == 0


def encode(entries) -> bytes:
    """``[(start_key, end_key, recurrence_id, cancelled)]`` → bytes (whole seconds only)."""
    out = array("q")
    for start, end, rid, cancelled in entries:
        flags = _CANCELLED if cancelled else 0
        if isinstance(rid, datetime):
            r = _seconds(rid)
        else:
            r = rid.toordinal() - _EPOCH_DAY
            flags |= _DATE
        out.extend((_seconds(start), _seconds(end), r, flags))
    return out.tobytes()


def decode(data: bytes) -> list[Entry]:
    """Inverse of :func:`encode`."""
    values = array("q")
    values.frombytes(data)
    out = []
    epoch = _EPOCH
    for i in range(0, len(values), 4):
        s, e, r, flags = values[i], values[i + 1], values[i + 2], values[i + 3]
        rid = date.fromordinal(r + _EPOCH_DAY) if flags & _DATE else epoch + timedelta(seconds=r)
        out.append((epoch + timedelta(seconds=s), epoch + timedelta(seconds=e), rid, bool(flags & _CANCELLED)))
    return out


def _tzdata_versions() -> str:
    parts = []
    try:
        import tzdata  # the PyPI package zoneinfo falls back to

        parts.append("pkg:" + getattr(tzdata, "IANA_VERSION", "?"))
    except ImportError:  # pragma: no cover
        parts.append("pkg:none")
    import zoneinfo

    for base in zoneinfo.TZPATH:
        zi = Path(base) / "tzdata.zi"
        try:
            with zi.open("r", encoding="utf-8", errors="replace") as f:
                parts.append(f"{base}:{f.readline().strip()}")
        except OSError:
            continue
        break
    return ";".join(parts)


@lru_cache(maxsize=1)
def engine_key() -> str:
    """A short digest of the tzdata versions in use and the core engine's source."""
    h = hashlib.sha256(_tzdata_versions().encode())
    core = Path(__file__).resolve().parent.parent / "core"
    for path in sorted(core.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
