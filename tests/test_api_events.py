"""HTTP: the event resource (POST/GET/PATCH/DELETE /v1/events, GET /v1/events, rooms).

Full JSON bodies are asserted; ids the server makes up (event, room) are taken from the
answer, everything else is spelled out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from .test_api_support import NOW_TEXT, api, conforms, error_of  # noqa: F401  (fixture)

UTC = timezone.utc


def berlin(utc_text: str) -> dict:
    return {"datetime": utc_text, "timezone": "Europe/Berlin"}


def expected_event(api, ev: dict, **fields) -> dict:
    """The event resource of alice's event ``ev`` as alice sees it, with ``fields``."""
    body = {
        "id": ev["id"],
        "created_by": api.profile("alice"),
        "created_at": NOW_TEXT,
        "updated_by": api.profile("alice"),
        "updated_at": NOW_TEXT,
        "title": "Standup",
        "description": "Daily sync",
        "room": {"id": ev["room"]["id"], "waiting_room": False},
        "invitees_truncated": False,
        "invitees": [],
        "is_adhoc": False,
        "invite_status": "accepted",
        "is_favorite": False,
        "can_edit": True,
        "is_time_independent": False,
        "type": "recurring",
        "is_all_day": False,
        "starts_at": berlin("2025-03-10T08:00:00Z"),
        "ends_at": berlin("2025-03-10T08:15:00Z"),
        "recurrence_pattern": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"],
    }
    body.update(fields)
    return body


# -- POST ---------------------------------------------------------------------------------------


def test_post_recurring_event_answers_201_with_the_full_resource(api):
    r = api.call("POST", "/v1/events", json={
        "title": "Standup", "description": "Daily sync", "is_time_independent": False, "is_all_day": False,
        "starts_at": berlin("2025-03-10T08:00:00Z"), "ends_at": berlin("2025-03-10T08:15:00Z"),
        "recurrence_pattern": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"],
    })
    assert r.status_code == 201
    ev = r.json()
    assert ev == expected_event(api, ev)
    assert list(ev) == list(expected_event(api, ev))  # field order of SPEC §2
    conforms("event", ev)
    assert r.headers["location"] == f"http://testserver/v1/events/{ev['id']}"
    assert r.headers["etag"] == '"0"'
    assert r.headers["content-type"] == "application/json"


def test_post_single_all_day_and_time_independent_events(api):
    single = api.single(password="s3cret", waiting_room=True, is_adhoc=True)
    exp = expected_event(
        api, single, title="Review", description="", type="single", is_adhoc=True,
        room={"id": single["room"]["id"], "password": "s3cret", "waiting_room": True},
        starts_at=berlin("2025-03-11T13:00:00Z"), ends_at=berlin("2025-03-11T14:00:00Z"),
    )
    del exp["recurrence_pattern"]  # omitted, never null, on single events
    assert single == exp

    day = api.create(
        title="Offsite", is_time_independent=False, is_all_day=True,
        starts_at={"datetime": "2025-04-01T00:00:00Z", "timezone": "Europe/Berlin"},
        ends_at={"datetime": "2025-04-01T00:00:00Z", "timezone": "Europe/Berlin"},
    )
    exp = expected_event(
        api, day, title="Offsite", description="", type="single", is_all_day=True,
        starts_at=berlin("2025-04-01T00:00:00Z"), ends_at=berlin("2025-04-02T00:00:00Z"),  # end == start: one day
    )
    del exp["recurrence_pattern"]
    assert day == exp

    ti = api.create(title="Someday", is_time_independent=True)
    exp = expected_event(api, ti, title="Someday", description="", type="single", is_time_independent=True)
    for k in ("is_all_day", "starts_at", "ends_at", "recurrence_pattern"):
        del exp[k]
    assert ti == exp
    assert list(ti)[-2:] == ["type", "is_time_independent"]
    for body in (single, day, ti):
        conforms("event", body)


