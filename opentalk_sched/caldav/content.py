"""What counts as "the same calendar resource" for the push.

Two questions, two answers:

* :func:`content_hash` — did *our* export change since the last push? A SHA-256 of the
  exported bytes with the DTSTAMP lines left out (DTSTAMP is the time of export, RFC
  5545 §3.8.7.2, so it changes on every run without the event changing). Cheap, exact,
  and only ever compared with hashes of our own exports.
* :func:`same_content` — does the *server's* copy say what ours says? Servers re-order
  properties, re-fold lines and re-encode parameters, so bytes cannot be compared. Both
  sides are parsed (icalendar) and compared component by component, property by
  property, ignoring DTSTAMP, LAST-MODIFIED and PRODID, which servers and clients
  rewrite freely. Used to adopt a resource that is already on the server (a crash
  between a PUT and the state commit, or a UID pushed by an earlier install).

    >>> a = b"BEGIN:VCALENDAR\\r\\nPRODID:a\\r\\nBEGIN:VEVENT\\r\\nUID:1\\r\\nDTSTAMP:20250101T000000Z\\r\\nSUMMARY:x\\r\\nEND:VEVENT\\r\\nEND:VCALENDAR\\r\\n"
    >>> b = a.replace(b"PRODID:a", b"PRODID:b").replace(b"20250101", b"20260101")
    >>> same_content(a, b), content_hash(a) == content_hash(b.replace(b"PRODID:b", b"PRODID:a"))
    (True, True)
"""

from __future__ import annotations

import hashlib
import re

import icalendar

#: properties a server or client may rewrite without changing what the event says
IGNORED_PROPERTIES = frozenset({"DTSTAMP", "LAST-MODIFIED", "PRODID"})

_FOLD = re.compile(rb"\r?\n[ \t]")
_DTSTAMP = re.compile(rb"^DTSTAMP[;:]", re.IGNORECASE)


def content_hash(data: bytes) -> str:
    """SHA-256 (hex) of iCalendar bytes, unfolded, without DTSTAMP lines (RFC 5545 §3.1)."""
    unfolded = _FOLD.sub(b"", data)
    digest = hashlib.sha256()
    for line in unfolded.splitlines():
        if line and not _DTSTAMP.match(line):
            digest.update(line.rstrip(b"\r"))
            digest.update(b"\n")
    return digest.hexdigest()


def same_content(ours: bytes | str, theirs: bytes | str) -> bool:
    """Whether two iCalendar texts carry the same components and properties.

    Order of properties and components, line folding and parameter order do not
    matter; DTSTAMP, LAST-MODIFIED and PRODID are ignored. Text that does not parse
    is never the same as anything.
    """
    try:
        a = icalendar.Calendar.from_ical(ours)
        b = icalendar.Calendar.from_ical(theirs)
    except Exception:  # icalendar raises ValueError and friends on broken input
        return False
    return _canonical(a) == _canonical(b)


def readable_lines(data: bytes | str) -> list[str]:
    """The content as sorted ``NAME;PARAMS:VALUE`` lines per component, for diffs that
    show what differs rather than how each side orders it (ignored properties left
    out). Falls back to the raw lines when the text does not parse."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        return text.replace("\r\n", "\n").splitlines()
    out: list[str] = []

    def walk(comp, depth: int) -> None:
        out.append("  " * depth + f"BEGIN:{comp.name}")
        lines = []
        for name, value in comp.property_items(recursive=False, sorted=False):
            if name in ("BEGIN", "END") or name in IGNORED_PROPERTIES:
                continue
            params = "".join(f";{k}={v}" for k, v in _params(value))
            lines.append("  " * (depth + 1) + f"{name}{params}:{_text(value)}")
        out.extend(sorted(lines))
        for sub in sorted(comp.subcomponents, key=_canonical):
            walk(sub, depth + 1)
        out.append("  " * depth + f"END:{comp.name}")

    walk(cal, 0)
    return out


def _canonical(comp) -> tuple:
    props = []
    for name, value in comp.property_items(recursive=False, sorted=False):
        if name in ("BEGIN", "END") or name in IGNORED_PROPERTIES:
            continue
        props.append((name, _params(value), _text(value)))
    subs = sorted(_canonical(sub) for sub in comp.subcomponents)
    return (comp.name, tuple(sorted(props)), tuple(subs))


def _params(value) -> tuple:
    params = getattr(value, "params", None) or {}
    return tuple(sorted((str(k).upper(), str(v)) for k, v in params.items()))


def _text(value) -> str:
    try:
        raw = value.to_ical()
    except Exception:
        return str(value)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
