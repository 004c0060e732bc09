"""Free/busy: which stretches of time a calendar occupies, and finding a time for a meeting.

A person's *busy time* in a window is the union of the instances of the events they
take part in, each counted with a free/busy type (RFC 5545 §3.2.9 FBTYPE): ``BUSY`` for
events they created or accepted, ``BUSY-TENTATIVE`` for tentative (and, by the project's
decision, still pending) invitations. Which events count is the service's business
(:mod:`opentalk_sched.scheduling`); this module only computes, from plain values:

* :func:`busy_periods`: :class:`Commitment` values (an event + its FBTYPE) → sorted,
  disjoint :class:`BusyPeriod` values in aware UTC, clipped to the window;
* :func:`merge_periods`: any periods → the same shape (a stronger type wins where two
  overlap: BUSY-UNAVAILABLE > BUSY > BUSY-TENTATIVE; touching periods of one type join);
* :class:`WorkingHours`: the weekly hours someone works, in wall time in their zone,
  turned into UTC intervals day by day (so 09:00 stays 09:00 across a DST change);
* :func:`find_slots`: slots of a given length where every required attendee is free
  and inside their working hours, with the optional attendees who are free as well.

    >>> from datetime import datetime, timedelta
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, Timing
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> standup = Event.new("Standup", Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), berlin))
    >>> busy = busy_periods([Commitment(standup, FBType.BUSY)],
    ...                     datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC))
    >>> [(p.start.isoformat(), p.end.isoformat(), p.fbtype.value) for p in busy]
    [('2025-03-10T08:00:00+00:00', '2025-03-10T09:00:00+00:00', 'BUSY')]
    >>> alice = Availability("alice", busy, WorkingHours.default(berlin))
    >>> slots = find_slots([alice], timedelta(hours=1), datetime(2025, 3, 10, 7, tzinfo=UTC),
    ...                    datetime(2025, 3, 10, 12, tzinfo=UTC), step=timedelta(hours=1))
    >>> [s.start.strftime("%H:%M") for s in slots]   # UTC; 08:00 UTC is the standup
    ['09:00', '10:00', '11:00']

Rules (see docs/scheduling.md for the reasons):

* All instants are half-open ``[start, end)``. Window bounds are aware datetimes (any
  zone), or dates / naive datetimes read in ``tz`` (UTC by default). A window must be
  non-empty and at most 366 days long (:class:`InvalidWindow`).
* Cancelled instances are free; zero-length instances occupy no time; an event or an
  instance override whose TRANSP is TRANSPARENT (RFC 5545 §3.8.2.7, kept from import
  in ``properties``) is free; time-independent events have no time and are ignored.
* All-day instances cover [date 00:00, next date 00:00) in the event's zone (UTC when it
  has none); floating instances are read in ``tz`` (the owner's zone).
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Hashable, Iterable, Sequence

from .errors import SchedError
from .model import UTC, Event, InviteStatus
from .recurrence import format_duration
from .series import Series
from .zones import midnight, to_utc, to_wall

#: the longest window a free/busy or find-slots query may cover (same as the calendar view)
MAX_WINDOW = timedelta(days=366)
_DAY = timedelta(days=1)
#: working-hours days are computed only inside these (datetime's range minus a margin)
_FIRST_KEY = datetime(1, 1, 4)
_LAST_KEY = datetime(9999, 12, 28)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- errors -------------------------------------------------------------------------------


class SchedulingError(SchedError):
    """Base of the free/busy and find-slots input errors (HTTP 422 on the wire)."""

    code = "invalid_scheduling_request"


class InvalidWindow(SchedulingError):
    """The window is empty or reversed (``ends_before_start``) or longer than 366 days
    (``window_too_long``); ``field`` is ``time_max``."""

    code = "invalid_window"


class InvalidDuration(SchedulingError):
    """A slot duration that is not positive (``not_positive``) or longer than the window
    (``longer_than_window``); ``field`` is ``duration``."""

    code = "invalid_duration"


class InvalidWorkingHours(SchedulingError):
    """Working hours that cannot be read (``invalid_working_hours``), e.g. ``17:00-09:00``."""

    code = "invalid_working_hours"


# -- values -------------------------------------------------------------------------------


class FBType(str, enum.Enum):
    """Free/busy time type (RFC 5545 §3.2.9). ``rank`` orders them for merging."""

    FREE = "FREE"
    BUSY_TENTATIVE = "BUSY-TENTATIVE"
    BUSY = "BUSY"
    BUSY_UNAVAILABLE = "BUSY-UNAVAILABLE"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def wire(self) -> str:
        """The JSON spelling: ``busy``, ``busy_tentative``, ``busy_unavailable``, ``free``."""
        return self.value.lower().replace("-", "_")


_RANK = {FBType.FREE: 0, FBType.BUSY_TENTATIVE: 1, FBType.BUSY: 2, FBType.BUSY_UNAVAILABLE: 3}


@dataclass(frozen=True, slots=True)
class BusyPeriod:
    """One busy stretch: ``[start, end)`` as aware UTC datetimes, and its FBTYPE."""

    start: datetime
    end: datetime
    fbtype: FBType = FBType.BUSY

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Commitment:
    """An event on someone's calendar and how it counts for them.

    ``event`` is an :class:`Event`, an already compiled :class:`Series` (pass the series
    when the same event is counted for many people, so it is compiled once), or any
    object with the same query verbs: ``event``, ``series`` and
    ``overlapping(start, end, tz)`` (a store's cached compiled event).
    ``fbtype`` is what its instances become (``FREE`` = not counted).
    """

    event: "Event | Series | object"
    fbtype: FBType = FBType.BUSY


def fbtype_for(status: InviteStatus | None) -> FBType:
    """How an event counts for one person, from their invite status (``None`` = they
    created it): created / accepted → BUSY; tentative → BUSY-TENTATIVE; pending
    (PARTSTAT NEEDS-ACTION) → BUSY-TENTATIVE, as a CalDAV server reports it (RFC 5545
    has no "pending" FBTYPE); declined → FREE."""
    if status is None or status is InviteStatus.ACCEPTED:
        return FBType.BUSY
    if status is InviteStatus.DECLINED:
        return FBType.FREE
    return FBType.BUSY_TENTATIVE


# -- windows ------------------------------------------------------------------------------


def utc_key(value: date | datetime, tz: tzinfo | None = None) -> datetime:
    """A bound → naive UTC. Aware values are converted; dates and naive values are wall
    time in ``tz`` (UTC when ``None``), a DST gap moving forward (RFC 5545 §3.3.5)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value if tz is None else to_utc(value, tz)
    wall = midnight(value)
    return wall if tz is None else to_utc(wall, tz)


def check_window(start: date | datetime, end: date | datetime, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """Validate a query window and return it as naive UTC ``(lo, hi)``.

    Raises :class:`InvalidWindow`: ``ends_before_start`` when ``end <= start``,
    ``window_too_long`` when it spans more than 366 days (field ``time_max``).
    """
    lo, hi = utc_key(start, tz), utc_key(end, tz)
    if hi <= lo:
        raise InvalidWindow(
            f"time_max {hi.isoformat()}Z is not after time_min {lo.isoformat()}Z",
            code="ends_before_start", field="time_max", value=_iso(hi),
        )
    if hi - lo > MAX_WINDOW:
        raise InvalidWindow(
            f"the window spans {(hi - lo).days} days; at most 366 are allowed",
            code="window_too_long", field="time_max", value=_iso(hi),
        )
    return lo, hi


def _iso(key: datetime) -> str:
    return key.strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(key: datetime) -> datetime:
    return key.replace(tzinfo=UTC)


# -- busy time ----------------------------------------------------------------------------


def is_transparent(properties: Iterable[str]) -> bool | None:
    """``True``/``False`` for a TRANSP content line among ``properties`` (TRANSPARENT /
    OPAQUE, RFC 5545 §3.8.2.7), ``None`` when there is none."""
    for line in properties:
        head = line[:7].upper()
        if head.startswith("TRANSP") and head[6:7] in (":", ";"):
            return line.rpartition(":")[2].strip().upper() == "TRANSPARENT"
    return None


def busy_periods(
    commitments: Iterable[Commitment],
    start: date | datetime,
    end: date | datetime,
    tz: tzinfo | None = None,
) -> list[BusyPeriod]:
    """The busy time of one calendar in ``[start, end)``: merged, sorted, disjoint
    :class:`BusyPeriod` values in aware UTC, clipped to the window.

    ``tz`` reads date / naive bounds and places floating events (the owner's zone; UTC
    when ``None``). Raises :class:`InvalidWindow` for an empty or over-long window.
    """
    lo, hi = check_window(start, end, tz)
    return merge_keyed(_raw_busy(commitments, lo, hi, tz))


def _raw_busy(commitments: Iterable[Commitment], lo: datetime, hi: datetime, tz: tzinfo | None):
    """(start_key, end_key, rank) per counted instance, clipped to [lo, hi), unmerged."""
    qtz = tz or UTC
    a, b = _aware(lo), _aware(hi)
    out: list[tuple[datetime, datetime, int]] = []
    for c in commitments:
        rank = _RANK[c.fbtype]
        if rank == 0:
            continue
        src = c.event
        if isinstance(src, Event):
            if src.timing is None:
                continue  # time-independent: takes no time
            src = Series(src)
        event = src.event
        series = src if isinstance(src, Series) else src.series
        transparent = is_transparent(event.properties) or False
        floating = series.floating
        for inst in src.overlapping(a, b, qtz):
            ov = inst.override
            if ov is not None and ov.properties:
                own = is_transparent(ov.properties)
                if own is not None:
                    if own:
                        continue
                elif transparent:
                    continue
            elif transparent:
                continue
            s, e = inst.start_key, inst.end_key
            if floating:
                s, e = to_utc(s, qtz), to_utc(e, qtz)
            if s < lo:
                s = lo
            if e > hi:
                e = hi
            if s < e:
                out.append((s, e, rank))
    return out


def merge_periods(periods: Iterable[BusyPeriod]) -> list[BusyPeriod]:
    """Sorted, disjoint periods covering the same time; where periods overlap the stronger
    type wins (BUSY-UNAVAILABLE > BUSY > BUSY-TENTATIVE), touching periods of the same
    type are joined, FREE periods are dropped. Input and output are aware datetimes."""
    raw = []
    for p in periods:
        s = p.start.astimezone(UTC).replace(tzinfo=None)
        e = p.end.astimezone(UTC).replace(tzinfo=None)
        raw.append((s, e, _RANK[p.fbtype]))
    return merge_keyed(raw)


_BY_RANK = {r: t for t, r in _RANK.items()}


def merge_keyed(raw: Iterable[tuple[datetime, datetime, int]]) -> list[BusyPeriod]:
    """Like :func:`merge_periods` on ``(start_key, end_key, rank)`` triples in naive UTC."""
    by_rank: dict[int, list[tuple[datetime, datetime]]] = {}
    for s, e, r in raw:
        if r > 0 and s < e:
            by_rank.setdefault(r, []).append((s, e))
    if len(by_rank) == 1:  # one type: a plain union
        ((r, items),) = by_rank.items()
        t = _BY_RANK[r]
        return [BusyPeriod(s.replace(tzinfo=UTC), e.replace(tzinfo=UTC), t) for s, e in union_intervals(items)]
    pieces: list[tuple[datetime, datetime, int]] = []
    stronger: list[tuple[datetime, datetime]] = []
    for r in sorted(by_rank, reverse=True):
        union = union_intervals(by_rank[r])
        own = subtract_intervals(union, stronger) if stronger else union
        pieces.extend((s, e, r) for s, e in own)
        stronger = union_intervals(stronger + union) if stronger else union
    pieces.sort()
    return [BusyPeriod(_aware(s), _aware(e), _BY_RANK[r]) for s, e, r in pieces]


# -- interval arithmetic (naive UTC keys, half-open) --------------------------------------


def union_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint union; touching intervals are joined; empty ones dropped."""
    out: list[list] = []
    for s, e in sorted(intervals):
        if s >= e:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def subtract_intervals(base: Sequence[tuple], minus: Sequence[tuple]) -> list[tuple]:
    """``base`` minus ``minus``; both sorted and disjoint; result sorted and disjoint."""
    out = []
    j = 0
    n = len(minus)
    for s, e in base:
        while j < n and minus[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < n and minus[k][0] < e:
            ms, me = minus[k]
            if ms > cur:
                out.append((cur, ms))
            if me > cur:
                cur = me
            if cur >= e:
                break
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def intersect_intervals(a: Sequence[tuple], b: Sequence[tuple]) -> list[tuple]:
    """Intersection of two sorted, disjoint interval lists."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return out


# -- working hours ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When someone works, as wall time in their zone.

    ``week`` has seven entries, Monday first; each is a tuple of ``(start, end)`` minutes
    since local midnight, ``0 <= start < end <= 1440`` (end exclusive; 1440 = the next
    midnight), sorted and not overlapping. A night shift is written as two parts,
    ``22:00-24:00`` on one day and ``00:00-06:00`` on the next; they join into one
    interval. :meth:`intervals` turns them into UTC day by day, so the same wall hours
    hold before and after a DST change (a boundary in a gap moves forward by the gap, an
    ambiguous one takes the earlier offset, RFC 5545 §3.3.5).

        >>> from zoneinfo import ZoneInfo
        >>> wh = WorkingHours.parse("mon-fri 09:00-17:00", ZoneInfo("Europe/Berlin"))
        >>> wh.describe()
        'mon-fri 09:00-17:00'
    """

    tz: tzinfo
    week: tuple[tuple[tuple[int, int], ...], ...] = tuple(((540, 1020),) if d < 5 else () for d in range(7))

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise InvalidWorkingHours("working hours need seven days (Monday first)", code="invalid_working_hours",
                                      field="working_hours")
        for day in self.week:
            last = -1
            for s, e in day:
                if not (0 <= s < e <= 1440) or s < last:
                    raise InvalidWorkingHours(
                        f"working hours {_hhmm(s)}-{_hhmm(e)} are not an increasing, non-overlapping part of a day",
                        code="invalid_working_hours", field="working_hours", value=f"{_hhmm(s)}-{_hhmm(e)}",
                    )
                last = e

    @classmethod
    def default(cls, tz: tzinfo) -> "WorkingHours":
        """09:00-17:00, Monday to Friday, in ``tz``."""
        return cls(tz)

    @classmethod
    def always(cls, tz: tzinfo = UTC) -> "WorkingHours":
        """Every minute of every day (no working-hours limit)."""
        return cls(tz, (((0, 1440),),) * 7)

    @classmethod
    def parse(cls, text: str, tz: tzinfo) -> "WorkingHours":
        """Read ``"mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00"``.

        Parts are separated by ``;``; each names days (``mon``..``sun``, ranges with
        ``-``, lists with ``,``) and then one or more ``HH:MM-HH:MM`` ranges (``24:00``
        allowed as an end). Days not named are free. ``""`` or ``"none"`` = never works.
        Raises :class:`InvalidWorkingHours` (field ``working_hours``).
        """
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        body = (text or "").strip().lower()
        if body not in ("", "none"):
            for part in body.split(";"):
                part = part.strip()
                if not part:
                    continue
                days_text, _, hours_text = part.partition(" ")
                days = _parse_days(days_text, text)
                ranges = [_parse_range(r, text) for r in hours_text.replace(" ", "").split(",") if r]
                if not ranges:
                    raise _bad_hours(text, f"no hours given for {days_text!r}")
                for d in days:
                    week[d].extend(ranges)
        return cls(tz, tuple(tuple(_normalise_day(day)) for day in week))

    @classmethod
    def from_mapping(cls, days: dict, tz: tzinfo) -> "WorkingHours":
        """``{"mon": [["09:00", "17:00"]], ...}`` (days left out are free) → WorkingHours."""
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for name, ranges in (days or {}).items():
            d = _day_index(str(name), str(days))
            for r in ranges or ():
                if not isinstance(r, (list, tuple)) or len(r) != 2:
                    raise _bad_hours(str(days), f"{name}: each range is [start, end]")
                week[d].append(_parse_range(f"{r[0]}-{r[1]}", str(days)))
        return cls(tz, tuple(tuple(_normalise_day(day)) for day in week))

    def to_mapping(self) -> dict[str, list[list[str]]]:
        """The inverse of :meth:`from_mapping` (working days only)."""
        return {
            _WEEKDAYS[d]: [[_hhmm(s), _hhmm(e)] for s, e in self.week[d]] for d in range(7) if self.week[d]
        }

    def describe(self) -> str:
        """A compact text form that :meth:`parse` reads back."""
        parts: list[str] = []
        d = 0
        while d < 7:
            if not self.week[d]:
                d += 1
                continue
            e = d
            while e + 1 < 7 and self.week[e + 1] == self.week[d]:
                e += 1
            days = _WEEKDAYS[d] if d == e else f"{_WEEKDAYS[d]}-{_WEEKDAYS[e]}"
            parts.append(days + " " + ",".join(f"{_hhmm(s)}-{_hhmm(t)}" for s, t in self.week[d]))
            d = e + 1
        return "; ".join(parts) or "none"

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Working intervals overlapping ``[start, end)`` (naive UTC keys), clipped to it,
        as sorted, disjoint naive-UTC ``(start, end)`` pairs.

        Each local day's wall-time ranges are converted to UTC on their own day (so a
        09:00 start is 08:00 UTC in Berlin winter and 07:00 UTC in summer); ranges that
        touch across midnight are joined.
        """
        tz = self.tz
        first = to_wall(max(start, _FIRST_KEY) - _DAY, tz).date()
        last = to_wall(min(end, _LAST_KEY) + _DAY, tz).date()
        raw = []
        day = first
        while day <= last:
            base = midnight(day)
            for s, e in self.week[day.weekday()]:
                a = to_utc(base + timedelta(minutes=s), tz)
                b = to_utc(base + timedelta(minutes=e), tz)
                if a < end and b > start:
                    raw.append((max(a, start), min(b, end)))
            day += _DAY
        return union_intervals(raw)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _bad_hours(text: str, why: str) -> InvalidWorkingHours:
    return InvalidWorkingHours(f"cannot read working hours {text!r}: {why}", code="invalid_working_hours",
                               field="working_hours", value=text)


def _day_index(name: str, text: str) -> int:
    key = name.strip().lower()[:3]
    if key not in _WEEKDAYS:
        raise _bad_hours(text, f"{name!r} is not a weekday (mon..sun)")
    return _WEEKDAYS.index(key)


def _parse_days(spec: str, text: str) -> list[int]:
    days: list[int] = []
    for item in spec.split(","):
        if "-" in item:
            a, _, b = item.partition("-")
            i, j = _day_index(a, text), _day_index(b, text)
            if j < i:
                raise _bad_hours(text, f"day range {item!r} runs backwards")
            days.extend(range(i, j + 1))
        else:
            days.append(_day_index(item, text))
    return days


def _parse_clock(value: str, text: str) -> int:
    h, sep, m = value.strip().partition(":")
    if not sep or not h.isdigit() or not m.isdigit() or len(m) != 2:
        raise _bad_hours(text, f"{value!r} is not HH:MM")
    minutes = int(h) * 60 + int(m)
    if int(m) >= 60 or minutes > 1440:
        raise _bad_hours(text, f"{value!r} is not a time of day")
    return minutes


def _parse_range(spec: str, text: str) -> tuple[int, int]:
    a, sep, b = spec.partition("-")
    if not sep:
        raise _bad_hours(text, f"{spec!r} is not HH:MM-HH:MM")
    s, e = _parse_clock(a, text), _parse_clock(b, text)
    if e <= s:
        raise _bad_hours(text, f"{spec!r} ends before it starts (split a night shift at 24:00)")
    return s, e


def _normalise_day(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


# -- finding a time -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Availability:
    """One attendee as :func:`find_slots` sees them.

    ``attendee``: any hashable id (a user UUID, an email); ``busy``: their busy periods
    (any order, may overlap); ``working_hours``: ``None`` = no limit; ``required``:
    ``False`` for optional attendees, who never exclude a slot but rank it.
    """

    attendee: Hashable
    busy: Sequence[BusyPeriod] = ()
    working_hours: WorkingHours | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class Slot:
    """A candidate meeting time ``[start, end)`` in aware UTC; ``optional_free`` lists the
    optional attendees free for all of it, in the order they were given."""

    start: datetime
    end: datetime
    optional_free: tuple[Hashable, ...] = ()

    @property
    def optional_free_count(self) -> int:
        return len(self.optional_free)


def check_duration(duration: timedelta, lo: datetime, hi: datetime) -> None:
    """Raise :class:`InvalidDuration` unless ``0 < duration <= hi - lo`` (field ``duration``)."""
    if duration <= timedelta(0):
        raise InvalidDuration(f"duration {format_duration(duration)} is not positive", code="not_positive",
                              field="duration", value=format_duration(duration))
    if duration > hi - lo:
        raise InvalidDuration(
            f"duration {format_duration(duration)} is longer than the window ({format_duration(hi - lo)})",
            code="longer_than_window", field="duration", value=format_duration(duration),
        )


def free_intervals(who: Availability, lo: datetime, hi: datetime, tentative_is_busy: bool = True) -> list[tuple]:
    """Naive-UTC intervals in ``[lo, hi)`` inside ``who``'s working hours and outside their
    busy time (BUSY-TENTATIVE counts as busy unless ``tentative_is_busy`` is False)."""
    floor = 2 if not tentative_is_busy else 1
    busy = union_intervals(
        (p.start.astimezone(UTC).replace(tzinfo=None), p.end.astimezone(UTC).replace(tzinfo=None))
        for p in who.busy if _RANK[p.fbtype] >= floor
    )
    working = who.working_hours.intervals(lo, hi) if who.working_hours is not None else [(lo, hi)]
    return subtract_intervals(working, busy)


def find_slots(
    attendees: Sequence[Availability],
    duration: timedelta,
    start: date | datetime,
    end: date | datetime,
    *,
    step: timedelta = timedelta(minutes=15),
    tz: tzinfo | None = None,
    tentative_is_busy: bool = True,
    order: str = "rank",
    limit: int | None = None,
) -> list[Slot]:
    """Slots ``[s, s + duration)`` inside ``[start, end)`` where every required attendee
    is inside their working hours and not busy.

    Candidate starts are ``start + k * step`` (the grid is anchored at the window start,
    so pass a round ``start``). Each slot lists the optional attendees who are free (and
    working) for all of it. ``order="rank"`` (default) sorts by the number of free
    optional attendees, most first, then by earliest start; ``order="start"`` by start
    only. ``limit`` keeps the first N after ordering. BUSY-TENTATIVE time blocks a slot
    unless ``tentative_is_busy`` is False. ``tz`` reads date / naive bounds.

    Raises :class:`InvalidWindow` (empty or over 366 days), :class:`InvalidDuration`
    (not positive or longer than the window), :class:`SchedulingError` with code
    ``not_positive`` / field ``step`` for a bad step, code ``no_required_attendee`` /
    field ``attendees`` when nobody is required, ``invalid_order`` for another order.
    """
    lo, hi = check_window(start, end, tz)
    check_duration(duration, lo, hi)
    if step <= timedelta(0):
        raise SchedulingError(f"step {format_duration(step)} is not positive", code="not_positive", field="step",
                              value=format_duration(step))
    if order not in ("rank", "start"):
        raise SchedulingError(f"order {order!r} is not 'rank' or 'start'", code="invalid_order", field="order",
                              value=order)
    required = [a for a in attendees if a.required]
    optional = [a for a in attendees if not a.required]
    if not required:
        raise SchedulingError("find_slots needs at least one required attendee", code="no_required_attendee",
                              field="attendees")
    common = [(lo, hi)]
    for who in required:
        common = intersect_intervals(common, free_intervals(who, lo, hi, tentative_is_busy))
        if not common:
            return []
    opt_free = []
    for who in optional:
        iv = free_intervals(who, lo, hi, tentative_is_busy)
        opt_free.append((who.attendee, [s for s, _ in iv], [e for _, e in iv]))
    slots: list[Slot] = []
    for a, b in common:
        k = -((lo - a) // step)  # ceil((a - lo) / step)
        s = lo + k * step
        while s + duration <= b:
            e = s + duration
            free = []
            for who, starts, ends in opt_free:
                i = bisect_right(starts, s) - 1
                if i >= 0 and ends[i] >= e:
                    free.append(who)
            slots.append(Slot(_aware(s), _aware(e), tuple(free)))
            s += step
    if order == "rank" and optional:
        slots.sort(key=lambda sl: (-len(sl.optional_free), sl.start))
    if limit is not None:
        slots = slots[: max(limit, 0)]
    return slots


__all__ = [
    "MAX_WINDOW", "SchedulingError", "InvalidWindow", "InvalidDuration", "InvalidWorkingHours", "FBType",
    "BusyPeriod", "Commitment", "fbtype_for", "utc_key", "check_window", "is_transparent", "busy_periods", "merge_periods",
    "merge_keyed", "union_intervals", "subtract_intervals", "intersect_intervals", "WorkingHours",
    "Availability", "Slot", "check_duration", "free_intervals", "find_slots",
]