def test_post_rule_violations_are_422_with_field_entries(api):
    cases = [
        ({"title": "x" * 256, "is_time_independent": True}, [("title", "invalid_length")]),
        ({"title": "t", "is_time_independent": False, "is_all_day": False,
          "starts_at": berlin("2025-03-10T09:00:00Z"), "ends_at": berlin("2025-03-10T08:00:00Z")},
         [("ends_at", "ends_before_start")]),
        ({"title": "t", "is_time_independent": False, "is_all_day": True,
          "starts_at": berlin("2025-03-10T09:00:00Z"), "ends_at": berlin("2025-03-11T09:00:00Z")},
         [("starts_at", "not_midnight"), ("ends_at", "not_midnight")]),
        ({"title": "t", "is_time_independent": False, "is_all_day": False,
          "starts_at": {"datetime": "2025-03-10T08:00:00Z", "timezone": "Mars/Olympus"},
          "ends_at": {"datetime": "2025-03-10T09:00:00Z", "timezone": "Mars/Olympus"}},
         [("timezone", "unknown_timezone")]),
    ]
    timed = {"title": "t", "is_time_independent": False, "is_all_day": False,
             "starts_at": berlin("2025-03-10T08:00:00Z"), "ends_at": berlin("2025-03-10T09:00:00Z")}
    patterns = [
        (["FREQ=MINUTELY"], "unsupported_frequency"),
        (["FREQ=DAILY"] * 5, "too_many_lines"),
        (["DTSTART:20250310T080000Z", "FREQ=DAILY"], "dtstart_not_allowed"),
        (["FREQ=SOMETIMES"], "invalid_recurrence_pattern"),
        (["FREQ=DAILY;UNTIL=20250401T000000"], "invalid_recurrence_pattern"),
        (["RRULE:FREQ=DAILY;COUNT=2;" + "X" * 1100], "invalid_recurrence_pattern"),
        ([""], "invalid_recurrence_pattern"),  # an empty line is not "no recurrence" ([] is)
        (["FREQ=DAILY", ""], "invalid_recurrence_pattern"),
    ]
    cases += [({**timed, "recurrence_pattern": p}, [("recurrence_pattern", code)]) for p, code in patterns]
    for body, entries in cases:
        r = api.call("POST", "/v1/events", json=body)
        err = error_of(r, 422, "validation_failed")
        assert [(e["field"], e["code"]) for e in err["validation_errors"]] == entries, body
        assert all(e["message"] for e in err["validation_errors"])
    assert api.call("GET", "/v1/events").json() == []


def test_missing_dates_of_a_timed_event_are_400_invalid_json_naming_the_fields(api):
    """SPEC §2: missing required fields are 400 invalid_json (they were 422 ``required``).
    A timed event needs is_all_day, starts_at and ends_at, on POST and when a PATCH makes
    a time-independent event timed."""
    dates = {"is_all_day": False, "starts_at": berlin("2025-03-10T08:00:00Z"), "ends_at": berlin("2025-03-10T09:00:00Z")}
    for body, missing in (
        ({"title": "t", "is_time_independent": False}, ["is_all_day", "starts_at", "ends_at"]),
        ({"title": "t"}, ["is_all_day", "starts_at", "ends_at"]),  # timed is the default
        ({"title": "t", "is_all_day": False, "starts_at": dates["starts_at"]}, ["ends_at"]),
        ({"title": "t", "starts_at": dates["starts_at"], "ends_at": dates["ends_at"]}, ["is_all_day"]),
        ({"title": "t", **dates, "starts_at": None}, ["starts_at"]),  # null on POST = not given
        ({"title": "x" * 300, "is_all_day": True}, ["starts_at", "ends_at"]),  # before any rule
    ):
        err = error_of(api.call("POST", "/v1/events", json=body), 400, "invalid_json")
        assert [part.split(":")[0] for part in err["message"].split("; ")] == missing, err
        assert f"{missing[0]}: {missing[0]} is required for an event with dates" in err["message"]
    assert api.call("GET", "/v1/events").json() == []

    ti = api.create(title="Someday", is_time_independent=True)
    url = f"/v1/events/{ti['id']}"
    err = error_of(api.call("PATCH", url, json={"is_time_independent": False}), 400, "invalid_json")
    assert err["message"] == ("starts_at: starts_at is required for an event with dates; "
                              "ends_at: ends_at is required for an event with dates")  # is_all_day: false
    err = error_of(api.call("PATCH", url, json={"is_time_independent": False, "is_all_day": False,
                                                "starts_at": dates["starts_at"]}), 400, "invalid_json")
    assert err["message"] == "ends_at: ends_at is required for an event with dates"
    assert api.call("GET", url).json() == ti
    r = api.call("PATCH", url, json={"is_time_independent": False, **dates})
    assert r.status_code == 200 and r.json()["starts_at"] == dates["starts_at"]


