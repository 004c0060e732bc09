"""HTTP permission matrix (SPEC §2): every route × {creator, invitee, stranger, no token,
expired token}.

The creator reads and writes everything; invitees read the event, its instances and the
invite list, answer, and favorite; only the creator edits. An event the caller cannot see
is 404, one they see but may not change is 403; without a valid token it is 401 before
anything else. Each cell runs on a fresh store: alice created a weekly event and invited
bob (and dana@example.net by email); carol is a stranger.
"""

from __future__ import annotations

import pytest

from .test_api_support import Api, auth

ROLES = ("creator", "invitee", "stranger", "no_token", "expired")
WHO = {"creator": "alice", "invitee": "bob", "stranger": "carol"}
IID = "20250312T080000Z"

# (name, method, path template, json body or None, expected per role for creator/invitee/stranger)
ROUTES = [
    ("get event", "GET", "/v1/events/{eid}", None, (200, 200, 404)),
    ("patch event", "PATCH", "/v1/events/{eid}", {"title": "New"}, (200, 403, 404)),
    ("delete event", "DELETE", "/v1/events/{eid}", None, (204, 403, 404)),
    ("list instances", "GET", "/v1/events/{eid}/instances", None, (200, 200, 404)),
    ("get instance", "GET", "/v1/events/{eid}/instances/" + IID, None, (200, 200, 404)),
    ("patch instance", "PATCH", "/v1/events/{eid}/instances/" + IID, {"status": "cancelled"}, (200, 403, 404)),
    ("invite", "POST", "/v1/events/{eid}/invites", {"email": "erin@example.net"}, (201, 403, 404)),
    ("list invites", "GET", "/v1/events/{eid}/invites", None, (200, 200, 404)),
    ("patch email invite", "PATCH", "/v1/events/{eid}/invites/email",
     {"email": "dana@example.net", "role": "moderator"}, (204, 403, 404)),
    ("delete email invite", "DELETE", "/v1/events/{eid}/invites/email", {"email": "dana@example.net"},
     (204, 403, 404)),
    ("patch user invite", "PATCH", "/v1/events/{eid}/invites/{bob}", {"role": "moderator"}, (204, 403, 404)),
    ("delete user invite", "DELETE", "/v1/events/{eid}/invites/{bob}", None, (204, 403, 404)),
    ("accept", "PATCH", "/v1/events/{eid}/invite", None, (403, 204, 404)),
    ("decline", "DELETE", "/v1/events/{eid}/invite", None, (403, 204, 404)),
    ("add favorite", "PUT", "/v1/users/me/event_favorites/{eid}", None, (201, 201, 404)),
    ("remove favorite", "DELETE", "/v1/users/me/event_favorites/{eid}", None, (404, 404, 404)),
    ("room event", "GET", "/v1/rooms/{room}/event", None, (200, 200, 404)),
    ("event ics", "GET", "/v1/events/{eid}/ics", None, (200, 200, 404)),
    # lists are scoped to the caller: everyone with a token gets 200 (checked for content below)
    ("list events", "GET", "/v1/events", None, (200, 200, 200)),
    ("calendar", "GET", "/v1/events/instances?time_min=2025-03-01T00:00:00Z&time_max=2025-04-01T00:00:00Z", None,
     (200, 200, 200)),
    ("pending invites", "GET", "/v1/users/me/pending_invites", None, (200, 200, 200)),
    ("create event", "POST", "/v1/events", {"title": "Mine", "is_time_independent": True}, (201, 201, 201)),
]


@pytest.fixture(scope="module")
def cells():
    return [(r, role) for r in ROUTES for role in ROLES]


def _world() -> tuple[Api, dict]:
    api = Api()
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    assert api.call("POST", f"/v1/events/{ev['id']}/invites", json={"email": "dana@example.net"}).status_code == 201
    return api, {"eid": ev["id"], "room": ev["room"]["id"], "bob": api.ids["bob"]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_permission_matrix(route, role):
    name, method, template, body, expected = route
    api, ids = _world()
    try:
        url = template.format(**ids)
        if role in WHO:
            headers = api.headers[WHO[role]]
            want = expected[("creator", "invitee", "stranger").index(role)]
        else:
            headers = auth("alice", expired=True) if role == "expired" else {}
            want = 401
        kw = {"json": body} if body is not None else {}
        r = api.client.request(method, url, headers=headers, **kw)
        assert r.status_code == want, (name, role, r.text)
        if want >= 400:
            assert r.json()["code"] == {401: "unauthorized", 403: "forbidden", 404: "not_found"}[want]
        if want == 401:
            assert r.headers["www-authenticate"] == "Bearer"
        # a refused write changed nothing
        if want >= 400 and method != "GET":
            after = api.call("GET", f"/v1/events/{ids['eid']}?invitees_max=10")
            assert after.status_code == 200
            assert after.headers["etag"] == '"2"'
            assert after.json()["title"] == "Standup"
            assert len(after.json()["invitees"]) == 2
        # lists never show the stranger the event
        if role == "stranger" and method == "GET" and want == 200 and r.json() != {"total_pending_invites": 0}:
            assert ids["eid"] not in r.text
    finally:
        api.close()


def test_matrix_covers_every_spec_route(cells):
    """Every operation of the OpenAPI document (SPEC §2 part) appears in the matrix."""
    api = Api()
    try:
        spec = api.client.get("/openapi.json").json()
    finally:
        api.close()
    documented = {
        (m.upper(), p) for p, ops in spec["paths"].items() for m in ops
        if p.startswith(("/v1/events", "/v1/users/me/event_favorites", "/v1/users/me/pending_invites", "/v1/rooms"))
    }
    covered = set()
    for _, method, template, _, _ in ROUTES:
        path = template.split("?")[0].replace("{eid}", "{event_id}").replace("{room}", "{room_id}")
        path = path.replace("{bob}", "{user_id}").replace(IID, "{instance_id}")
        covered.add((method, path))
    assert documented == covered
    assert len(cells) == len(ROUTES) * 5
