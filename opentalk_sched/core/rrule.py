"""Recurrence rules (RRULE / EXRULE, RFC 5545 §3.3.10): parsing and iteration.

:class:`RRule` is the parsed rule, plain data that prints back to its canonical text.
:class:`RuleIterator` expands one rule against a DTSTART in *wall time* (naive
datetimes, or dates for an all-day series). It works period by period (the year, the
month, the WKST-aligned week, the day, ...) and computes the index of the first period
of a window arithmetically, so the cost of a window query does not depend on how far
the window is from DTSTART. Rules with COUNT are the exception: they must be counted
from DTSTART, and :class:`~opentalk_sched.core.series.Series` caches their finite
expansion once.

    >>> from datetime import datetime
    >>> rule = RRule.parse("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")
    >>> it = RuleIterator(rule, datetime(2021, 11, 26, 21, 30))
    >>> [d.date().isoformat() for d in it.between(datetime(2021, 11, 1), datetime(2022, 2, 1))]
    ['2021-12-31', '2022-01-28']

(``between`` never yields DTSTART itself: the recurrence set adds it, SPEC §1.)

Readings this project follows where libraries differ (SPEC §1):

* parts missing from the rule are taken from DTSTART: ``YEARLY;BYMONTHDAY=16`` without
  BYMONTH repeats in DTSTART's month only; ``YEARLY;BYWEEKNO=..`` without BYDAY takes
  DTSTART's weekday; MONTHLY without BYDAY/BYMONTHDAY takes DTSTART's day of month;
* BYHOUR/BYMINUTE/BYSECOND are ignored on a DATE series;
* BYSETPOS selects within each whole period of the FREQ, a WKST-aligned week included;
* invalid dates (Feb 30, day 31 of a short month) are skipped, never clamped.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Iterator

from .errors import InvalidRecurrence

FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY = range(7)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_INT_PARTS = {
    # name: (attribute, low, high, allow_negative)
    "BYSECOND": ("bysecond", 0, 60, False),
    "BYMINUTE": ("byminute", 0, 59, False),
    "BYHOUR": ("byhour", 0, 23, False),
    "BYMONTHDAY": ("bymonthday", 1, 31, True),
    "BYYEARDAY": ("byyearday", 1, 366, True),
    "BYWEEKNO": ("byweekno", 1, 53, True),
    "BYMONTH": ("bymonth", 1, 12, False),
    "BYSETPOS": ("bysetpos", 1, 366, True),
}


@dataclass(frozen=True, slots=True)
class RRule:
    """A parsed RRULE/EXRULE value.

    ``freq`` is an index into :data:`FREQS`; ``byday`` holds ``(ordinal, weekday)``
    pairs with ordinal 0 for "every" and weekday 0 = Monday; ``until`` is a ``date``, a
    naive ``datetime`` (floating / the series' zone) or an aware one (UTC), exactly as
    written. Use :meth:`parse` to build one from text and ``str()`` to print it.
    """

    freq: int
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    @property
    def freq_name(self) -> str:
        return FREQS[self.freq]

    @classmethod
    def parse(cls, text: str) -> "RRule":
        """Parse an RRULE value such as ``FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20250101T000000Z``.

        A leading ``RRULE:`` is accepted. Raises :class:`InvalidRecurrence` with codes
        ``missing_freq``, ``unknown_freq``, ``invalid_part`` (unknown or repeated part,
        bad number, value out of range), ``invalid_until`` or ``count_and_until``;
        ``field`` is ``RRULE`` and ``value`` the whole text.
        """
        raw = text.strip()
        body = raw[6:] if raw.upper().startswith("RRULE:") else raw
        kw: dict = {}
        seen: set[str] = set()

        def fail(code: str, message: str) -> InvalidRecurrence:
            return InvalidRecurrence(message, code=code, field="RRULE", value=raw)

        for part in filter(None, body.split(";")):
            name, sep, value = part.partition("=")
            name = name.strip().upper()
            value = value.strip()
            if not sep or not value:
                raise fail("invalid_part", f"rule part {part!r} has no value")
            if name in seen:
                raise fail("invalid_part", f"rule part {name} is repeated")
            seen.add(name)
            try:
                if name == "FREQ":
                    if value.upper() not in FREQS:
                        raise fail("unknown_freq", f"unknown FREQ {value!r}")
                    kw["freq"] = FREQS.index(value.upper())
                elif name == "INTERVAL":
                    kw["interval"] = int(value)
                    if kw["interval"] < 1:
                        raise fail("invalid_part", "INTERVAL must be a positive integer")
                elif name == "COUNT":
                    kw["count"] = int(value)
                    if kw["count"] < 1:
                        raise fail("invalid_part", "COUNT must be a positive integer")
                elif name == "UNTIL":
                    kw["until"] = parse_date_or_datetime(value)
                elif name == "WKST":
                    kw["wkst"] = WEEKDAYS.index(value.upper())
                elif name == "BYDAY":
                    kw["byday"] = tuple(_parse_weekday(v) for v in value.split(","))
                elif name in _INT_PARTS:
                    attr, low, high, negative = _INT_PARTS[name]
                    numbers = tuple(int(v) for v in value.split(","))
                    for n in numbers:
                        if not (low <= abs(n) <= high) or (n < 0 and not negative) or (n == 0 and low > 0):
                            raise fail("invalid_part", f"{name} value {n} is out of range")
                    kw[attr] = numbers
                elif name.startswith("X-"):
                    continue
                else:
                    raise fail("invalid_part", f"unknown rule part {name}")
            except InvalidRecurrence:
                raise
            except ValueError as exc:
                code = "invalid_until" if name == "UNTIL" else "invalid_part"
                raise fail(code, f"bad value for {name}: {value!r}") from exc
        if "freq" not in kw:
            raise fail("missing_freq", "the rule has no FREQ")
        if "count" in kw and "until" in kw:
            raise fail("count_and_until", "COUNT and UNTIL must not both be set")
        return cls(**kw)

    def __str__(self) -> str:
        parts = [f"FREQ={FREQS[self.freq]}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={format_date_or_datetime(self.until)}")
        for name, (attr, *_rest) in _INT_PARTS.items():
            if name == "BYSETPOS":
                continue
            values = getattr(self, attr)
            if values:
                parts.append(f"{name}={','.join(map(str, values))}")
        if self.byday:
            days = ",".join(f"{n if n else ''}{WEEKDAYS[wd]}" for n, wd in self.byday)
            parts.append(f"BYDAY={days}")
        if self.bysetpos:
            parts.append(f"BYSETPOS={','.join(map(str, self.bysetpos))}")
        if self.wkst:
            parts.append(f"WKST={WEEKDAYS[self.wkst]}")
        return ";".join(parts)


def _parse_weekday(text: str) -> tuple[int, int]:
    text = text.strip().upper()
    code = text[-2:]
    if code not in WEEKDAYS:
        raise ValueError(text)
    ordinal = int(text[:-2]) if text[:-2] not in ("", "+") else 0
    if abs(ordinal) > 53:
        raise ValueError(text)
    return ordinal, WEEKDAYS.index(code)


def parse_date_or_datetime(value: str) -> date | datetime:
    """``YYYYMMDD`` → date; ``YYYYMMDDTHHMMSS`` → naive datetime; with ``Z`` → UTC-aware.

    Raises ``ValueError`` on anything else (callers wrap it in a typed error).
    """
    from .model import UTC

    v = value.strip()
    if len(v) == 8 and v.isdigit():
        return date(int(v[:4]), int(v[4:6]), int(v[6:8]))
    utc = v.endswith("Z") or v.endswith("z")
    if utc:
        v = v[:-1]
    if len(v) != 15 or v[8] not in "Tt" or not (v[:8] + v[9:]).isdigit():
        raise ValueError(value)
    second = min(int(v[13:15]), 59)  # a leap second reads as :59
    dt = datetime(int(v[:4]), int(v[4:6]), int(v[6:8]), int(v[9:11]), int(v[11:13]), second)
    return dt.replace(tzinfo=UTC) if utc else dt


def format_date_or_datetime(value: date | datetime) -> str:
    """Inverse of :func:`parse_date_or_datetime` (aware values are printed in UTC)."""
    from .model import UTC

    if not isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    if value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%dT%H%M%S")


# ---------------------------------------------------------------------------------
# iteration


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _week1_start(year: int, wkst: int) -> int:
    """Ordinal of the first day of week 1 of ``year``: the WKST-aligned week holding Jan 4."""
    jan4 = date(year, 1, 4)
    return jan4.toordinal() - ((jan4.weekday() - wkst) % 7)


@lru_cache(maxsize=4096)
def _day_plan(freq, byday, bymonthday, bymonth, byyearday, byweekno, wkst):
    """``(day_ok, weekday_only)`` for a rule's day-level parts: a predicate over day
    ordinals (``None`` when every day passes) and, when BYDAY alone filters days, the
    set of weekdays. Pure in its arguments, so rules of one shape share it."""
    checks = []
    months = frozenset(bymonth)
    if months:
        checks.append(lambda d: d.month in months)
    if bymonthday:
        pos = frozenset(n for n in bymonthday if n > 0)
        neg = frozenset(n for n in bymonthday if n < 0)

        def monthday(d, pos=pos, neg=neg):
            if d.day in pos:
                return True
            return bool(neg) and (d.day - _days_in_month(d.year, d.month) - 1) in neg
        checks.append(monthday)
    if byyearday:
        ypos = frozenset(n for n in byyearday if n > 0)
        yneg = frozenset(n for n in byyearday if n < 0)

        def yearday(d, ypos=ypos, yneg=yneg):
            yd = d.timetuple().tm_yday
            if yd in ypos:
                return True
            ylen = 366 if _is_leap(d.year) else 365
            return bool(yneg) and (yd - ylen - 1) in yneg
        checks.append(yearday)
    if byday:
        plain = frozenset(wd for n, wd in byday if n == 0)
        ordinals = tuple((n, wd) for n, wd in byday if n != 0)
        # ordinals count within the month for MONTHLY (and YEARLY with BYMONTH),
        # within the year for YEARLY; they mean nothing in a week or a day.
        scope = None
        if ordinals and freq == MONTHLY:
            scope = "month"
        elif ordinals and freq == YEARLY and not byweekno:
            scope = "month" if bymonth else "year"
        if scope is None:
            plain = plain | frozenset(wd for _, wd in ordinals)
            ordinals = ()
        def weekday(d, plain=plain, ordinals=ordinals, scope=scope):
            wd = d.weekday()
            if wd in plain:
                return True
            if not ordinals:
                return False
            if scope == "month":
                index, length = d.day, _days_in_month(d.year, d.month)
            else:
                index, length = d.timetuple().tm_yday, (366 if _is_leap(d.year) else 365)
            first = (index - 1) // 7 + 1
            last = -((length - index) // 7 + 1)
            return (first, wd) in ordinals or (last, wd) in ordinals
        checks.append(weekday)
    if byweekno and freq != YEARLY:
        weeks = frozenset(byweekno)
    
        def weekno(d, weeks=weeks, wkst=wkst):
            return _weekno_matches(d, weeks, wkst)
        checks.append(weekno)
    weekday_only = None
    if checks and len(checks) == 1 and byday and not (bymonth or bymonthday or byyearday):
        if not any(n for n, _ in byday) or freq in (WEEKLY, DAILY):
            weekday_only = frozenset(wd for _, wd in byday)
    if not checks:
        return None, weekday_only
    if len(checks) == 1:
        only = checks[0]
        return (lambda o: only(date.fromordinal(o))), weekday_only
    return (lambda o: all(c(d) for d in (date.fromordinal(o),) for c in checks)), weekday_only


@lru_cache(maxsize=8192)
def _month_ordinals(y: int, m: int, monthdays: tuple, byday: tuple) -> tuple[int, ...]:
    """Day ordinals of month ``y-m`` chosen by BYMONTHDAY and/or BYDAY (n-th weekday of
    the month; both given: the days in both), ascending. Cached: rules of one shape ask
    for the same months."""
    first = date(y, m, 1)
    dim = _days_in_month(y, m)
    days = set()
    for n in monthdays:
        d = n if n > 0 else dim + n + 1
        if 1 <= d <= dim:
            days.add(d)
    if byday:
        wd1 = first.weekday()
        chosen = set()
        for n, wd in byday:
            all_ = range(1 + (wd - wd1) % 7, dim + 1, 7)
            if n == 0:
                chosen.update(all_)
            elif -len(all_) <= n <= len(all_):
                chosen.add(all_[n - 1] if n > 0 else all_[n])
        days = (days & chosen) if monthdays else chosen
    o1 = first.toordinal() - 1
    return tuple(o1 + d for d in sorted(days))


@lru_cache(maxsize=1024)
def _time_plan(freq, hours, minutes, seconds):
    """(BYHOUR, BYMINUTE, BYSECOND sorted, seconds-of-day of each time) for DAILY and
    coarser rules; sub-daily rules step through time instead (no times)."""
    h, m, sec = tuple(sorted(set(hours))), tuple(sorted(set(minutes))), tuple(sorted(set(seconds)))
    if freq > DAILY:
        return h, m, sec, ()
    # (a leap second 60 is read as 59: BYSECOND=59,60 is one time, not two)
    return h, m, sec, tuple(sorted({a * 3600 + b * 60 + min(c, 59) for a in h for b in m for c in sec}))


@lru_cache(maxsize=1024)
def _deltas(times) -> tuple:
    return tuple(timedelta(seconds=x) for x in times)


@lru_cache(maxsize=1024)
def _week_deltas(weekdays, wkst, times) -> tuple:
    offsets = sorted((wd - wkst) % 7 for wd in weekdays)
    return tuple(timedelta(days=o, seconds=x) for o in offsets for x in times)


class RuleIterator:
    """Expands one :class:`RRule` from a DTSTART, in wall time.

    ``dtstart`` is a naive datetime (wall time in the series' zone, or floating) or a
    date for an all-day series. ``until`` overrides the rule's UNTIL with a value already
    converted to that wall time (the series does the zone work); by default the rule's
    own UNTIL is used as written. :meth:`between` yields the occurrences ``t`` with
    ``lo <= t < hi`` and ``t > dtstart`` in order, without COUNT (the caller counts).

    Raises :class:`InvalidRecurrence` (``freq_needs_time``) for an HOURLY, MINUTELY or
    SECONDLY rule on a DATE series.
    """

    __slots__ = (
        "rule", "dtstart", "is_date", "until", "freq", "interval", "p0", "times",
        "day_ok", "setpos", "byhour", "byminute", "bysecond", "_month_days",
        "_weekday_only", "_yearly_plan", "_time_deltas", "_week_deltas", "lister",
    )

    def __init__(self, rule: RRule, dtstart: date | datetime, until: date | datetime | None = ...) -> None:
        self.rule = rule
        self.dtstart = dtstart
        self.is_date = not isinstance(dtstart, datetime)
        self.freq = rule.freq
        self.interval = rule.interval
        if self.is_date and rule.freq > DAILY:
            raise InvalidRecurrence(
                f"FREQ={rule.freq_name} needs a DATE-TIME DTSTART",
                code="freq_needs_time", field="RRULE", value=str(rule),
            )
        if until is ...:
            until = rule.until
            if until is not None and isinstance(until, datetime) and until.tzinfo is not None:
                until = until.replace(tzinfo=None)  # UTC read as wall time; series converts properly
        if until is not None:
            if self.is_date and isinstance(until, datetime):
                until = until.date()
            elif not self.is_date and not isinstance(until, datetime):
                until = datetime.combine(until, datetime.max.time())  # a DATE UNTIL covers its day
        self.until = until
        self._plan()
        start_day = dtstart.toordinal()
        self.p0 = self._period_of_day(start_day) if rule.freq <= DAILY else self._subdaily_index(dtstart)

    # -- set-up ----------------------------------------------------------------------

    def _plan(self) -> None:
        r, s = self.rule, self.dtstart
        byday = r.byday
        bymonthday = r.bymonthday
        bymonth = r.bymonth
        freq = r.freq
        if freq == YEARLY:
            if not (r.byweekno or r.byyearday or r.bymonthday or r.byday):
                bymonth = bymonth or (s.month,)
                bymonthday = (s.day,)
            elif bymonthday and not (bymonth or r.byweekno or r.byyearday):
                bymonth = (s.month,)  # SPEC §1, case 20
            elif r.byweekno and not (byday or bymonthday or r.byyearday):
                byday = ((0, s.weekday()),)
        elif freq == MONTHLY:
            if not (bymonthday or byday or r.byyearday):
                bymonthday = (s.day,)
        elif freq == WEEKLY:
            if not byday:
                byday = ((0, s.weekday()),)
        # time of day
        if self.is_date:
            self.times = (0,)
            self.byhour = self.byminute = self.bysecond = ()
        else:
            hours = r.byhour or ((s.hour,) if freq <= DAILY else ())
            minutes = r.byminute or ((s.minute,) if freq <= HOURLY else ())
            seconds = r.bysecond or ((s.second,) if freq <= MINUTELY else ())
            self.byhour, self.byminute, self.bysecond, self.times = _time_plan(freq, hours, minutes, seconds)
        self.setpos = r.bysetpos
        # the day-level parts are shared by every rule of the same shape (cached)
        self.day_ok, self._weekday_only = _day_plan(freq, byday, bymonthday, bymonth, r.byyearday, r.byweekno, r.wkst)
        self._yearly_plan = (byday, bymonthday, bymonth) if freq == YEARLY else None
        self._time_deltas = _deltas(self.times)
        self._month_days = None
        if freq == MONTHLY and not (r.byyearday or r.byweekno):
            self._month_days = (tuple(bymonthday), tuple(byday), frozenset(bymonth))
        self._week_deltas = None
        if freq == WEEKLY and self._weekday_only is not None:
            self._week_deltas = _week_deltas(self._weekday_only, r.wkst, self.times)
        #: ``lister(self, lo, hi)``: this shape's list builder (the ``_list_*`` functions
        #: below: a plain function, not a bound method, so no reference cycle), or None
        self.lister = None
        if not self.setpos:
            if freq == DAILY:
                self.lister = RuleIterator._list_days
            elif self._week_deltas is not None:
                self.lister = RuleIterator._list_weeks
            elif self._month_days is not None:
                self.lister = RuleIterator._list_months

    # -- periods ---------------------------------------------------------------------

    def _period_of_day(self, ordinal: int) -> int:
        f = self.freq
        if f == DAILY:
            return ordinal
        if f == WEEKLY:  # ordinal 1 (0001-01-01) is a Monday
            return (ordinal - 1 - self.rule.wkst) // 7
        d = date.fromordinal(ordinal)
        if f == MONTHLY:
            return d.year * 12 + d.month - 1
        return d.year

    def _subdaily_index(self, t: datetime) -> int:
        base = t.toordinal() * 24 + t.hour
        if self.freq == HOURLY:
            return base
        base = base * 60 + t.minute
        if self.freq == MINUTELY:
            return base
        return base * 60 + t.second

    def _period_days(self, p: int) -> range | list[int]:
        """Ordinals of the candidate days of day-based period ``p``."""
        f = self.freq
        if f == DAILY:
            return range(p, p + 1)
        if f == WEEKLY:
            first = p * 7 + 1 + self.rule.wkst
            return range(first, first + 7)
        if f == MONTHLY:
            y, m = divmod(p, 12)
            first = date(y, m + 1, 1).toordinal()
            return range(first, first + _days_in_month(y, m + 1))
        if self.rule.byweekno:
            # the period is the calendar year p (INTERVAL and BYSETPOS count calendar
            # years); its first and last days can lie in weeks of the week-numbering
            # years p - 1 and p + 1 (RFC 5545 §3.3.10 BYWEEKNO)
            jan1, next_jan1 = date(p, 1, 1).toordinal(), date(p + 1, 1, 1).toordinal()
            days: set[int] = set()
            for y in (p - 1, p, p + 1):
                w1 = _week1_start(y, self.rule.wkst)
                nweeks = (_week1_start(y + 1, self.rule.wkst) - w1) // 7
                for n in self.rule.byweekno:
                    if 0 < n <= nweeks:
                        start = w1 + 7 * (n - 1)
                    elif n < 0 and -n <= nweeks:
                        start = w1 + 7 * (nweeks + n)
                    else:
                        continue
                    days.update(range(max(start, jan1), min(start + 7, next_jan1)))
            return sorted(days)
        months = self._yearly_plan[2]
        if months:  # BYMONTH limits every YEARLY candidate: only visit those months
            days = []
            for m in sorted(set(months)):
                first = date(p, m, 1).toordinal()
                days.extend(range(first, first + _days_in_month(p, m)))
            return days
        first = date(p, 1, 1).toordinal()
        return range(first, date(p + 1, 1, 1).toordinal())

    def _candidates(self, p: int) -> list:
        """Sorted occurrences of day-based period ``p`` (before COUNT/UNTIL/DTSTART)."""
        if self._week_deltas is not None:  # WEEKLY on weekdays only: pure arithmetic
            base = datetime.fromordinal(p * 7 + 1 + self.rule.wkst)
            if self.is_date:
                base = base.date()
            out = [base + d for d in self._week_deltas]
        elif self._month_days is not None:  # MONTHLY by month day / (n-th) weekday: arithmetic
            y, m = divmod(p, 12)
            monthdays, byday, months = self._month_days
            if months and m + 1 not in months:
                return []
            out = self._at_times(_month_ordinals(y, m + 1, monthdays, byday))
        else:
            day_ok = self.day_ok
            if day_ok is None:
                days = self._period_days(p)
            else:
                days = [o for o in self._period_days(p) if day_ok(o)]
            out = self._at_times(days)
        if self.setpos:
            out = _select_setpos(out, self.setpos)
        return out

    # -- iteration -------------------------------------------------------------------

    def between(self, lo: date | datetime | None, hi: date | datetime) -> Iterator[date | datetime]:
        """Occurrences ``t`` with ``lo <= t < hi`` (``lo=None``: from DTSTART) and
        ``t > dtstart``, ascending, stopping at UNTIL (inclusive). Bounds are wall times of
        the same kind as DTSTART. COUNT is not applied here."""
        start = self.dtstart
        if lo is None or lo < start:
            lo = start
        if self.until is not None and self.until < hi:
            stop, inclusive = self.until, True
        else:
            stop, inclusive = hi, False
        if self.lister is not None and stop.toordinal() - lo.toordinal() < _LIST_DAYS:
            return self._slice(self.lister(self, lo, stop), lo, stop, inclusive)
        if self.freq == DAILY and not self.setpos:
            return self._walk_daily(lo, stop, inclusive)
        if self.freq <= DAILY:
            return self._between_days(lo, stop, inclusive)
        return self._between_subdaily(lo, stop, inclusive)

    def _slice(self, out: list, lo, stop, inclusive: bool) -> list:
        """The part of the sorted ``out`` that :meth:`between` yields: after DTSTART, from
        ``lo`` (already at or after DTSTART), up to ``stop`` (included for UNTIL)."""
        i = bisect_right(out, lo) if lo == self.dtstart else bisect_left(out, lo)
        j = bisect_right(out, stop) if inclusive else bisect_left(out, stop)
        return out[i:j]

    # The list builders, one per common shape (:attr:`lister`): every candidate of the
    # periods from the one holding ``lo`` (or DTSTART's, whichever is later) to the one
    # holding ``hi``, ascending, by arithmetic; not filtered by DTSTART, UNTIL or the
    # bounds themselves. Meant for short ranges (the callers keep them under _LIST_DAYS).

    def _list_days(self, lo, hi) -> list:
        """DAILY: every INTERVAL-th day from DTSTART's, filtered by its BYxxx days."""
        days = range(self._first_day(lo), hi.toordinal() + 1, self.interval)
        weekdays = self._weekday_only
        if weekdays is not None:
            days = [x for x in days if (x - 1) % 7 in weekdays]  # ordinal 1 is a Monday
        elif self.day_ok is not None:
            day_ok = self.day_ok
            days = [x for x in days if day_ok(x)]
        return self._at_times(days)

    def _list_weeks(self, lo, hi) -> list:
        """WEEKLY on weekdays only: every week's days by arithmetic."""
        interval, p0 = self.interval, self.p0
        base = 1 + self.rule.wkst  # weeks start on WKST; ordinal 1 is a Monday
        p = (lo.toordinal() - base) // 7
        p = p0 if p <= p0 else p0 + ((p - p0) // interval) * interval
        make = date.fromordinal if self.is_date else datetime.fromordinal
        return [make(q * 7 + base) + d for q in range(p, (hi.toordinal() - base) // 7 + 1, interval)
                for d in self._week_deltas]

    def _list_months(self, lo, hi) -> list:
        """MONTHLY by month day / n-th weekday: each month's days from the cached table."""
        interval, p0 = self.interval, self.p0
        p = lo.year * 12 + lo.month - 1
        p = p0 if p <= p0 else p0 + ((p - p0) // interval) * interval
        monthdays, byday, months = self._month_days
        ordinals = []
        for q in range(p, hi.year * 12 + hi.month, interval):
            y, m = divmod(q, 12)
            if not months or m + 1 in months:
                ordinals.extend(_month_ordinals(y, m + 1, monthdays, byday))
        return self._at_times(ordinals)

    def _at_times(self, days) -> list:
        """Day ordinals (ascending) → the rule's occurrences on them: dates, or each
        day's wall times in order."""
        if self.is_date:
            return list(map(date.fromordinal, days))
        deltas = self._time_deltas
        if len(deltas) == 1:
            d0 = deltas[0]
            return [datetime.fromordinal(x) + d0 for x in days]
        return [b + d for b in map(datetime.fromordinal, days) for d in deltas]

    def _between_days(self, lo, stop, inclusive):
        dtstart = self.dtstart
        interval = self.interval
        p0 = self.p0
        p = self._period_of_day(lo.toordinal())
        if p <= p0:
            p = p0
        else:
            p = p0 + ((p - p0) // interval) * interval
        stop_day = stop.toordinal()
        last_p = self._period_of_day(stop_day)
        # the Gregorian calendar repeats every 400 years: a rule with no candidate in
        # 400 years' worth of its periods (times INTERVAL) has none at all (Feb 30)
        give_up = _CYCLE_PERIODS[self.freq] * interval
        last_hit = p
        while p <= last_p:
            candidates = self._candidates(p)
            if candidates:
                last_hit = p
            elif p - last_hit > give_up:
                return
            for t in candidates:
                if t <= dtstart or t < lo:
                    continue
                if t > stop or (t == stop and not inclusive):
                    return
                yield t
            p += interval

    def _first_day(self, lo) -> int:
        """DAILY: the ordinal of the first day at or after ``lo``'s (and DTSTART's) that
        is an INTERVAL-th day from DTSTART's."""
        interval, p0 = self.interval, self.p0
        o = max(lo.toordinal(), p0)
        return p0 + -(-(o - p0) // interval) * interval

    def _walk_daily(self, lo, stop, inclusive):
        dtstart = self.dtstart
        interval = self.interval
        weekdays = self._weekday_only
        day_ok = self.day_ok if weekdays is None else None
        deltas = self._time_deltas
        make = date.fromordinal if self.is_date else datetime.fromordinal
        give_up = _CYCLE_PERIODS[DAILY] * interval  # no matching day in 400 years: none ever
        first = last_hit = self._first_day(lo)
        for o in range(first, stop.toordinal() + 1, interval):
            if weekdays is not None:
                if (o - 1) % 7 not in weekdays:  # ordinal 1 is a Monday
                    continue
            elif day_ok is not None and not day_ok(o):
                if o - last_hit > give_up:
                    return
                continue
            last_hit = o
            base = make(o)
            for t in ((base,) if self.is_date else (base + d for d in deltas)):
                if t <= dtstart or t < lo:
                    continue
                if t > stop or (t == stop and not inclusive):
                    return
                yield t

    def _between_subdaily(self, lo: datetime, stop: datetime, inclusive: bool):
        dtstart = self.dtstart
        freq, interval, p0 = self.freq, self.interval, self.p0
        unit = (0, 0, 0, 0, 3600, 60, 1)[freq]
        per_day = 86400 // unit
        day = lo.toordinal()
        last_day = stop.toordinal()
        day_ok = self.day_ok
        hours = frozenset(self.byhour) if self.byhour else None
        minutes = self.byminute
        seconds = self.bysecond
        minute_set = frozenset(minutes) if minutes else None
        second_set = frozenset(seconds) if seconds else None
        last_hit = day
        while day <= last_day:
            if day_ok is not None and day - last_hit > _CYCLE_PERIODS[DAILY]:
                return  # no matching day in 400 years: none ever
            if day_ok is None or day_ok(day):
                last_hit = day
                d = date.fromordinal(day)
                base = datetime(d.year, d.month, d.day)
                first_index = day * per_day
                offset = (p0 - first_index) % interval
                out = []
                for i in range(offset, per_day, interval):
                    secs = i * unit
                    h, rem = divmod(secs, 3600)
                    if hours is not None and h not in hours:
                        continue
                    if freq == HOURLY:
                        group = [h * 3600 + m * 60 + min(s, 59) for m in minutes for s in seconds]
                    elif freq == MINUTELY:
                        m = rem // 60
                        if minute_set is not None and m not in minute_set:
                            continue
                        group = [h * 3600 + m * 60 + min(s, 59) for s in seconds]
                    else:
                        m, s = divmod(rem, 60)
                        if (minute_set is not None and m not in minute_set) or (
                            second_set is not None and s not in second_set
                        ):
                            continue
                        group = [secs]
                    group.sort()
                    if self.setpos:
                        group = _select_setpos(group, self.setpos)
                    out.extend(group)
                for secs in out:
                    t = base + timedelta(seconds=secs)
                    if t <= dtstart or t < lo:
                        continue
                    if t > stop or (t == stop and not inclusive):
                        return
                    yield t
            day += 1

    def contains(self, t: date | datetime) -> bool:
        """True when ``t`` (wall time) is produced by the rule (ignoring COUNT)."""
        if t == self.dtstart:
            return True
        hi = t + (timedelta(days=1) if self.is_date else timedelta(seconds=1))
        for x in self.between(t, hi):
            return x == t
        return False

    def matches(self, t: date | datetime) -> bool:
        """True when ``t`` (wall time) fits the rule's pattern, DTSTART too only when it
        does (for :meth:`contains` DTSTART always counts); COUNT is not applied. An
        EXRULE excludes DTSTART only when it matches it."""
        if self.freq <= DAILY:
            p = self._period_of_day(t.toordinal())
            return (p - self.p0) % self.interval == 0 and t in self._candidates(p)
        step = timedelta(seconds=(0, 0, 0, 0, 3600, 60, 1)[self.freq] * self.interval)
        earlier = RuleIterator(self.rule, self.dtstart - step, self.until)  # same phase
        return any(x == t for x in earlier.between(t, t + timedelta(seconds=1)))


    def nth(self, n: int) -> date | datetime | None:
        """The ``n``-th occurrence after DTSTART (``n >= 1``, DTSTART itself not counted),
        found without walking from DTSTART; ``None`` when the rule's shape has no fixed
        number of occurrences per period (the caller then walks) or it lies past 9999.

        Shapes with a fixed number per period: DAILY without day filters, DAILY;INTERVAL=1
        on weekdays (per week), WEEKLY on weekdays, MONTHLY on days 1..28 (or -1..-28) or
        on first-to-fourth (or last-to-fourth-last) weekdays; never with BYSETPOS.
        UNTIL is not applied (a rule has COUNT or UNTIL, RFC 5545 §3.3.10).
        """
        if self.setpos or n < 1:
            return None
        try:
            if self.freq == DAILY and self._weekday_only is not None and self.interval == 1:
                make = date.fromordinal if self.is_date else datetime.fromordinal
                per = len(self._weekday_only) * len(self.times)
                head = list(self.between(None, make(self.p0 + 7)))
                if n <= len(head):
                    return head[n - 1]
                full, k = divmod(n - len(head) - 1, per)
                first = self.p0 + 7 * (full + 1)
                week = list(self.between(make(first), make(first + 7)))
                return week[k] if len(week) == per else None
            per = self._per_period()
            if per is None:
                return None
            head = [t for t in self._candidates(self.p0) if t > self.dtstart]
            if n <= len(head):
                return head[n - 1]
            full, k = divmod(n - len(head) - 1, per)
            found = self._candidates(self.p0 + (full + 1) * self.interval)
            return found[k] if len(found) == per else None
        except (ValueError, OverflowError):  # past year 9999
            return None

    def _per_period(self) -> int | None:
        """Occurrences in every period of the rule, when that number is fixed."""
        times = len(self.times)
        if self.freq == DAILY:
            return times if self.day_ok is None and self._weekday_only is None else None
        if self.freq == WEEKLY:
            return len(self._week_deltas) if self._week_deltas is not None else None
        if self.freq == MONTHLY and self._month_days is not None:
            monthdays, byday, months = self._month_days
            if months or (monthdays and byday):
                return None
            if monthdays and (all(1 <= d <= 28 for d in monthdays) or all(-28 <= d <= -1 for d in monthdays)):
                return len(set(monthdays)) * times
            if byday and (all(1 <= k <= 4 for k, _ in byday) or all(-4 <= k <= -1 for k, _ in byday)):
                return len(set(byday)) * times
        return None

#: day ranges up to this long are expanded into a list at once rather than lazily
_LIST_DAYS = 1000

#: periods of each FREQ in one 400-year Gregorian cycle (YEARLY, MONTHLY, WEEKLY, DAILY)
_CYCLE_PERIODS = (400, 4800, 20871, 146097)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _weekno_matches(d: date, weeks: frozenset, wkst: int) -> bool:
    o = d.toordinal()
    y = d.year
    w1 = _week1_start(y, wkst)
    if o < w1:
        y -= 1
        w1 = _week1_start(y, wkst)
    elif o >= _week1_start(y + 1, wkst):
        y += 1
        w1 = _week1_start(y, wkst)
    nweeks = (_week1_start(y + 1, wkst) - w1) // 7
    n = (o - w1) // 7 + 1
    return n in weeks or (n - nweeks - 1) in weeks


def _select_setpos(items: list, setpos: tuple[int, ...]) -> list:
    n = len(items)
    chosen = set()
    for pos in setpos:
        i = pos - 1 if pos > 0 else n + pos
        if 0 <= i < n:
            chosen.add(i)
    return [items[i] for i in sorted(chosen)]


__all__ = [
    "RRule", "RuleIterator", "FREQS", "WEEKDAYS", "parse_date_or_datetime",
    "format_date_or_datetime",
]