# -- GET one ------------------------------------------------------------------------------------


def test_get_event_with_etag_invitees_and_the_callers_view(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob", role="moderator")
    r = api.call("POST", f"/v1/events/{ev['id']}/invites", json={"email": "Guest@Example.net"})
    assert r.status_code == 201
    r = api.call("GET", f"/v1/events/{ev['id']}?invitees_max=5")
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'  # two invites: the attendee list changed twice
    bob_invitee = {"profile": {"kind": "registered", **api.profile("bob"), "role": "moderator"}, "status": "pending"}
    avatar = "https://seccdn.libravatar.org/avatar/" + hashlib.md5(b"guest@example.net").hexdigest()
    guest = {"profile": {"kind": "email", "email": "guest@example.net", "avatar_url": avatar}, "status": "pending"}
    body = r.json()
    assert body == expected_event(api, ev, invitees=[bob_invitee, guest])
    conforms("event", body)

    # invitees_max limits the list and says it was truncated
    body = api.call("GET", f"/v1/events/{ev['id']}?invitees_max=1").json()
    assert body["invitees"] == [bob_invitee] and body["invitees_truncated"] is True
    body = api.call("GET", f"/v1/events/{ev['id']}").json()
    assert body["invitees"] == [] and body["invitees_truncated"] is True

    # bob sees his own status, cannot edit
    body = api.call("GET", f"/v1/events/{ev['id']}", "bob").json()
    assert (body["invite_status"], body["can_edit"], body["is_favorite"]) == ("pending", False, False)


def test_get_unknown_invisible_and_malformed_ids_are_404(api):
    ev = api.weekly()
    for url in (
        "/v1/events/00000000-0000-4000-8000-000000000000",
        f"/v1/events/{ev['id']}x",
        "/v1/events/not-a-uuid",
        "/v1/events/%20",
    ):
        error_of(api.call("GET", url), 404, "not_found")
    error_of(api.call("GET", f"/v1/events/{ev['id']}", "carol"), 404, "not_found")


# -- PATCH --------------------------------------------------------------------------------------


def test_patch_title_only_keeps_dates_and_bumps_revision(api):
    ev = api.weekly()
    api.clock[0] = datetime(2025, 1, 16, 9, 30, tzinfo=UTC)
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"title": "Stand-up"}, headers={"If-Match": '"0"'})
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert r.json() == expected_event(api, ev, title="Stand-up", updated_at="2025-01-16T09:30:00Z")


def test_patch_empty_body_is_204_and_changes_nothing(api):
    ev = api.weekly()
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={})
    assert r.status_code == 204 and r.content == b""
    assert api.call("GET", f"/v1/events/{ev['id']}").json() == expected_event(api, ev)


def test_patch_starts_at_only_keeps_duration_and_password_null_removes_it(api):
    ev = api.weekly(password="pw")
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={
        "starts_at": berlin("2025-03-10T09:00:00Z"), "password": None,
    })
    assert r.status_code == 200
    assert r.json() == expected_event(
        api, ev, starts_at=berlin("2025-03-10T09:00:00Z"), ends_at=berlin("2025-03-10T09:15:00Z"),
    )
    assert "password" not in r.json()["room"]


