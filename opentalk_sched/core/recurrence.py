"""The recurrence set of a series: RRULE, RDATE, EXRULE and EXDATE lines (RFC 5545 §3.8.5).

A :class:`RecurrenceSet` is plain data parsed from content lines, the same lines the
events API calls ``recurrence_pattern`` and an .ics file carries:

    >>> rs = RecurrenceSet.from_lines([
    ...     "RRULE:FREQ=WEEKLY;BYDAY=MO",
    ...     "EXDATE;TZID=Europe/Berlin:20250310T090000",
    ... ])
    >>> [str(r) for r in rs.rrules], len(rs.exdates)
    (['FREQ=WEEKLY;BYDAY=MO'], 1)
    >>> rs.to_lines()
    ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXDATE;TZID=Europe/Berlin:20250310T090000']

Values keep the form they were written in: a ``date`` (VALUE=DATE), a naive
``datetime`` (floating, read in the series' zone) or an aware one (UTC or a TZID). The
expansion in :mod:`opentalk_sched.core.series` decides how each form matches.
Any number of lines is accepted here; the service limits what API clients may send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Iterable, Mapping

from .errors import InvalidRecurrence, SchedError
from .model import UTC, zone_key
from .rrule import RRule, format_date_or_datetime, parse_date_or_datetime
from .zones import resolve_zone

Value = date | datetime

_DURATION = re.compile(
    r"^(?P<sign>[+-])?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An RFC 5545 §3.3.6 DURATION (``PT1H``, ``P1D``, ``-P1W``) → ``timedelta``.

    Raises ``ValueError`` for anything else.
    """
    m = _DURATION.match(text.strip().upper())
    if not m or text.strip().upper() in ("P", "PT", "-P", "+P") or text.strip().upper().endswith("T"):
        raise ValueError(text)
    parts = {k: int(v) for k, v in m.groupdict().items() if v and k != "sign"}
    td = timedelta(
        weeks=parts.get("weeks", 0), days=parts.get("days", 0), hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0),
    )
    return -td if m.group("sign") == "-" else td


def format_duration(td: timedelta) -> str:
    """Inverse of :func:`parse_duration` (days and seconds; weeks when exact)."""
    sign = "-" if td < timedelta(0) else ""
    td = abs(td)
    days, secs = td.days, td.seconds
    if secs == 0 and days and days % 7 == 0:
        return f"{sign}P{days // 7}W"
    out = f"{sign}P{days}D" if days else f"{sign}P"
    if secs or not days:
        h, rem = divmod(secs, 3600)
        m, s = divmod(rem, 60)
        out += "T" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")
    return out


@dataclass(frozen=True, slots=True)
class RDate:
    """One RDATE value; ``end`` is set for VALUE=PERIOD (RFC 5545 §3.3.9)."""

    start: Value
    end: Value | None = None


@dataclass(frozen=True, slots=True)
class RecurrenceSet:
    """RRULEs, RDATEs, EXRULEs and EXDATEs of one series, as written.

    ``rrules``/``exrules`` are :class:`~opentalk_sched.core.rrule.RRule` values;
    ``rdates`` are :class:`RDate`; ``exdates`` are dates or datetimes (naive = the series'
    zone or floating, aware = that instant).
    """

    rrules: tuple[RRule, ...] = ()
    rdates: tuple[RDate, ...] = ()
    exrules: tuple[RRule, ...] = ()
    exdates: tuple[Value, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.rrules or self.rdates)

    @property
    def is_finite(self) -> bool:
        return all(r.count is not None or r.until is not None for r in self.rrules)

    @classmethod
    def from_lines(cls, lines: Iterable[str], zones: Mapping[str, tzinfo] | None = None) -> "RecurrenceSet":
        """Parse content lines; a line without a name is an RRULE.

        ``zones`` maps TZIDs of custom VTIMEZONEs to their ``tzinfo``; other TZIDs are
        resolved with :func:`~opentalk_sched.core.zones.resolve_zone`. Raises
        :class:`InvalidRecurrence` (``field`` = the property name) for unknown property
        names (``unknown_property``), DTSTART/DTEND lines (``dtstart_not_allowed``),
        unreadable values (``invalid_value``) and every error of :meth:`RRule.parse`.
        """
        rrules: list[RRule] = []
        exrules: list[RRule] = []
        rdates: list[RDate] = []
        exdates: list[Value] = []
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            name, params, value = split_content_line(line)
            if name in ("RRULE", "EXRULE"):
                rule = RRule.parse(value)
                (rrules if name == "RRULE" else exrules).append(rule)
                if name == "EXRULE" and rule is not None:
                    continue
            elif name in ("RDATE", "EXDATE"):
                values = _parse_values(name, params, value, zones or {}, line)
                if name == "RDATE":
                    rdates.extend(values)
                else:
                    exdates.extend(v.start for v in values)
            elif name in ("DTSTART", "DTEND", "DURATION"):
                raise InvalidRecurrence(
                    f"{name} is not allowed in a recurrence pattern", code="dtstart_not_allowed",
                    field=name, value=line,
                )
            else:
                raise InvalidRecurrence(
                    f"{name} is not a recurrence property", code="unknown_property", field=name, value=line
                )
        return cls(tuple(rrules), tuple(rdates), tuple(exrules), tuple(exdates))

    def to_lines(self) -> list[str]:
        """Content lines that :meth:`from_lines` reads back to an equal set."""
        out = [f"RRULE:{r}" for r in self.rrules]
        out += _format_values("RDATE", self.rdates)
        out += [f"EXRULE:{r}" for r in self.exrules]
        out += _format_values("EXDATE", [RDate(v) for v in self.exdates])
        return out


