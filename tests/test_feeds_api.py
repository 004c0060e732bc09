"""HTTP: the calendar feeds (SPEC §3 Feeds): GET /v1/users/me/calendar.ics, GET
/v1/events/{id}/ics and the secret feed URL (create, rotate, revoke, GET
/v1/feeds/{token}.ics): content type, ETag and If-None-Match → 304, visibility (404),
the token lifecycle, and the content read by icalendar and expanded by
recurring-ical-events to the instances the engine lists in the calendar view."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import icalendar
import recurring_ical_events

from opentalk_sched.store.feed_tokens import digest, feed_tokens

from .test_api_support import api, error_of  # noqa: F401  (fixture)

UTC = timezone.utc
CALENDAR = "/v1/users/me/calendar.ics"
FEED = "/v1/users/me/calendar_feed"


def berlin(utc_text: str) -> dict:
    return {"datetime": utc_text, "timezone": "Europe/Berlin"}


def vevents(data: bytes) -> list:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def attendee_partstats(comp) -> dict[str, str]:
    found = comp.get("ATTENDEE")
    found = [] if found is None else (found if isinstance(found, list) else [found])
    return {str(a)[7:]: str(a.params["PARTSTAT"]) for a in found}


def is_calendar(r) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "private, no-cache"
    assert r.headers["etag"] == '"' + hashlib.sha256(r.content).hexdigest()[:32] + '"'
    assert r.content.startswith(b"BEGIN:VCALENDAR\r\n") and r.content.endswith(b"END:VCALENDAR\r\n")


def test_my_calendar_200_then_304_and_a_new_etag_after_each_change(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    r = api.call("GET", CALENDAR, "bob")
    is_calendar(r)
    (master,) = vevents(r.content)
    assert str(master["UID"]) == ev["id"] and str(master["SUMMARY"]) == "Standup"
    assert attendee_partstats(master) == {"bob@example.org": "NEEDS-ACTION"}
    assert str(master["ORGANIZER"]) == "mailto:alice@example.org"
    tag = r.headers["etag"]
    again = api.call("GET", CALENDAR, "bob", headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    for header in (f"W/{tag}", f'"nope", {tag}', "*"):
        assert api.call("GET", CALENDAR, "bob", headers={"If-None-Match": header}).status_code == 304
    assert api.call("GET", CALENDAR, "bob", headers={"If-None-Match": '"nope"'}).status_code == 200
    # an answer changes neither revision nor updated_at, but the feed (PARTSTAT)
    assert api.call("DELETE", f"/v1/events/{ev['id']}/invite", "bob").status_code == 204
    declined = api.call("GET", CALENDAR, "bob", headers={"If-None-Match": tag})
    is_calendar(declined)
    assert declined.headers["etag"] != tag
    assert attendee_partstats(vevents(declined.content)[0]) == {"bob@example.org": "DECLINED"}
    # an edit of the series
    tag = declined.headers["etag"]
    api.clock[0] += timedelta(hours=1)
    assert api.call("PATCH", f"/v1/events/{ev['id']}", json={"title": "Daily"}).status_code == 200
    edited = api.call("GET", CALENDAR, "bob", headers={"If-None-Match": tag})
    is_calendar(edited)
    assert str(vevents(edited.content)[0]["SUMMARY"]) == "Daily"
    assert str(vevents(edited.content)[0]["DTSTAMP"].to_ical().decode()) == "20250115T110000Z"  # the last change


def test_my_calendar_scope_created_and_invited_with_any_answer(api):
    mine = api.weekly()
    theirs = api.single("bob", title="Bob's review")
    declined = api.single("bob", title="Bob's declined")
    stranger = api.single("carol", title="Carol's own")
    for ev in (theirs, declined):
        r = api.call("POST", f"/v1/events/{ev['id']}/invites", "bob", json={"invitee": api.ids["alice"]})
        assert r.status_code == 201
    assert api.call("DELETE", f"/v1/events/{declined['id']}/invite", "alice").status_code == 204
    someday = api.create(title="Someday", is_time_independent=True)
    r = api.call("GET", CALENDAR)
    is_calendar(r)
    found = {str(c["UID"]): c for c in vevents(r.content)}
    assert set(found) == {mine["id"], theirs["id"], declined["id"]}  # time-independent: no dates to write
    assert someday["id"] not in found and stranger["id"] not in found
    assert attendee_partstats(found[declined["id"]]) == {"alice@example.org": "DECLINED"}
    assert attendee_partstats(found[theirs["id"]]) == {"alice@example.org": "NEEDS-ACTION"}
    assert str(icalendar.Calendar.from_ical(r.content)["X-WR-CALNAME"]) == "Alice Anders"
    assert [str(c["TZID"]) for c in icalendar.Calendar.from_ical(r.content).walk("VTIMEZONE")] == ["Europe/Berlin"]
    error_of(api.call("GET", CALENDAR, None), 401, "unauthorized")


def _calendar_view(api, who: str, lo: str, hi: str) -> list[tuple[datetime, datetime]]:
    out, url = [], f"/v1/events/instances?time_min={lo}&time_max={hi}&per_page=100"
    while url:
        r = api.call("GET", url, who)
        assert r.status_code == 200, r.text
        for i in r.json():
            out.append((datetime.fromisoformat(i["starts_at"]["datetime"].replace("Z", "+00:00")),
                        datetime.fromisoformat(i["ends_at"]["datetime"].replace("Z", "+00:00"))))
        link = r.headers.get("link")
        url = link[1:link.index(">")].replace("http://testserver", "") if link else None
    return sorted(out)


def _third_party(data: bytes, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    for occ in recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(lo, hi):
        s, e = occ["DTSTART"].dt, occ["DTEND"].dt
        if not isinstance(s, datetime):  # all-day: midnight UTC of the date (SPEC §2 wire form)
            s, e = (datetime(d.year, d.month, d.day, tzinfo=UTC) for d in (s, e))
        out.append((s.astimezone(UTC), e.astimezone(UTC)))
    return sorted(out)


def test_feed_content_expands_to_the_engines_instances(api):
    """icalendar reads the feed and recurring-ical-events expands it to exactly the
    instances of the calendar view (moved, cancelled, DST change, all-day, single)."""
    weekly = api.weekly()
    api.call("PATCH", f"/v1/events/{weekly['id']}/instances/20250312T080000Z", json={"status": "cancelled"})
    api.call("PATCH", f"/v1/events/{weekly['id']}/instances/20250317T080000Z",
             json={"title": "Moved", "starts_at": berlin("2025-03-18T12:00:00Z"), "ends_at": berlin("2025-03-18T13:00:00Z")})
    api.create(title="Monthly", is_time_independent=False, is_all_day=True,
               starts_at={"datetime": "2025-03-03T00:00:00Z", "timezone": "Europe/Berlin"},
               ends_at={"datetime": "2025-03-04T00:00:00Z", "timezone": "Europe/Berlin"},
               recurrence_pattern=["RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=6"])
    api.create(title="NY call", is_time_independent=False, is_all_day=False,
               starts_at={"datetime": "2025-03-05T14:00:00Z", "timezone": "America/New_York"},
               ends_at={"datetime": "2025-03-05T15:00:00Z", "timezone": "America/New_York"},
               recurrence_pattern=["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=20", "EXDATE:20250309T140000Z"])
    api.single()
    r = api.call("GET", CALENDAR)
    is_calendar(r)
    lo, hi = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC)
    mine = _calendar_view(api, "alice", "2025-03-01T00:00:00Z", "2025-05-01T00:00:00Z")
    theirs = _third_party(r.content, lo, hi)
    assert len(mine) > 30
    assert theirs == mine
    # the cancelled instance is in the file (EXDATE + STATUS:CANCELLED) and still not shown
    assert datetime(2025, 3, 12, 8, tzinfo=UTC) not in [s for s, _ in theirs]
    statuses = [str(c.get("STATUS")) for c in vevents(r.content) if c.get("RECURRENCE-ID") is not None]
    assert sorted(statuses) == ["CANCELLED", "None"]


def test_event_ics_follows_the_visibility_of_the_event(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    url = f"/v1/events/{ev['id']}/ics"
    r = api.call("GET", url)
    is_calendar(r)
    assert [str(c["UID"]) for c in vevents(r.content)] == [ev["id"]]
    assert str(icalendar.Calendar.from_ical(r.content)["X-WR-CALNAME"]) == "Standup"
    bobs = api.call("GET", url, "bob")
    is_calendar(bobs)
    assert bobs.content == r.content and bobs.headers["etag"] == r.headers["etag"]
    assert api.call("GET", url, "bob", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    error_of(api.call("GET", url, "carol"), 404, "not_found")
    error_of(api.call("GET", "/v1/events/not-a-uuid/ics"), 404, "not_found")
    error_of(api.call("GET", "/v1/events/00000000-0000-0000-0000-000000000000/ics"), 404, "not_found")
    error_of(api.call("GET", url, None), 401, "unauthorized")
    # a deleted event is gone from its feed and from the calendar
    assert api.call("DELETE", f"/v1/events/{ev['id']}").status_code == 204
    error_of(api.call("GET", url), 404, "not_found")
    # a time-independent event has no dates: an empty calendar
    someday = api.create(title="Someday", is_time_independent=True)
    empty = api.call("GET", f"/v1/events/{someday['id']}/ics")
    is_calendar(empty)
    assert vevents(empty.content) == []


def test_secret_feed_url_lifecycle(api):
    error_of(api.call("GET", FEED), 404, "not_found")
    error_of(api.call("DELETE", FEED), 404, "not_found")
    ev = api.weekly()
    r = api.call("POST", FEED)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"url", "token", "created_at"} and body["created_at"] == "2025-01-15T10:00:00Z"
    assert r.headers["cache-control"] == "no-store"
    token = body["token"]
    assert len(token) >= 43 and body["url"] == f"http://testserver/v1/feeds/{token}.ics"
    assert api.call("GET", FEED).json() == {"created_at": "2025-01-15T10:00:00Z"}
    # the store keeps only the SHA-256 digest
    stored = feed_tokens(api.store).feed_token_of(api.store.find_user_by_email("alice@example.org").id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() == digest(token)
    assert token not in repr(api.store.db.execute("SELECT * FROM feed_tokens").fetchall())
    # no Bearer needed; the same file as the Bearer feed
    feed = api.client.get(f"/v1/feeds/{token}.ics")
    is_calendar(feed)
    mine = api.call("GET", CALENDAR)
    assert feed.content == mine.content and feed.headers["etag"] == mine.headers["etag"]
    assert [str(c["UID"]) for c in vevents(feed.content)] == [ev["id"]]
    assert api.client.get(f"/v1/feeds/{token}.ics", headers={"If-None-Match": feed.headers["etag"]}).status_code == 304
    # rotate: the old URL stops working at once
    api.clock[0] += timedelta(days=1)
    rotated = api.call("POST", FEED).json()
    assert rotated["token"] != token and rotated["created_at"] == "2025-01-16T10:00:00Z"
    error_of(api.client.get(f"/v1/feeds/{token}.ics"), 404, "not_found")
    is_calendar(api.client.get(f"/v1/feeds/{rotated['token']}.ics"))
    # each user has their own
    bobs = api.call("POST", FEED, "bob").json()
    assert vevents(api.client.get(f"/v1/feeds/{bobs['token']}.ics").content) == []
    # revoke
    assert api.call("DELETE", FEED).status_code == 204
    error_of(api.client.get(f"/v1/feeds/{rotated['token']}.ics"), 404, "not_found")
    error_of(api.call("GET", FEED), 404, "not_found")
    error_of(api.call("DELETE", FEED), 404, "not_found")
    is_calendar(api.client.get(f"/v1/feeds/{bobs['token']}.ics"))  # bob's is untouched
    for junk in ("x", "a" * 500, "%00", token.upper()):
        error_of(api.client.get(f"/v1/feeds/{junk}.ics"), 404, "not_found")
    error_of(api.call("POST", FEED, None), 401, "unauthorized")


def test_an_unchanged_feed_answers_304_without_writing_the_file(api, monkeypatch):
    from opentalk_sched.api import feeds as feeds_api

    ev = api.weekly()
    api.invite(ev["id"], "bob")
    first = api.call("GET", CALENDAR)
    is_calendar(first)
    written = []
    real = feeds_api.export_calendar
    monkeypatch.setattr(feeds_api, "export_calendar", lambda *a, **kw: written.append(1) or real(*a, **kw))
    tag = first.headers["etag"]
    r = api.call("GET", CALENDAR, headers={"If-None-Match": tag})
    assert (r.status_code, r.headers["etag"], written) == (304, tag, [])
    # without If-None-Match the file is written (and is the same)
    again = api.call("GET", CALENDAR)
    assert (again.content, again.headers["etag"], written) == (first.content, tag, [1])
    # a change that touches no event (an invitee's name) is a new version: written again
    bob = api.store.find_user_by_email("bob@example.org")
    api.service.update_user(bob.id, display_name="Robert")
    renamed = api.call("GET", CALENDAR, headers={"If-None-Match": tag})
    is_calendar(renamed)
    assert renamed.headers["etag"] != tag and b"CN=Robert" in renamed.content and written == [1, 1]