def test_patch_null_is_a_wrong_type_except_for_password(api):
    """SPEC §2: absent = unchanged, and the one documented null is ``password: null``.
    ``{"title": null}`` used to clear title (and description) and bump the revision while
    ``null`` elsewhere was ignored; now every other null is 400 invalid_json naming the
    field, and nothing is written."""
    ev = api.weekly(password="pw")
    url = f"/v1/events/{ev['id']}"
    before = api.call("GET", url)
    fields = ("title", "description", "waiting_room", "is_time_independent", "is_all_day", "starts_at", "ends_at",
              "recurrence_pattern", "is_adhoc")
    for name in fields:
        err = error_of(api.call("PATCH", url, json={name: None}), 400, "invalid_json")
        assert err["message"].startswith(f"{name}: "), err
        # a null next to a valid change fails the whole PATCH too
        error_of(api.call("PATCH", url, json={"title": "Changed", name: None} if name != "title"
                          else {"description": "Changed", name: None}), 400, "invalid_json")
    after = api.call("GET", url)
    assert after.json() == before.json()
    assert after.headers["etag"] == '"0"'
    assert after.json()["room"]["password"] == "pw"
    r = api.call("PATCH", url, json={"password": None})
    assert r.status_code == 200 and "password" not in r.json()["room"]
    assert (r.json()["title"], r.json()["description"], r.headers["etag"]) == ("Standup", "Daily sync", '"1"')


def test_patch_recurrence_pattern_empty_makes_it_single_and_time_independent_clears_dates(api):
    ev = api.weekly()
    body = api.call("PATCH", f"/v1/events/{ev['id']}", json={"recurrence_pattern": []}).json()
    exp = expected_event(api, ev, type="single")
    del exp["recurrence_pattern"]
    assert body == exp
    body = api.call("PATCH", f"/v1/events/{ev['id']}", json={"is_time_independent": True}).json()
    for k in ("is_all_day", "starts_at", "ends_at"):
        del exp[k]
    exp.update(type="single", is_time_independent=True)
    assert body == exp


def test_patch_sends_back_the_custom_zone_name_it_was_shown(api):
    """GET shows an imported Outlook series in its custom VTIMEZONE as ``"timezone":
    "Company Local Time"``; PATCHing the event and an instance with that value is 200."""
    import uuid
    from pathlib import Path

    from opentalk_sched.ical.importer import read_calendar

    text = (Path(__file__).resolve().parent.parent / "examples" / "outlook.ics").read_text()
    api.service.import_series(uuid.UUID(api.ids["alice"]), read_calendar(text).items)
    [ev] = [e for e in api.call("GET", "/v1/events").json() if e.get("title") == "Partner sync (custom zone)"]
    zone = {"datetime": "2026-02-02T21:00:00Z", "timezone": "Company Local Time"}
    assert ev["starts_at"] == zone
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"starts_at": {**zone, "datetime": "2026-02-02T22:00:00Z"}})
    assert r.status_code == 200, r.text
    assert (r.json()["starts_at"], r.json()["ends_at"]) == (
        {**zone, "datetime": "2026-02-02T22:00:00Z"}, {**zone, "datetime": "2026-02-02T22:30:00Z"})
    r = api.call("PATCH", f"/v1/events/{ev['id']}/instances/20260209T220000Z",
                 json={"ends_at": {**zone, "datetime": "2026-02-09T23:00:00Z"}})
    assert r.status_code == 200, r.text
    assert r.json()["ends_at"] == {**zone, "datetime": "2026-02-09T23:00:00Z"}
    other = api.single()
    err = error_of(api.call("PATCH", f"/v1/events/{other['id']}", json={"starts_at": zone}), 422, "validation_failed")
    assert err["validation_errors"][0]["code"] == "unknown_timezone"


def test_patch_if_match_mismatch_is_412_and_writes_nothing(api):
    ev = api.weekly()
    for value in ('"7"', "garbage", 'W/"1"'):
        r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"title": "No"}, headers={"If-Match": value})
        error_of(r, 412, "precondition_failed")
    for n, value in enumerate(('W/"0"', "1", "*")):  # weak form, bare number, any revision
        r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"description": f"v{n}"}, headers={"If-Match": value})
        assert r.status_code == 200, (value, r.text)
        assert r.headers["etag"] == f'"{n + 1}"'
    assert api.call("GET", f"/v1/events/{ev['id']}").json()["title"] == "Standup"