def split_content_line(line: str) -> tuple[str, dict[str, str], str]:
    """``NAME;P=V;Q="x:y":VALUE`` → (``NAME``, ``{"P": "V", "Q": "x:y"}``, ``VALUE``).

    A line with no ``:`` before the first ``=`` is a bare RRULE value.
    """
    in_quote = False
    colon = -1
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == ":" and not in_quote:
            colon = i
            break
    head = line[:colon] if colon >= 0 else ""
    if colon < 0 or "=" in head.split(";", 1)[0]:
        return "RRULE", {}, line
    value = line[colon + 1:]
    name, *param_parts = head.split(";")
    params = {}
    for p in param_parts:
        k, _, v = p.partition("=")
        params[k.strip().upper()] = v.strip().strip('"')
    return name.strip().upper(), params, value.strip()


def _parse_values(name, params, value, zones, line) -> list[RDate]:
    kind = params.get("VALUE", "").upper()
    tz = None
    if "TZID" in params:
        tzid = params["TZID"]
        tz = zones.get(tzid)
        if tz is None:
            try:
                tz = resolve_zone(tzid)
            except SchedError as exc:
                raise InvalidRecurrence(
                    f"unknown TZID {tzid!r} in {name}", code="unknown_timezone", field=name, value=line
                ) from exc
    out = []
    for item in filter(None, (v.strip() for v in value.split(","))):
        try:
            if kind == "PERIOD" or "/" in item:
                a, _, b = item.partition("/")
                start = _attach(parse_date_or_datetime(a), tz)
                if b.upper().startswith(("P", "+P", "-P")):
                    end = start + parse_duration(b)
                else:
                    end = _attach(parse_date_or_datetime(b), tz)
                if not isinstance(start, datetime) or not isinstance(end, datetime):
                    raise ValueError(item)
                if (end.tzinfo is None) != (start.tzinfo is None) or end <= start:
                    raise InvalidRecurrence(  # RFC 5545 §3.3.9: the end follows the start
                        f"{name} period {item!r} does not end after it starts",
                        code="invalid_period", field=name, value=line,
                    )
                out.append(RDate(start, end))
                continue
            parsed = parse_date_or_datetime(item)
            if kind == "DATE" and isinstance(parsed, datetime):
                raise ValueError(item)
            if kind == "DATE-TIME" and not isinstance(parsed, datetime):
                raise ValueError(item)
            out.append(RDate(_attach(parsed, tz)))
        except ValueError as exc:
            raise InvalidRecurrence(
                f"cannot read {name} value {item!r}", code="invalid_value", field=name, value=line
            ) from exc
    return out


def _attach(v: Value, tz: tzinfo | None) -> Value:
    if tz is not None and isinstance(v, datetime) and v.tzinfo is None:
        return v.replace(tzinfo=tz)
    return v


def _format_values(name: str, values: Iterable[RDate]) -> list[str]:
    groups: dict[tuple[str, str | None], list[str]] = {}
    for v in values:
        s = v.start
        if v.end is not None:
            key = ("PERIOD", _tzid(s))
            text = f"{_fmt(s)}/{_fmt(v.end)}"
        elif isinstance(s, datetime):
            key = ("DATE-TIME", _tzid(s))
            text = _fmt(s)
        else:
            key = ("DATE", None)
            text = format_date_or_datetime(s)
        groups.setdefault(key, []).append(text)
    lines = []
    for (kind, tzid), texts in groups.items():
        params = ""
        if kind != "DATE-TIME":
            params += f";VALUE={kind}"
        if tzid:
            params += f";TZID={tzid}"
        lines.append(f"{name}{params}:{','.join(texts)}")
    return lines


def _tzid(v: Value) -> str | None:
    if isinstance(v, datetime) and v.tzinfo is not None:
        key = zone_key(v.tzinfo)
        return None if key == "UTC" else key
    return None


def _fmt(v: Value) -> str:
    if isinstance(v, datetime) and v.tzinfo is not None:
        if zone_key(v.tzinfo) == "UTC":
            return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return v.replace(tzinfo=None).strftime("%Y%m%dT%H%M%S")
    return format_date_or_datetime(v)
