"""Keeping exceptions when a series changes (SPEC §1 **[decision]**).

An exception is keyed by its occurrence's original start. When the series' dates or
recurrence change, each exception is kept if its original start is still an occurrence
of the new series, and dropped otherwise. Moving the series start by a delta moves the
keys by the same delta, so "every Monday 09:00 → every Monday 10:00" keeps the
cancelled Monday, now at 10:00.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, Override, OverrideKind, RecurrenceSet, Timing
    >>> tz = ZoneInfo("Europe/Berlin")
    >>> weekly = RecurrenceSet.from_lines(["FREQ=WEEKLY;BYDAY=MO"])
    >>> old = Timing(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), tz, weekly)
    >>> new = Timing(datetime(2025, 1, 6, 10), datetime(2025, 1, 6, 11), tz, weekly)
    >>> ov = {datetime(2025, 1, 13, 9): Override(datetime(2025, 1, 13, 9), OverrideKind.CANCELLED)}
    >>> kept, dropped = carry_overrides(Event.new("x", old), new, ov)
    >>> list(kept), dropped
    ([datetime.datetime(2025, 1, 13, 10, 0)], 0)

The override's other fields (title, a moved start/end) are kept as they were.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..core import Event, SchedError, Series, Timing
from ..core.zones import midnight


def shift_key(rid, old: Timing, new: Timing):
    """An original start under ``old`` → the same occurrence's start under ``new``
    (shifted by the start delta; converted between DATE and DATE-TIME series)."""
    o, n = old.start, new.start
    if isinstance(o, datetime) and isinstance(n, datetime):
        r = rid if isinstance(rid, datetime) else midnight(rid)
        return r + (n - o)
    if not isinstance(o, datetime) and not isinstance(n, datetime):
        r = rid.date() if isinstance(rid, datetime) else rid
        return r + (n - o)
    if isinstance(o, datetime):  # timed → all-day
        r = rid.date() if isinstance(rid, datetime) else rid
        return r + (n - o.date())
    r = rid.date() if isinstance(rid, datetime) else rid  # all-day → timed
    return datetime.combine(r + (n.date() - o), n.time())


def carry_overrides(event: Event, new: Timing | None, overrides: dict | None = None) -> tuple[dict, int]:
    """Exceptions of ``event`` carried to the new timing: ``({new key: Override}, number
    dropped)``. ``overrides`` defaults to ``event.overrides``."""
    overrides = event.overrides if overrides is None else overrides
    old = event.timing
    if not overrides:
        return {}, 0
    if old is None or new is None:
        return {}, len(overrides)
    moved: dict = {}
    for rid, ov in overrides.items():
        key = shift_key(rid, old, new)
        moved[key] = replace(ov, recurrence_id=key)
    try:
        series = Series(replace(event, timing=new, overrides=moved))
    except SchedError:
        return {}, len(overrides)
    kept = {k: ov for k, ov in moved.items() if series.is_occurrence(k)}
    return kept, len(overrides) - len(kept)


__all__ = ["carry_overrides", "shift_key"]