def test_patch_by_invitee_is_403_by_stranger_404(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    error_of(api.call("PATCH", f"/v1/events/{ev['id']}", "bob", json={"title": "Mine"}), 403, "forbidden")
    error_of(api.call("PATCH", f"/v1/events/{ev['id']}", "carol", json={"title": "Mine"}), 404, "not_found")


def test_patch_rule_violation_is_422(api):
    ev = api.weekly()
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"recurrence_pattern": ["FREQ=SECONDLY"]})
    err = error_of(r, 422, "validation_failed")
    assert err["validation_errors"][0]["field"] == "recurrence_pattern"
    assert err["validation_errors"][0]["code"] == "unsupported_frequency"
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"recurrence_pattern": [""]})
    err = error_of(r, 422, "validation_failed")
    assert err["validation_errors"] == [{"field": "recurrence_pattern", "code": "invalid_recurrence_pattern",
                                         "message": "a recurrence line is empty (send [] for no recurrence)"}]
    assert api.call("GET", f"/v1/events/{ev['id']}").json()["type"] == "recurring"


# -- DELETE -------------------------------------------------------------------------------------


def test_delete_event_with_if_match(api):
    ev = api.weekly()
    error_of(api.call("DELETE", f"/v1/events/{ev['id']}", headers={"If-Match": '"3"'}), 412, "precondition_failed")
    r = api.call("DELETE", f"/v1/events/{ev['id']}", headers={"If-Match": '"0"'})
    assert r.status_code == 204 and r.content == b""
    error_of(api.call("GET", f"/v1/events/{ev['id']}"), 404, "not_found")
    error_of(api.call("DELETE", f"/v1/events/{ev['id']}"), 404, "not_found")


def test_delete_by_invitee_is_403(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    error_of(api.call("DELETE", f"/v1/events/{ev['id']}", "bob"), 403, "forbidden")
    assert api.call("GET", f"/v1/events/{ev['id']}").status_code == 200


# -- GET list -----------------------------------------------------------------------------------


def test_list_events_series_followed_by_exceptions_full_bodies(api):
    ev = api.weekly()
    api.clock[0] = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)
    moved = api.call("PATCH", f"/v1/events/{ev['id']}/instances/20250312T080000Z", json={
        "title": "Moved", "starts_at": berlin("2025-03-12T10:00:00Z"),
    })
    assert moved.status_code == 200
    api.call("PATCH", f"/v1/events/{ev['id']}/instances/20250317T080000Z", json={"status": "cancelled"})
    ti = api.create(title="Someday", is_time_independent=True)
    r = api.call("GET", "/v1/events")
    assert r.status_code == 200
    assert "link" not in r.headers
    items = r.json()
    conforms("events", items)
    assert [i["type"] for i in items] == ["single", "recurring", "exception", "exception"]
    assert items[0]["id"] == ti["id"]  # time-independent first
    assert items[1] == expected_event(api, ev, updated_at="2025-01-20T12:00:00Z")
    head = {
        "recurring_event_id": ev["id"], "created_by": api.profile("alice"), "created_at": "2025-01-20T12:00:00Z",
        "updated_by": api.profile("alice"), "updated_at": "2025-01-20T12:00:00Z",
    }
    assert items[2] == {
        "id": f"{ev['id']}_20250312T080000Z", **head, "instance_id": "20250312T080000Z",
        "title": "Moved", "starts_at": berlin("2025-03-12T10:00:00Z"), "ends_at": berlin("2025-03-12T10:15:00Z"),
        "original_starts_at": berlin("2025-03-12T08:00:00Z"), "type": "exception", "status": "ok", "can_edit": True,
    }
    assert items[3] == {
        "id": f"{ev['id']}_20250317T080000Z", **head, "instance_id": "20250317T080000Z",
        "original_starts_at": berlin("2025-03-17T08:00:00Z"), "type": "exception", "status": "cancelled",
        "can_edit": True,
    }
    assert list(items[3]) == ["id", "recurring_event_id", "instance_id", "created_by", "created_at", "updated_by",
                              "updated_at", "original_starts_at", "type", "status", "can_edit"]


