"""Time zones: names to ``tzinfo``, custom VTIMEZONEs, and wall time ↔ UTC.

The timezone model is :mod:`zoneinfo`. A zone name resolves (:func:`resolve_zone`) to a
``ZoneInfo`` when it is an IANA name or a Windows name with a known IANA equivalent
(Outlook writes ``W. Europe Standard Time``); a VTIMEZONE that is neither becomes a
:class:`VTimezone`, a ``tzinfo`` built from its observances (RFC 5545 §3.6.5).

Wall time → UTC follows RFC 5545 §3.3.5 (SPEC §1): a wall time in a DST gap moves
forward by the gap (02:30 → 03:30 on spring-forward day), an ambiguous one takes the
first (earlier) offset. That is PEP 495 ``fold=0``, which both zone kinds implement.

    >>> from datetime import datetime
    >>> to_utc(datetime(2025, 3, 9, 2, 30), resolve_zone("America/New_York"))
    datetime.datetime(2025, 3, 9, 7, 30)

pytz and dateutil zones given at the boundary are normalised by :func:`normalize`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UnknownTimezone

UTC = timezone.utc
_ZERO = timedelta(0)


@lru_cache(maxsize=None)
def _windows_names() -> dict[str, str]:
    try:  # the mapping icalendar keeps from CLDR; optional for the core
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
    except Exception:  # pragma: no cover - icalendar missing
        return {}
    return {k.lower(): v for k, v in WINDOWS_TO_OLSON.items()}


@lru_cache(maxsize=2048)
def resolve_zone(name: str) -> tzinfo:
    """An IANA or Windows zone name → ``ZoneInfo``; ``UTC``/``Z``/``GMT`` → ``ZoneInfo('UTC')``.

    Raises :class:`UnknownTimezone` (field ``timezone``) for anything else.
    """
    key = (name or "").strip()
    if key.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return ZoneInfo("UTC")
    if key.startswith("/"):  # "/freeassociation.sourceforge.net/Europe/Berlin" style prefixes
        key = key.rsplit("/", 2)[-2] + "/" + key.rsplit("/", 1)[-1] if key.count("/") >= 2 else key
    try:
        if key and ".." not in key and not key.startswith("/"):
            return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        pass
    mapped = _windows_names().get(key.lower())
    if mapped:
        return ZoneInfo(mapped)
    raise UnknownTimezone(f"unknown time zone {name!r}", field="timezone", value=name)


def normalize(dt: datetime) -> datetime:
    """An aware datetime with a pytz or dateutil zone → the same instant on zoneinfo.

    Naive datetimes are returned unchanged. pytz zones keep their name
    (``Europe/Berlin`` stays Berlin); fixed offsets become ``datetime.timezone``.
    """
    tz = dt.tzinfo
    if tz is None or isinstance(tz, (ZoneInfo, VTimezone)) or tz is UTC:
        return dt
    name = getattr(tz, "zone", None) or getattr(tz, "key", None)
    if name:
        try:
            return dt.astimezone(resolve_zone(name))
        except UnknownTimezone:
            pass
    offset = dt.utcoffset()
    if offset == _ZERO:
        return dt.astimezone(UTC)
    return dt.astimezone(timezone(offset))


_DAY1 = timedelta(days=1)
_combine = datetime.combine
_UNSEEN = object()
#: per zone: day ordinal → the UTC offset of that whole local day, or None when the
#: offset changes during the day (then the zone itself is asked, PEP 495 fold=0)
_DAY_OFFSETS: dict[tzinfo, dict[int, timedelta | None]] = {}


_LAST_DAY = date.max.toordinal()


def _day_offset(ordinal: int, tz: tzinfo) -> timedelta | None:
    day = datetime.fromordinal(ordinal)
    a = tz.utcoffset(day.replace(tzinfo=tz))
    if ordinal >= _LAST_DAY:  # 9999-12-31 has no next day to compare with
        return a
    # the next midnight read both ways (PEP 495 fold): a gap or fold that spans it
    # (a transition at 23:30 that skips to 00:30) changes the offset within this day
    # although both midnights read fold=0 agree
    after = (day + _DAY1).replace(tzinfo=tz)
    if tz.utcoffset(after) != a or tz.utcoffset(after.replace(fold=1)) != a:
        return None
    return a


def to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """Naive wall time in ``tz`` → naive UTC, gap forward and fold earlier (fold=0).

    Offsets are cached per local day for days without a transition, which makes this
    the cheap step of expansion; transition days ask the zone.
    """
    table = _DAY_OFFSETS.get(tz)
    if table is None:
        table = _DAY_OFFSETS[tz] = {}
    ordinal = wall.toordinal()
    off = table.get(ordinal, _UNSEEN)
    if off is _UNSEEN:
        if len(table) > 500_000:
            table.clear()
        off = table[ordinal] = _day_offset(ordinal, tz)
    if off is None:
        return wall - tz.utcoffset(wall.replace(tzinfo=tz))
    return wall - off


def day_offsets(tz: tzinfo) -> dict[int, timedelta | None]:
    """The per-day cache of :func:`to_utc` for ``tz``: local day ordinal → that day's UTC
    offset, ``None`` on a day with a DST transition (a gap or a fold). Filled as
    :func:`to_utc` / :func:`utc_converter` convert wall times of a day."""
    table = _DAY_OFFSETS.get(tz)
    if table is None:
        table = _DAY_OFFSETS[tz] = {}
    return table


@lru_cache(maxsize=1024)
def utc_converter(tz: tzinfo):
    """A fast ``wall → naive UTC`` function for one zone (same result as :func:`to_utc`)."""
    table = day_offsets(tz)

    def convert(wall: datetime) -> datetime:
        off = table.get(wall.toordinal(), _UNSEEN)
        if off is None or off is _UNSEEN:
            return to_utc(wall, tz)
        return wall - off

    return convert


class NonexistentTime(ValueError):
    """A wall time that lies in a DST gap (raised by :func:`strict_converter`'s functions)."""


#: per zone: (wall time on a DST transition day, its fold) → its naive UTC, or None in
#: a gap (fold is part of the key: naive datetimes compare and hash without it)
_TRANSITION_KEYS: dict[tzinfo, dict[tuple[datetime, int], datetime | None]] = {}


@lru_cache(maxsize=1024)
def strict_converter(tz: tzinfo):
    """A ``wall → naive UTC`` function for one zone that raises :class:`NonexistentTime`
    for a wall time in a DST gap (else the same result as :func:`to_utc`). Answers on
    transition days are cached per wall time and fold (PEP 495: ``fold=1`` names the
    second reading of an ambiguous time): series of one zone share their times."""
    table = day_offsets(tz)
    exact = _TRANSITION_KEYS.get(tz)
    if exact is None:
        exact = _TRANSITION_KEYS[tz] = {}

    def convert(wall: datetime) -> datetime:
        off = table.get(wall.toordinal())
        if off is None:
            reading = (wall, wall.fold)
            key = exact.get(reading, _UNSEEN)
            if key is _UNSEEN:
                key = to_utc(wall, tz)  # (fills the day's entry when it was not seen)
                if table.get(wall.toordinal()) is not None:
                    return key
                if to_wall(key, tz) != wall:
                    key = None
                if len(exact) > 100_000:
                    exact.clear()
                exact[reading] = key
            if key is None:
                raise NonexistentTime(wall)
            return key
        return wall - off

    return convert


def to_wall(utc: datetime, tz: tzinfo) -> datetime:
    """Naive (or aware) UTC → naive wall time in ``tz``."""
    # (combine swaps the zone several times faster than replace(tzinfo=...))
    local = (_combine(utc, utc.time(), UTC) if utc.tzinfo is None else utc).astimezone(tz)
    return _combine(local, local.time())


# ---------------------------------------------------------------------------------
# custom VTIMEZONE


@dataclass(frozen=True, slots=True)
class Observance:
    """One STANDARD or DAYLIGHT block of a VTIMEZONE.

    ``dtstart`` is the local wall time of the first onset (read in ``offset_from``);
    offsets are in seconds east of UTC; ``rrule`` is the RRULE text or ``""``;
    ``rdates`` are extra onsets as wall times.
    """

    kind: str
    dtstart: datetime
    offset_from: int
    offset_to: int
    rrule: str = ""
    rdates: tuple[datetime, ...] = ()
    name: str = ""


class VTimezone(tzinfo):
    """A ``tzinfo`` built from a VTIMEZONE's observances (RFC 5545 §3.6.5).

    ``key`` is the TZID. Transitions are expanded once, up to ``horizon`` (year 2200),
    with the project's own rule engine. Offsets follow PEP 495: in a gap ``fold=0``
    uses the offset before the transition, in an overlap the earlier one.
    ``observances`` is kept as given so the zone can be stored and re-emitted.
    """

    def __init__(self, key: str, observances: tuple[Observance, ...] | list[Observance], horizon: int = 2200):
        self.key = key
        self.observances = tuple(observances)
        if not self.observances:
            raise UnknownTimezone(f"VTIMEZONE {key!r} has no STANDARD/DAYLIGHT", field="timezone", value=key)
        transitions: dict[datetime, tuple[int, int]] = {}
        from .rrule import RRule, RuleIterator  # local import: rrule imports nothing from here

        for ob in self.observances:
            onsets = [ob.dtstart, *ob.rdates]
            if ob.rrule:
                rule = RRule.parse(ob.rrule)
                until = None
                if rule.until is not None:
                    u = rule.until
                    if isinstance(u, datetime) and u.tzinfo is not None:
                        u = u.replace(tzinfo=None) + timedelta(seconds=ob.offset_from)
                    until = u
                it = RuleIterator(rule, ob.dtstart, until if until is not None else None)
                limit = rule.count
                for n, t in enumerate(it.between(None, datetime(horizon, 1, 1)), start=2):
                    if limit is not None and n > limit:
                        break
                    onsets.append(t)
            for wall in onsets:
                transitions[wall - timedelta(seconds=ob.offset_from)] = (ob.offset_from, ob.offset_to)
        ordered = sorted(transitions.items())
        self._utc = [t for t, _ in ordered]
        self._before = [timedelta(seconds=a) for _, (a, b) in ordered]
        self._after = [timedelta(seconds=b) for _, (a, b) in ordered]
        # wall-time boundaries for fold=0 (the later wall reading) and fold=1 (the earlier)
        self._wall0 = [t + max(a, b) for t, a, b in zip(self._utc, self._before, self._after)]
        self._wall1 = [t + min(a, b) for t, a, b in zip(self._utc, self._before, self._after)]
        self._names = {timedelta(seconds=ob.offset_to): ob.name for ob in self.observances}

    @classmethod
    def cached(cls, key: str, observances: tuple[Observance, ...]) -> "VTimezone":
        """The same as ``VTimezone(key, observances)``, built once per definition."""
        return _vtimezone_cached(key, tuple(observances))

    def _offset_for_wall(self, wall: datetime, fold: int) -> timedelta:
        bounds = self._wall1 if fold else self._wall0
        i = bisect_right(bounds, wall)
        return self._before[0] if i == 0 else self._after[i - 1]

    def utcoffset(self, dt):
        if dt is None:
            return None
        return self._offset_for_wall(dt.replace(tzinfo=None), dt.fold)

    def dst(self, dt):
        return _ZERO

    def tzname(self, dt):
        return self._names.get(self.utcoffset(dt)) or self.key

    def fromutc(self, dt):
        utc = dt.replace(tzinfo=None)
        i = bisect_right(self._utc, utc)
        off = self._before[0] if i == 0 else self._after[i - 1]
        wall = utc + off
        fold = 0
        if i > 0 and self._before[i - 1] > self._after[i - 1] and wall < self._utc[i - 1] + self._before[i - 1]:
            fold = 1  # second reading of an ambiguous wall time
        return wall.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return f"VTimezone({self.key!r})"

    def __reduce__(self):
        return (VTimezone, (self.key, self.observances))

    def __eq__(self, other):
        return isinstance(other, VTimezone) and other.key == self.key and other.observances == self.observances

    def __hash__(self):
        return hash((self.key, self.observances))


@lru_cache(maxsize=256)
def _vtimezone_cached(key: str, observances: tuple[Observance, ...]) -> VTimezone:
    return VTimezone(key, observances)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
