"""HTTP: instances — the calendar view, one event's instances, one instance, PATCH of one."""

from __future__ import annotations

from datetime import datetime, timezone

from .test_api_support import NOW_TEXT, api, conforms, error_of  # noqa: F401  (fixture)

UTC = timezone.utc
MARCH = "time_min=2025-03-01T00:00:00Z&time_max=2025-04-01T00:00:00Z"


def berlin(utc_text: str) -> dict:
    return {"datetime": utc_text, "timezone": "Europe/Berlin"}


def expected_instance(api, ev: dict, instance_id: str, start: str, end: str, **fields) -> dict:
    body = {
        "id": f"{ev['id']}_{instance_id}",
        "recurring_event_id": ev["id"],
        "instance_id": instance_id,
        "created_by": api.profile("alice"),
        "created_at": NOW_TEXT,
        "updated_by": api.profile("alice"),
        "updated_at": NOW_TEXT,
        "title": "Standup",
        "description": "Daily sync",
        "room": {"id": ev["room"]["id"], "waiting_room": False},
        "invitees_truncated": False,
        "invitees": [],
        "is_all_day": False,
        "starts_at": berlin(start),
        "ends_at": berlin(end),
        "type": "instance",
        "status": "ok",
        "invite_status": "accepted",
        "is_favorite": False,
        "can_edit": True,
    }
    body.update(fields)
    return body


# -- one instance -------------------------------------------------------------------------------


def test_get_instance_full_body_and_dst(api):
    ev = api.weekly()
    r = api.call("GET", f"/v1/events/{ev['id']}/instances/20250310T080000Z")
    assert r.status_code == 200
    assert r.headers["etag"] == '"0"'
    body = r.json()
    assert body == expected_instance(api, ev, "20250310T080000Z", "2025-03-10T08:00:00Z", "2025-03-10T08:15:00Z")
    assert list(body) == list(expected_instance(api, ev, "x", "x", "x"))
    conforms("instance", body)
    # after the switch to summer time 09:00 Berlin is 07:00 UTC
    body = api.call("GET", f"/v1/events/{ev['id']}/instances/20250331T070000Z").json()
    assert body == expected_instance(api, ev, "20250331T070000Z", "2025-03-31T07:00:00Z", "2025-03-31T07:15:00Z")
    # the +hhmm form names the same instance
    body = api.call("GET", f"/v1/events/{ev['id']}/instances/20250310T090000+0100").json()
    assert body["instance_id"] == "20250310T080000Z"


def test_instance_ids_that_are_malformed_or_no_occurrence_are_404(api):
    ev = api.weekly()
    single = api.single()
    ti = api.create(title="Someday", is_time_independent=True)
    for url in (
        f"/v1/events/{ev['id']}/instances/20250311T080000Z",  # a Tuesday: not an occurrence
        f"/v1/events/{ev['id']}/instances/20250310T090000Z",  # right day, wrong time
        f"/v1/events/{ev['id']}/instances/20250310",
        f"/v1/events/{ev['id']}/instances/garbage",
        f"/v1/events/{ev['id']}/instances/20251310T080000Z",
        f"/v1/events/{ev['id']}/instances/20250310T080000+9900",
        f"/v1/events/{ev['id']}/instances/99991231T235959-2359",  # past datetime's end once in UTC
        f"/v1/events/{ev['id']}/instances/00010101T000000+2359",
        f"/v1/events/{ev['id']}/instances/99991231T235959Z",
        f"/v1/events/{ev['id']}/instances/99991231T235959",
        f"/v1/events/{single['id']}/instances/20250310T080000Z",
        f"/v1/events/{ti['id']}/instances/20250310T080000Z",
        "/v1/events/nope/instances/20250310T080000Z",
    ):
        error_of(api.call("GET", url), 404, "not_found")
        error_of(api.call("PATCH", url, json={"title": "x"}), 404, "not_found")