def test_list_events_cursor_paging_counts_exceptions(api):
    ev = api.weekly()
    api.call("PATCH", f"/v1/events/{ev['id']}/instances/20250317T080000Z", json={"status": "cancelled"})
    later = api.single()
    seen, url, links = [], "/v1/events?per_page=1", 0
    while url:
        r = api.call("GET", url)
        assert r.status_code == 200
        page = r.json()
        assert len(page) == 1
        seen.append((page[0]["type"], page[0]["id"]))
        link = r.headers.get("link")
        if link is None:
            break
        links += 1
        assert link.startswith("<http://testserver/v1/events?per_page=1&after=") and link.endswith('>; rel="after"')
        url = link[len("<http://testserver"):link.index(">")]
    assert seen == [("recurring", ev["id"]), ("exception", f"{ev['id']}_20250317T080000Z"), ("single", later["id"])]
    assert links == 2  # no Link on the last page


def test_list_events_filters(api):
    weekly = api.weekly()
    single = api.single(is_adhoc=True)
    ti = api.create(title="Someday", is_time_independent=True)
    bobs = api.single("bob", title="Bob's")
    api.invite(weekly["id"], "bob")

    def ids(query: str, who: str = "alice") -> list[str]:
        r = api.call("GET", "/v1/events" + query, who)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()]

    assert ids("") == [ti["id"], weekly["id"], single["id"]]
    assert ids("?time_independent=true") == [ti["id"]]
    assert ids("?time_independent=false") == [weekly["id"], single["id"]]
    assert ids("?adhoc=true") == [single["id"]]
    assert ids("?time_min=2025-03-11T00:00:00Z&time_max=2025-03-11T12:00:00Z&time_independent=false") == [weekly["id"]]
    assert ids("", "bob") == [weekly["id"], bobs["id"]]
    assert ids("?invite_status=pending", "bob") == [weekly["id"]]
    assert ids("?invite_status=accepted", "bob") == [bobs["id"]]  # own events count as accepted
    assert ids("?invite_status=pending,accepted", "bob") == [weekly["id"], bobs["id"]]
    assert ids("?invite_status=pending&invite_status=accepted", "bob") == [weekly["id"], bobs["id"]]
    assert api.call("PUT", f"/v1/users/me/event_favorites/{weekly['id']}").status_code == 201
    assert ids("?favorites=true") == [weekly["id"]]
    assert ids("", "carol") == []


def test_list_events_bad_query_parameters_are_400(api):
    for query in (
        "per_page=0", "per_page=101", "per_page=x", "invitees_max=101", "invitees_max=-1", "after=%%%",
        "after=bm90LWpzb24", "time_min=yesterday", "time_min=2025-03-01", "time_min=2025-03-01T00:00:00",
        "time_max=2025-13-01T00:00:00Z", "favorites=maybe", "invite_status=bored", "time_min=0000-01-01T00:00:00Z",
    ):
        error_of(api.call("GET", f"/v1/events?{query}"), 400, "bad_request")


# -- rooms --------------------------------------------------------------------------------------


def test_room_event(api):
    ev = api.weekly(is_adhoc=True)
    api.invite(ev["id"], "bob")
    for who in ("alice", "bob"):
        r = api.call("GET", f"/v1/rooms/{ev['room']['id']}/event", who)
        assert r.status_code == 200
        assert r.json() == {"id": ev["id"], "title": "Standup", "is_adhoc": True}
    error_of(api.call("GET", f"/v1/rooms/{ev['room']['id']}/event", "carol"), 404, "not_found")
    error_of(api.call("GET", "/v1/rooms/nope/event"), 404, "not_found")
