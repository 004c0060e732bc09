"""A per-process cache of compiled series, so warm window queries do not rebuild them.

Compiling an event (:class:`~opentalk_sched.core.Series`) parses its rules and indexes
its exceptions; expanding a month of a busy series walks its rules. Both depend only on
the stored event, so a store keeps them in a :class:`SeriesCache` keyed by
``(event id, version)``: ``version`` is the store's write counter of the event row,
bumped by every write, so a changed event is simply a miss (a write from another
process included) and nothing needs to be invalidated for correctness.

Each :class:`CompiledEvent` also remembers, per calendar month of UTC, the instances
overlapping that month (cancelled ones included). A window query is answered from
the months it covers, then filtered exactly:

    >>> from datetime import datetime, timezone
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, Timing, RecurrenceSet
    >>> ev = Event.new("Daily", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10),
    ...     ZoneInfo("Europe/Berlin"), RecurrenceSet.from_lines(["FREQ=DAILY"])))
    >>> cache = SeriesCache()
    >>> c = cache.put(ev, version=1)
    >>> utc = timezone.utc
    >>> len(c.overlapping(datetime(2025, 3, 1, tzinfo=utc), datetime(2025, 3, 3, tzinfo=utc)))
    2
    >>> cache.get(ev.id, 1) is c, cache.get(ev.id, 2)
    (True, None)

Why the result is exact: an instance ``[s, e)`` overlapping the window ``[a, b)`` has a
point in both, and that point lies in one of the covered months, so the instance is in
that month's list; a zero-length instance at ``s`` with ``a <= s < b`` is in the list
of the month containing ``s``. The union of the month lists is a superset; the final
filter is the RFC 4791 §9.9 overlap test itself. Floating series (whose position
depends on the query's zone) and very wide windows are computed directly.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime, timezone, tzinfo

from ..core import Event, Instance, Series

UTC = timezone.utc

#: windows covering more months than this are expanded directly, not from month lists
MAX_CACHED_MONTHS = 14
#: month lists kept per series (the oldest are dropped first)
MONTHS_PER_SERIES = 36


def _month(key: datetime) -> int:
    return key.year * 12 + key.month - 1


def month_start(index: int) -> datetime:
    """The aware UTC start of month ``index`` (``year * 12 + month - 1``)."""
    y, m = divmod(index, 12)
    return datetime(y, m + 1, 1, tzinfo=UTC)


def month_range(lo: datetime, hi: datetime) -> range:
    """The month indexes covering [lo, hi) (naive UTC keys); one month when lo == hi."""
    m0 = _month(lo)
    last = _month(hi) if (hi.day, hi.hour, hi.minute, hi.second, hi.microsecond) != (1, 0, 0, 0, 0) else _month(hi) - 1
    return range(m0, max(m0, last if hi > lo else m0) + 1)


def overlaps(a: datetime, b: datetime, lo: datetime, hi: datetime) -> bool:
    """RFC 4791 §9.9: [a, b) overlaps [lo, hi); a zero-length one when lo <= a < hi."""
    return a < hi and (b > lo or (a == b and a >= lo))


def _order(inst: Instance):
    return (inst.start_key, inst.recurrence_id)


def _aware(v) -> bool:
    return isinstance(v, datetime) and v.tzinfo is not None


def naive_utc(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v


class CompiledEvent:
    """An event compiled once: ``event``, ``series`` (a core Series), the store
    ``version`` it was built from, and its month lists."""

    __slots__ = ("event", "series", "version", "id_text", "_months")

    def __init__(self, event: Event, version: int) -> None:
        self.event = event
        self.series = Series(event)
        self.version = version
        self.id_text = str(event.id)
        self._months: dict[int, list[Instance]] = {}

    def month(self, index: int) -> list[Instance]:
        """Every instance (cancelled ones included) overlapping month ``index`` of UTC,
        computed once. Not for floating series (their months depend on a zone)."""
        found = self._months.get(index)
        if found is None:
            found = self.series.overlapping(month_start(index), month_start(index + 1), None, True)
            months = self._months
            if len(months) >= MONTHS_PER_SERIES:
                months.pop(next(iter(months)))
            months[index] = found
        return found

    def overlapping(
        self, start: datetime, end: datetime, tz: tzinfo | None = None, include_cancelled: bool = False
    ) -> list[Instance]:
        """Instances overlapping [start, end) (RFC 4791 §9.9), in start
        order (ties: by original start); the instances :meth:`core.Series.overlapping
        <opentalk_sched.core.Series.overlapping>` gives. ``tz`` only matters for
        floating series (their wall time is read in ``tz``, UTC by default) and for date
        or naive bounds (read in ``tz``, as the core does); only aware bounds use the
        month lists."""
        s = self.series
        if s.floating or not _aware(start) or not _aware(end):
            found = s.overlapping(start, end, tz, include_cancelled)
            found.sort(key=_order)
            return found
        lo, hi = naive_utc(start), naive_utc(end)
        if hi < lo:
            return []
        months = month_range(lo, hi)
        if len(months) > MAX_CACHED_MONTHS:
            found = s.overlapping(start, end, tz, include_cancelled)
            found.sort(key=_order)
            return found
        out: list[Instance] = []
        many = len(months) > 1
        seen: set = set()
        for m in months:
            for inst in self.month(m):
                a, b = inst.start_key, inst.end_key
                if a < hi and (b > lo or (a == b and a >= lo)):
                    if not include_cancelled and inst.cancelled:
                        continue
                    if many:
                        rid = inst.recurrence_id
                        if rid in seen:
                            continue
                        seen.add(rid)
                    out.append(inst)
        if len(out) > 1:
            out.sort(key=_order)
        return out


class SeriesCache:
    """A bounded map event id → :class:`CompiledEvent`; when full, the entries compiled
    longest ago are dropped first. Safe to share between threads."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, CompiledEvent] = OrderedDict()
        self._entries: OrderedDict[str, tuple[int, dict[int, list]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, event_id: uuid.UUID | str, version: int) -> CompiledEvent | None:
        """The compiled event when cached at exactly ``version``, else ``None``."""
        item = self._items.get(event_id if isinstance(event_id, str) else str(event_id))
        if item is None or item.version != version:
            self.misses += 1
            return None
        self.hits += 1
        return item

    def put(self, event: Event, version: int) -> CompiledEvent:
        """Compile ``event`` (raises what :class:`core.Series` raises) and keep it."""
        item = CompiledEvent(event, version)
        with self._lock:
            self._items[item.id_text] = item
            self._items.move_to_end(item.id_text)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return item

    def discard(self, event_id: uuid.UUID | str) -> None:
        with self._lock:
            self._items.pop(str(event_id), None)
            self._entries.pop(str(event_id), None)

    def entries(self, event_id: str, version: int, month: int) -> list | None:
        """Month-index entries read earlier for ``(event, version, month)``, else ``None``."""
        found = self._entries.get(event_id)
        if found is None or found[0] != version:
            return None
        return found[1].get(month)

    def put_entries(self, event_id: str, version: int, month: int, entries: list) -> None:
        """Keep decoded month-index entries (see :mod:`~opentalk_sched.store.month_index`)."""
        with self._lock:
            found = self._entries.get(event_id)
            if found is None or found[0] != version:
                found = self._entries[event_id] = (version, {})
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
            months = found[1]
            if len(months) >= MONTHS_PER_SERIES:
                months.pop(next(iter(months)))
            months[month] = entries

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._items)
