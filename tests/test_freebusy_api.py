"""The scheduling routes (opentalk_sched.api.scheduling) on a SQLite store: free/busy JSON
and VFREEBUSY, find_slots, working hours, and the error mapping (404 / 422 / 400)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient

from opentalk_sched.api.errors import ApiError, install_error_handlers
from opentalk_sched.api.scheduling import build_router
from opentalk_sched.core import Event, InviteRole, InviteStatus, Timing
from opentalk_sched.store import SqliteStore, User, UserInvite

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def world():
    store = SqliteStore(":memory:")
    alice = User(uuid.uuid4(), "alice@example.com", timezone="Europe/Berlin")
    bob = User(uuid.uuid4(), "bob@example.com", timezone="Europe/London")
    for u in (alice, bob):
        store.save_user(u)
    board = Event.new("Board meeting", Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10, 30), BERLIN),
                      created_by=alice.id)
    review = Event.new("Review", Timing(datetime(2025, 3, 10, 15), datetime(2025, 3, 10, 16), BERLIN),
                       created_by=alice.id)
    store.save_event(board)
    store.save_event(review)
    store.save_user_invite(UserInvite(review.id, bob.id, InviteRole.USER, InviteStatus.PENDING))

    def store_of():
        return store

    def caller(x_user: str | None = Header(default=None)) -> uuid.UUID:
        if not x_user:
            raise ApiError(401, "unauthorized", "no token", headers={"WWW-Authenticate": "Bearer"})
        return uuid.UUID(x_user)

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(store_of, caller))
    client = TestClient(app)
    yield client, alice, bob, board
    store.close()


def as_(user: User) -> dict:
    return {"X-User": str(user.id)}


WINDOW = {"time_min": "2025-03-10T00:00:00Z", "time_max": "2025-03-11T00:00:00Z"}


def test_freebusy_json_shows_times_only(world):
    client, alice, bob, board = world
    r = client.get(f"/v1/users/{alice.id}/freebusy", params=WINDOW, headers=as_(bob))
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "user_id": str(alice.id), "time_min": "2025-03-10T00:00:00Z", "time_max": "2025-03-11T00:00:00Z",
        "busy": [
            {"starts_at": "2025-03-10T08:00:00Z", "ends_at": "2025-03-10T09:30:00Z", "type": "busy"},
            {"starts_at": "2025-03-10T14:00:00Z", "ends_at": "2025-03-10T15:00:00Z", "type": "busy"},
        ],
    }
    assert "Board" not in r.text and str(board.id) not in r.text
    r = client.get("/v1/users/me/freebusy", params=WINDOW, headers=as_(bob))
    assert r.json()["busy"] == [
        {"starts_at": "2025-03-10T14:00:00Z", "ends_at": "2025-03-10T15:00:00Z", "type": "busy_tentative"},
    ]


def test_freebusy_as_vfreebusy(world):
    client, alice, bob, _ = world
    r = client.get(f"/v1/users/{alice.id}/freebusy", params=WINDOW, headers={**as_(bob), "Accept": "text/calendar"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "FREEBUSY;FBTYPE=BUSY:20250310T080000Z/20250310T093000Z" in r.text
    assert "ORGANIZER:mailto:alice@example.com" in r.text and "Board" not in r.text


def test_freebusy_errors(world):
    client, alice, bob, _ = world
    r = client.get(f"/v1/users/{uuid.uuid4()}/freebusy", params=WINDOW, headers=as_(bob))
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.get("/v1/users/not-a-uuid/freebusy", params=WINDOW, headers=as_(bob))
    assert r.status_code == 404
    r = client.get(f"/v1/users/{alice.id}/freebusy",
                   params={"time_min": "2025-01-01T00:00:00Z", "time_max": "2026-01-03T00:00:00Z"}, headers=as_(bob))
    assert r.status_code == 422
    assert r.json()["validation_errors"] == [
        {"field": "time_max", "code": "window_too_long", "message": r.json()["validation_errors"][0]["message"]},
    ]
    r = client.get(f"/v1/users/{alice.id}/freebusy", params={"time_min": "yesterday", "time_max": "2025-03-11T00:00:00Z"},
                   headers=as_(bob))
    assert (r.status_code, r.json()["code"]) == (400, "bad_request")
    r = client.get(f"/v1/users/{alice.id}/freebusy", headers=as_(bob))
    assert r.status_code == 400
    r = client.get(f"/v1/users/{alice.id}/freebusy", params=WINDOW)
    assert r.status_code == 401


def test_find_slots(world):
    client, alice, bob, _ = world
    body = {"attendees": [str(bob.id)], "duration_minutes": 60, "step_minutes": 60, "order": "start", **WINDOW}
    r = client.post("/v1/scheduling/find_slots", json=body, headers=as_(alice))
    assert r.status_code == 200
    # alice (caller, Berlin 08-16 UTC) busy 08:00-09:30 and 14-15; bob (London 09-17 UTC) tentatively 14-15
    assert [(s["starts_at"][11:16], s["ends_at"][11:16]) for s in r.json()["slots"]] == [
        ("10:00", "11:00"), ("11:00", "12:00"), ("12:00", "13:00"), ("13:00", "14:00"), ("15:00", "16:00"),
    ]
    body = {"attendees": [str(alice.id)], "optional_attendees": [str(bob.id)], "include_caller": False,
            "duration_minutes": 60, "step_minutes": 60, "limit": 2, **WINDOW}
    r = client.post("/v1/scheduling/find_slots", json=body, headers=as_(alice))
    assert r.json()["slots"] == [
        {"starts_at": "2025-03-10T10:00:00Z", "ends_at": "2025-03-10T11:00:00Z", "optional_attendees_free": [str(bob.id)]},
        {"starts_at": "2025-03-10T11:00:00Z", "ends_at": "2025-03-10T12:00:00Z", "optional_attendees_free": [str(bob.id)]},
    ]


@pytest.mark.parametrize("change, status, field, code", [
    ({"duration_minutes": 0}, 422, "duration_minutes", "not_positive"),
    ({"duration_minutes": 60 * 25}, 422, "duration_minutes", "longer_than_window"),
    ({"duration_minutes": 10 ** 15}, 422, "duration_minutes", "longer_than_window"),
    ({"step_minutes": -5}, 422, "step_minutes", "not_positive"),
    ({"time_max": "2026-06-01T00:00:00Z"}, 422, "time_max", "window_too_long"),
    ({"time_max": "2025-03-09T00:00:00Z"}, 422, "time_max", "ends_before_start"),
    ({"limit": 0}, 422, "limit", "out_of_range"),
    ({"include_caller": False}, 422, "attendees", "no_required_attendee"),
])
def test_find_slots_validation(world, change, status, field, code):
    client, alice, bob, _ = world
    body = {"duration_minutes": 30, **WINDOW, **change}
    r = client.post("/v1/scheduling/find_slots", json=body, headers=as_(alice))
    assert r.status_code == status, r.text
    assert r.json()["code"] == "validation_failed"
    assert [(e["field"], e["code"]) for e in r.json()["validation_errors"]] == [(field, code)]


def test_find_slots_unknown_attendee_and_bad_json(world):
    client, alice, _, _ = world
    r = client.post("/v1/scheduling/find_slots", json={"attendees": [str(uuid.uuid4())], "duration_minutes": 30, **WINDOW},
                    headers=as_(alice))
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.post("/v1/scheduling/find_slots", json={"duration_minutes": "long", **WINDOW}, headers=as_(alice))
    assert (r.status_code, r.json()["code"]) == (400, "invalid_json")
    r = client.post("/v1/scheduling/find_slots", json={"duration_minutes": 30, "time_min": "2025-03-10", "time_max": "x"},
                    headers=as_(alice))
    assert r.status_code == 400


def test_working_hours_routes(world):
    client, alice, bob, _ = world
    r = client.get("/v1/users/me/working_hours", headers=as_(alice))
    assert r.json() == {"days": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                        "timezone": "Europe/Berlin", "timezone_setting": None, "is_default": True}
    r = client.put("/v1/users/me/working_hours", json={"days": {"mon": [["07:00", "11:00"]]}, "timezone": "UTC"},
                   headers=as_(bob))
    assert r.status_code == 200
    assert r.json() == {"days": {"mon": [["07:00", "11:00"]]}, "timezone": "UTC", "timezone_setting": "UTC",
                        "is_default": False}
    # bob now works 07-11 UTC on Mondays: only 10:00 is common with alice (free from 09:30)
    body = {"attendees": [str(bob.id)], "duration_minutes": 60, "step_minutes": 30, **WINDOW}
    r = client.post("/v1/scheduling/find_slots", json=body, headers=as_(alice))
    assert [s["starts_at"][11:16] for s in r.json()["slots"]] == ["09:30", "10:00"]
    r = client.put("/v1/users/me/working_hours", json={"days": {"mon": [["17:00", "09:00"]]}}, headers=as_(bob))
    assert r.status_code == 422 and r.json()["validation_errors"][0]["field"] == "days"
    r = client.put("/v1/users/me/working_hours", json={"days": {"funday": [["09:00", "10:00"]]}}, headers=as_(bob))
    assert r.status_code == 422
    r = client.put("/v1/users/me/working_hours", json={"days": {}, "timezone": "Mars/Olympus"}, headers=as_(bob))
    assert r.status_code == 422 and r.json()["validation_errors"][0]["field"] == "timezone"
    assert client.delete("/v1/users/me/working_hours", headers=as_(bob)).status_code == 204
    assert client.get("/v1/users/me/working_hours", headers=as_(bob)).json()["is_default"] is True


# -- through the real app (create_app, bearer tokens, events made over HTTP) ----------------


def test_scheduling_routes_in_the_app_follow_events_invites_and_cancellations():
    from opentalk_sched.api import create_app
    from opentalk_sched.api.auth import StaticTokenVerifier
    from opentalk_sched.store import open_store

    store = open_store(":memory:")
    app = create_app(store, StaticTokenVerifier.from_text("tok-a alice@example.com Alice\ntok-b bob@example.com Bob"))
    client = TestClient(app)
    a, b = {"Authorization": "Bearer tok-a"}, {"Authorization": "Bearer tok-b"}
    window = {"time_min": "2025-03-24T00:00:00Z", "time_max": "2025-04-05T00:00:00Z"}
    alice_id = client.get("/v1/users/me/freebusy", params=window, headers=a).json()["user_id"]
    bob_id = client.get("/v1/users/me/freebusy", params=window, headers=b).json()["user_id"]
    # weekly Monday 09:00-10:00 Berlin across the DST change of 30 March 2025
    r = client.post("/v1/events", headers=a, json={
        "title": "Weekly", "is_all_day": False,
        "starts_at": {"datetime": "2025-03-24T08:00:00Z", "timezone": "Europe/Berlin"},
        "ends_at": {"datetime": "2025-03-24T09:00:00Z", "timezone": "Europe/Berlin"},
        "recurrence_pattern": ["RRULE:FREQ=WEEKLY;COUNT=3"],
    })
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    assert client.post(f"/v1/events/{event_id}/invites", headers=a, json={"invitee": bob_id}).status_code == 201
    got = client.get(f"/v1/users/{bob_id}/freebusy", params=window, headers=a).json()["busy"]
    assert got == [  # pending: tentative
        {"starts_at": "2025-03-24T08:00:00Z", "ends_at": "2025-03-24T09:00:00Z", "type": "busy_tentative"},
        {"starts_at": "2025-03-31T07:00:00Z", "ends_at": "2025-03-31T08:00:00Z", "type": "busy_tentative"},
    ]
    assert client.patch(f"/v1/events/{event_id}/invite", headers=b).status_code == 204  # accept
    r = client.patch(f"/v1/events/{event_id}/instances/20250324T080000Z", headers=a, json={"status": "cancelled"})
    assert r.status_code == 200, r.text
    got = client.get(f"/v1/users/{bob_id}/freebusy", params=window, headers=a).json()["busy"]
    assert got == [{"starts_at": "2025-03-31T07:00:00Z", "ends_at": "2025-03-31T08:00:00Z", "type": "busy"}]
    assert client.delete(f"/v1/events/{event_id}/invite", headers=b).status_code == 204  # decline
    assert client.get(f"/v1/users/{bob_id}/freebusy", params=window, headers=a).json()["busy"] == []
    # a time on Monday 31 March: alice's user zone is UTC (the default for new users), so she
    # works 09-17 UTC; bob sets 09-17 Berlin = 07-15 UTC in summer time; common: 09-15 UTC
    client.put("/v1/users/me/working_hours", headers=b, json={"days": {"mon": [["09:00", "17:00"]]},
                                                               "timezone": "Europe/Berlin"})
    r = client.post("/v1/scheduling/find_slots", headers=a, json={
        "attendees": [bob_id], "duration_minutes": 60, "step_minutes": 60, "limit": 3,
        "time_min": "2025-03-31T00:00:00Z", "time_max": "2025-04-01T00:00:00Z",
    })
    assert [s["starts_at"] for s in r.json()["slots"]] == [
        "2025-03-31T09:00:00Z", "2025-03-31T10:00:00Z", "2025-03-31T11:00:00Z",
    ]
    r = client.post("/v1/scheduling/find_slots", headers=a, json={
        "attendees": [bob_id], "duration_minutes": 60, "step_minutes": 60, "order": "start",
        "time_min": "2025-03-31T00:00:00Z", "time_max": "2025-04-01T00:00:00Z",
    })
    assert r.json()["slots"][-1]["ends_at"] == "2025-03-31T15:00:00Z"
    assert client.get(f"/v1/users/{bob_id}/freebusy", params=window).status_code == 401
    paths = app.openapi()["paths"]
    assert "/v1/users/{user_id}/freebusy" in paths and "/v1/scheduling/find_slots" in paths
    store.close()


def test_openapi_lists_the_error_answers_of_every_scheduling_route(world):
    client, *_ = world
    paths = client.app.openapi()["paths"]
    routes = {("/v1/users/{user_id}/freebusy", "get"), ("/v1/scheduling/find_slots", "post"),
              ("/v1/users/me/working_hours", "get"), ("/v1/users/me/working_hours", "put"),
              ("/v1/users/me/working_hours", "delete")}
    for path, method in routes:
        responses = paths[path][method]["responses"]
        assert {"400", "401", "404", "422"} <= set(responses), (path, method)
        assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        assert "400" in responses and "invalid_json" in responses["400"]["description"]
    assert "413" in paths["/v1/scheduling/find_slots"]["post"]["responses"]
    limit = client.app.openapi()["components"]["schemas"]["FindSlotsBody"]["properties"]["limit"]
    assert limit["default"] == 50


def test_the_routes_leave_every_rule_and_every_store_call_to_the_service():
    """STYLE.md layering: the adapter parses, calls opentalk_sched.scheduling, renders."""
    import inspect
    import re

    import opentalk_sched.api.scheduling as routes

    source = inspect.getsource(routes)
    assert re.findall(r"\bstore\.\w+\(", source) == []  # no store method is called here
    assert "366" not in source and "include_caller and" not in source and "SLOTS_MAX =" not in source