def test_patch_instance_moves_renames_cancels_and_204_for_empty(api):
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/instances/20250312T080000Z"
    api.clock[0] = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    r = api.call("PATCH", url, json={"title": "Moved", "starts_at": berlin("2025-03-12T10:00:00Z")},
                 headers={"If-Match": '"0"'})
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert r.json() == expected_instance(
        api, ev, "20250312T080000Z", "2025-03-12T10:00:00Z", "2025-03-12T10:15:00Z", title="Moved",
        updated_at="2025-02-01T08:00:00Z",
    )
    assert api.call("PATCH", url, json={}).status_code == 204
    error_of(api.call("PATCH", url, json={"title": "x"}, headers={"If-Match": '"0"'}), 412, "precondition_failed")

    r = api.call("PATCH", url, json={"status": "cancelled"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["title"]) == ("cancelled", "Moved")

    err = error_of(api.call("PATCH", url, json={"ends_at": berlin("2025-03-12T07:00:00Z")}), 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in err["validation_errors"]] == [("ends_at", "ends_before_start")]
    err = error_of(api.call("PATCH", url, json={"status": "postponed"}), 400, "invalid_json")


def test_patch_instance_null_is_a_wrong_type(api):
    """Instance PATCH has no documented null: each one is 400 invalid_json naming the
    field (``{"status": null}`` and ``{"title": null}`` used to be ignored / clear the
    title), and no exception is written."""
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/instances/20250312T080000Z"
    before = api.call("GET", url).json()
    for name in ("title", "description", "is_all_day", "starts_at", "ends_at", "status"):
        err = error_of(api.call("PATCH", url, json={name: None}), 400, "invalid_json")
        assert err["message"].startswith(f"{name}: "), err
        error_of(api.call("PATCH", url, json={"status": "cancelled", name: None} if name != "status"
                          else {"title": "x", name: None}), 400, "invalid_json")
    assert api.call("GET", url).json() == before
    assert api.call("GET", f"/v1/events/{ev['id']}").headers["etag"] == '"0"'
    assert [i["type"] for i in api.call("GET", "/v1/events").json()] == ["recurring"]  # no exception


def test_patch_all_day_instance_needs_midnight(api):
    ev = api.weekly()
    url = f"/v1/events/{ev['id']}/instances/20250312T080000Z"
    err = error_of(api.call("PATCH", url, json={
        "is_all_day": True, "starts_at": berlin("2025-03-12T08:00:00Z"), "ends_at": berlin("2025-03-13T08:00:00Z"),
    }), 422, "validation_failed")
    assert ("starts_at", "not_midnight") in [(e["field"], e["code"]) for e in err["validation_errors"]]
    r = api.call("PATCH", url, json={
        "is_all_day": True, "starts_at": berlin("2025-03-12T00:00:00Z"), "ends_at": berlin("2025-03-13T00:00:00Z"),
    })
    assert r.status_code == 200
    body = r.json()
    assert (body["is_all_day"], body["starts_at"], body["ends_at"]) == (
        True, berlin("2025-03-12T00:00:00Z"), berlin("2025-03-13T00:00:00Z"))


def test_patch_instance_permissions(api):
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    url = f"/v1/events/{ev['id']}/instances/20250312T080000Z"
    error_of(api.call("PATCH", url, "bob", json={"title": "x"}), 403, "forbidden")
    error_of(api.call("PATCH", url, "carol", json={"title": "x"}), 404, "not_found")
    assert api.call("GET", url, "bob").json()["invite_status"] == "pending"
    error_of(api.call("GET", url, "carol"), 404, "not_found")


# -- one event's instances ----------------------------------------------------------------------


def test_event_instances_window_and_cursor(api):
    ev = api.weekly()
    api.call("PATCH", f"/v1/events/{ev['id']}/instances/20250317T080000Z", json={"status": "cancelled"})
    r = api.call("GET", f"/v1/events/{ev['id']}/instances?time_min=2025-03-10T00:00:00Z&time_max=2025-03-20T00:00:00Z")
    assert r.status_code == 200
    assert "link" not in r.headers
    body = r.json()
    conforms("instances", body)
    assert body == [
        expected_instance(api, ev, "20250310T080000Z", "2025-03-10T08:00:00Z", "2025-03-10T08:15:00Z"),
        expected_instance(api, ev, "20250312T080000Z", "2025-03-12T08:00:00Z", "2025-03-12T08:15:00Z"),
        expected_instance(api, ev, "20250317T080000Z", "2025-03-17T08:00:00Z", "2025-03-17T08:15:00Z",
                          status="cancelled"),
        expected_instance(api, ev, "20250319T080000Z", "2025-03-19T08:00:00Z", "2025-03-19T08:15:00Z"),
    ]
    # open-ended, three per page: follow the Link header
    url, seen = f"/v1/events/{ev['id']}/instances?per_page=3", []
    for _ in range(3):
        r = api.call("GET", url)
        seen += [i["instance_id"] for i in r.json()]
        link = r.headers["link"]
        assert link.endswith('>; rel="after"') and "after=" in link
        url = link[len("<http://testserver"):link.index(">")]
    assert seen == ["20250310T080000Z", "20250312T080000Z", "20250317T080000Z", "20250319T080000Z",
                    "20250324T080000Z", "20250326T080000Z", "20250331T070000Z", "20250402T070000Z",
                    "20250407T070000Z"]
    error_of(api.call("GET", f"/v1/events/{ev['id']}/instances?after=garbage"), 400, "bad_request")
    other = api.single()
    cursor = url.split("after=")[1]
    error_of(api.call("GET", f"/v1/events/{other['id']}/instances?after={cursor}"), 400, "bad_request")


def test_event_instances_of_single_and_time_independent_events(api):
    single = api.single()
    body = api.call("GET", f"/v1/events/{single['id']}/instances").json()
    assert [(i["instance_id"], i["starts_at"]) for i in body] == [("20250311T130000Z", berlin("2025-03-11T13:00:00Z"))]
    ti = api.create(title="Someday", is_time_independent=True)
    assert api.call("GET", f"/v1/events/{ti['id']}/instances").json() == []


# -- calendar view ------------------------------------------------------------------------------


def test_calendar_view_orders_by_start_then_event_and_pages(api):
    ev = api.weekly()
    single = api.single()
    bobs = api.single("bob", title="Bob's", starts_at=berlin("2025-03-12T08:00:00Z"),
                      ends_at=berlin("2025-03-12T08:30:00Z"))
    api.call("POST", f"/v1/events/{bobs['id']}/invites", "bob", json={"invitee": api.ids["alice"]})
    r = api.call("GET", "/v1/events/instances?time_min=2025-03-10T00:00:00Z&time_max=2025-03-13T00:00:00Z")
    assert r.status_code == 200
    body = r.json()
    conforms("instances", body)
    same_start = sorted([ev["id"], bobs["id"]])
    assert [(i["recurring_event_id"], i["instance_id"]) for i in body] == [
        (ev["id"], "20250310T080000Z"),
        (single["id"], "20250311T130000Z"),
        (same_start[0], "20250312T080000Z"),
        (same_start[1], "20250312T080000Z"),
    ]
    bob_inst = next(i for i in body if i["recurring_event_id"] == bobs["id"])
    assert (bob_inst["invite_status"], bob_inst["can_edit"], bob_inst["created_by"]) == (
        "pending", False, api.profile("bob"))

    # two per page: Link only while more rows exist
    r1 = api.call("GET", f"/v1/events/instances?{MARCH}&per_page=2")
    link = r1.headers["link"]
    assert link.startswith("<http://testserver/v1/events/instances?time_min=") and link.endswith('>; rel="after"')
    everything = api.call("GET", f"/v1/events/instances?{MARCH}&per_page=100").json()
    assert "link" not in api.call("GET", f"/v1/events/instances?{MARCH}&per_page=100").headers
    collected, url = [], f"/v1/events/instances?{MARCH}&per_page=2"
    while url:
        r = api.call("GET", url)
        collected += r.json()
        link = r.headers.get("link")
        url = link[len("<http://testserver"):link.index(">")] if link else None
    assert [i["id"] for i in collected] == [i["id"] for i in everything]
    assert len(everything) == 9  # Mondays and Wednesdays from the 10th (7), the single, Bob's
    starts = [i["starts_at"]["datetime"] for i in everything]
    assert starts == sorted(starts)


def test_calendar_view_cancelled_and_declined_switches(api):
    ev = api.weekly()
    theirs = api.weekly("bob", title="Bob's weekly")
    api.call("POST", f"/v1/events/{theirs['id']}/invites", "bob", json={"invitee": api.ids["alice"]})
    api.call("PATCH", f"/v1/events/{ev['id']}/instances/20250312T080000Z", json={"status": "cancelled"})
    window = "time_min=2025-03-10T00:00:00Z&time_max=2025-03-13T00:00:00Z"

    def listed(extra: str = "") -> list[tuple[str, str, str]]:
        r = api.call("GET", f"/v1/events/instances?{window}{extra}")
        assert r.status_code == 200, r.text
        return [(i["title"], i["instance_id"], i["status"]) for i in r.json()]

    mine = [("Standup", "20250310T080000Z", "ok")]
    bobs = [("Bob's weekly", "20250310T080000Z", "ok"), ("Bob's weekly", "20250312T080000Z", "ok")]
    assert sorted(listed()) == sorted(mine + bobs)
    assert ("Standup", "20250312T080000Z", "cancelled") in listed("&include_cancelled=true")
    assert api.call("DELETE", f"/v1/events/{theirs['id']}/invite").status_code == 204
    assert listed() == mine
    assert sorted(listed("&include_declined=true")) == sorted(mine + bobs)
    assert sorted(listed("&include_declined=true&include_cancelled=true")) == sorted(
        mine + bobs + [("Standup", "20250312T080000Z", "cancelled")])


def test_calendar_view_window_rules(api):
    api.weekly()
    # 366 days is allowed, one second more is 422
    assert api.call("GET", "/v1/events/instances?time_min=2024-01-01T00:00:00Z&time_max=2025-01-01T00:00:00Z"
                    ).status_code == 200
    err = error_of(api.call("GET", "/v1/events/instances?time_min=2024-01-01T00:00:00Z&time_max=2025-01-01T00:00:01Z"),
                   422, "validation_failed")
    assert [(e["field"], e["code"]) for e in err["validation_errors"]] == [("time_max", "window_too_large")]
    err = error_of(api.call("GET", "/v1/events/instances?time_min=2025-03-02T00:00:00Z&time_max=2025-03-01T00:00:00Z"),
                   422, "validation_failed")
    assert err["validation_errors"][0]["code"] == "invalid_range"
    for query in (
        "", "time_min=2025-03-01T00:00:00Z", "time_max=2025-03-01T00:00:00Z",
        "time_min=2025-03-01&time_max=2025-03-02", f"{MARCH}&per_page=0", f"{MARCH}&per_page=1000",
        f"{MARCH}&include_cancelled=perhaps", f"{MARCH}&after=xyz", f"{MARCH}&invitees_max=500",
    ):
        error_of(api.call("GET", f"/v1/events/instances?{query}"), 400, "bad_request")


def test_calendar_view_offsets_in_bounds(api):
    api.weekly()
    # 09:00+01:00 is 08:00Z: the Monday instance starts exactly at time_min and is included
    r = api.call("GET", "/v1/events/instances?time_min=2025-03-10T09:00:00%2B01:00&time_max=2025-03-10T09:00:01%2B01:00")
    assert [i["instance_id"] for i in r.json()] == ["20250310T080000Z"]
