"""HTTP: the error table of SPEC §2 — every client mistake has its status and JSON body,
and only a genuine bug is a 500."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from opentalk_sched.api import StaticTokenVerifier, create_app
from opentalk_sched.store import open_store

from .test_api_support import api, auth, error_of  # noqa: F401  (fixture)

TIMED = {
    "title": "t", "is_time_independent": False, "is_all_day": False,
    "starts_at": {"datetime": "2025-03-10T08:00:00Z", "timezone": "Europe/Berlin"},
    "ends_at": {"datetime": "2025-03-10T09:00:00Z", "timezone": "Europe/Berlin"},
}


@pytest.mark.parametrize("content", [
    b"{", b"not json", b"", b"null", b"[]", b'"title"', b"123",
    b'{"is_time_independent": true}',  # title missing
    b'{"title": 5, "is_time_independent": true}',
    b'{"title": "t", "is_time_independent": "sometimes"}',
    b'{"title": "t", "recurrence_pattern": "FREQ=DAILY"}',
    b'{"title": "t", "recurrence_pattern": [1]}',
    json.dumps({**TIMED, "starts_at": "2025-03-10T08:00:00Z"}).encode(),
    json.dumps({**TIMED, "starts_at": {"datetime": "2025-03-10T08:00:00", "timezone": "UTC"}}).encode(),
    json.dumps({**TIMED, "starts_at": {"datetime": 1741593600, "timezone": "UTC"}}).encode(),
    json.dumps({**TIMED, "starts_at": {"datetime": "yesterday", "timezone": "UTC"}}).encode(),
    json.dumps({**TIMED, "ends_at": {"datetime": "2025-03-10T09:00:00Z"}}).encode(),
    '{"title": "\udcff", "is_time_independent": true}'.encode("utf-8", "surrogatepass"),  # invalid UTF-8
    b'{"title": "\\udcff", "is_time_independent": true}',  # a lone surrogate, JSON-escaped
    b'{"title": "t", "is_time_independent": false, "recurrence_pattern": ["\\ud800"]}',
])
def test_bodies_that_are_not_the_schema_are_400_invalid_json(api, content):
    r = api.call("POST", "/v1/events", content=content, headers={"Content-Type": "application/json"})
    body = error_of(r, 400, "invalid_json")
    assert "validation_errors" not in body


def test_invalid_json_on_every_body_route(api):
    ev = api.weekly()
    eid = ev["id"]
    for method, url in (
        ("PATCH", f"/v1/events/{eid}"), ("PATCH", f"/v1/events/{eid}/instances/20250310T080000Z"),
        ("POST", f"/v1/events/{eid}/invites"), ("PATCH", f"/v1/events/{eid}/invites/email"),
        ("DELETE", f"/v1/events/{eid}/invites/email"), ("PATCH", f"/v1/events/{eid}/invites/{api.ids['bob']}"),
    ):
        r = api.call(method, url, content=b"{oops", headers={"Content-Type": "application/json"})
        error_of(r, 400, "invalid_json")
    r = api.call("PATCH", f"/v1/events/{eid}", content=b'{"title": "x"}', headers={"Content-Type": "text/plain"})
    error_of(r, 400, "invalid_json")


def test_a_body_that_is_not_a_json_object_says_so(api):
    """The framework's "body: Input should be a valid dictionary or object to extract
    fields from" (for a JSON body sent as text/plain, an array, null …) did not say what
    was wrong; the message now says the body must be a JSON object."""
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    eid = ev["id"]
    routes = [
        ("POST", "/v1/events", "alice"), ("PATCH", f"/v1/events/{eid}", "alice"),
        ("PATCH", f"/v1/events/{eid}/instances/20250310T080000Z", "alice"),
        ("POST", f"/v1/events/{eid}/invites", "alice"), ("PATCH", f"/v1/events/{eid}/invites/email", "alice"),
        ("DELETE", f"/v1/events/{eid}/invites/email", "alice"),
        ("PATCH", f"/v1/events/{eid}/invites/{api.ids['bob']}", "alice"), ("PATCH", f"/v1/events/{eid}/invite", "bob"),
    ]
    cases = [
        (b'{"title": "x"}', {"Content-Type": "text/plain"},
         "the body must be a JSON object sent with Content-Type: application/json (got text/plain)"),
        (b'{"title": "x"}', {"Content-Type": "application/x-www-form-urlencoded"},
         "the body must be a JSON object sent with Content-Type: application/json "
         "(got application/x-www-form-urlencoded)"),
        (b"[]", {"Content-Type": "application/json"}, "the body must be a JSON object, not an array"),
        (b'"x"', {"Content-Type": "application/json; charset=utf-8"}, "the body must be a JSON object, not a string"),
        (b"12", {"Content-Type": "application/merge-patch+json"}, "the body must be a JSON object, not a number"),
    ]
    for method, url, who in routes:
        for content, headers, message in cases:
            r = api.call(method, url, who, content=content, headers=headers)
            assert error_of(r, 400, "invalid_json")["message"] == message, (method, url, content)
    for method, url, who in routes[:-1]:  # accepting has an optional body: no body, or null, is fine there
        r = api.call(method, url, who, content=b"", headers={"Content-Type": "application/json"})
        assert error_of(r, 400, "invalid_json")["message"] == "the body must be a JSON object; none was sent"
        r = api.call(method, url, who, content=b"null", headers={"Content-Type": "application/json"})
        assert error_of(r, 400, "invalid_json")["message"] == "the body must be a JSON object, not null"
    assert api.call("GET", f"/v1/events/{eid}").headers["etag"] == '"1"'  # nothing changed (one invite)


def test_missing_and_invalid_tokens_are_401_with_www_authenticate(api):
    headers_list = [
        {}, {"Authorization": ""}, {"Authorization": "Basic YWxpY2U6cHc="}, {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"}, auth("alice", expired=True), auth("alice", aud="other"),
        auth("alice", iss="https://other.example"), auth("alice", email=None),
    ]
    for headers in headers_list:
        r = api.client.get("/v1/events", headers=headers)
        error_of(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"


def test_auth_comes_before_validation(api):
    # without a token even a broken body or a bad id is a 401, not a 400/404
    r = api.client.post("/v1/events", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 401)  # FastAPI reads the body first; both are client errors
    error_of(api.client.get("/v1/events/not-a-uuid"), 401, "unauthorized")
    error_of(api.client.get("/v1/events/instances?time_min=x"), 401, "unauthorized")


def test_unknown_routes_and_methods(api):
    error_of(api.call("GET", "/v1/nothing-here"), 404, "not_found")
    error_of(api.call("GET", "/v2/events"), 404, "not_found")
    r = api.call("PUT", "/v1/events")
    error_of(r, 405, "method_not_allowed")


def test_payload_over_one_mib_is_413(api):
    big = json.dumps({"title": "t", "is_time_independent": True, "description": "x" * (1 << 20)}).encode()
    r = api.call("POST", "/v1/events", content=big, headers={"Content-Type": "application/json"})
    error_of(r, 413, "payload_too_large")

    def chunks():  # no Content-Length: counted while read
        for _ in range(20):
            yield b"x" * 65536

    r = api.call("POST", "/v1/events", content=chunks(), headers={"Content-Type": "application/json"})
    error_of(r, 413, "payload_too_large")
    # just under the limit is read (and fails validation for the description length instead)
    ok = json.dumps({"title": "t", "is_time_independent": True, "description": "x" * 4097}).encode()
    err = error_of(api.call("POST", "/v1/events", content=ok, headers={"Content-Type": "application/json"}),
                   422, "validation_failed")
    assert err["validation_errors"][0] == {
        "field": "description", "code": "invalid_length", "message": "description must be at most 4096 characters"}


def test_bad_content_length_is_400(api):
    r = api.call("POST", "/v1/events", content=b"{}", headers={"Content-Type": "application/json",
                                                              "Content-Length": "abc"})
    assert r.status_code == 400


def test_validation_failed_body_shape(api):
    r = api.call("POST", "/v1/events", json={**TIMED, "title": "x" * 300, "recurrence_pattern": ["FREQ=MINUTELY"]})
    body = error_of(r, 422, "validation_failed")
    assert body == {
        "code": "validation_failed",
        "message": body["message"],
        "validation_errors": [
            {"field": "title", "code": "invalid_length", "message": "title must be at most 255 characters"},
            {"field": "recurrence_pattern", "code": "unsupported_frequency",
             "message": "FREQ=MINUTELY is not supported; use HOURLY or coarser"},
        ],
    }
    assert "title" in body["message"]


def test_error_bodies_are_compact_json_like_success_bodies(api):
    """Error bodies were spaced JSON (``{"code": "not_found", ...}``) while answers are
    compact; both are compact UTF-8 now, whoever makes the error (service, adapter,
    framework, middleware, auth)."""
    ev = api.weekly()
    ok = api.call("GET", f"/v1/events/{ev['id']}")
    assert b'": ' not in ok.content and b'", "' not in ok.content  # the success side, for comparison
    r = api.call("GET", "/v1/events/00000000-0000-4000-8000-000000000000")
    assert r.content == b'{"code":"not_found","message":"event not found"}'
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"title": "x" * 256, "recurrence_pattern": ["FREQ=MINUTELY"]})
    assert r.status_code == 422 and r.content == json.dumps(r.json(), separators=(",", ":")).encode()
    assert r.content.startswith(b'{"code":"validation_failed","message":"title: ')
    assert b'"validation_errors":[{"field":"title","code":"invalid_length",' in r.content
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"is_all_day": "yes"})
    assert r.content == b'{"code":"invalid_json","message":"is_all_day: Input should be a valid boolean"}'
    r = api.call("PATCH", f"/v1/events/{ev['id']}", json={"title": "Ä"}, headers={"If-Match": '"9"'})
    assert r.status_code == 412 and b'": ' not in r.content
    r = api.client.get("/v1/events")
    assert r.status_code == 401 and b'": ' not in r.content and b'", "' not in r.content
    r = api.call("PUT", "/v1/events")
    assert r.status_code == 405 and r.content == b'{"code":"method_not_allowed","message":"Method Not Allowed"}'
    big = b'{"title": "' + b"x" * (1 << 20) + b'"}'
    r = api.call("POST", "/v1/events", content=big, headers={"Content-Type": "application/json"})
    assert r.content == b'{"code":"payload_too_large","message":"request body is larger than 1 MiB"}'


class _Broken:
    """A service whose every call is a bug."""

    store = None

    def get_or_create_user_by_subject(self, subject, **kw):
        raise KeyError("bug in the service")

    def create_event(self, *a, **kw):  # pragma: no cover - as_service() looks for these
        raise AssertionError

    list_instances = create_event


def test_a_genuine_bug_is_a_logged_500_json(caplog):
    app = create_app(_Broken(), StaticTokenVerifier.from_text("t a@example.org"))
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="opentalk_sched.api"):
        r = client.get("/v1/events", headers={"Authorization": "Bearer t"})
    error_of(r, 500, "internal_error")
    assert r.json()["message"] == "internal server error"  # no internals leak
    assert "unhandled error on GET /v1/events" in caplog.text


def test_static_token_app_end_to_end():
    store = open_store(":memory:")
    app = create_app(store, StaticTokenVerifier.from_text("tok-1 erin@example.org Erin Example"))
    client = TestClient(app)
    r = client.post("/v1/events", json={"title": "Hello", "is_time_independent": True},
                    headers={"Authorization": "Bearer tok-1"})
    assert r.status_code == 201
    assert r.json()["created_by"]["display_name"] == "Erin Example"
    error_of(client.get("/v1/events", headers={"Authorization": "Bearer tok-2"}), 401, "unauthorized")
    assert client.get("/", follow_redirects=False).headers["location"] == "/docs"
    assert client.get("/docs").status_code == 200
    store.close()


def test_times_at_the_edges_of_the_calendar_are_client_errors_not_500(api):
    from fastapi.testclient import TestClient as Client

    api.client = Client(api.app, raise_server_exceptions=False)
    yearly = api.single(recurrence_pattern=["FREQ=YEARLY"])
    never = api.single(recurrence_pattern=["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"])  # unbounded, matches nothing
    far = "time_min=8998-12-01T00:00:00Z&time_max=8999-12-01T00:00:00Z"
    assert api.call("GET", f"/v1/events/instances?{far}").status_code == 200
    for ev in (yearly, never):
        for query in (far, "time_min=8999-12-31T23:59:59Z", "time_max=1000-01-01T00:00:01Z", "per_page=100"):
            r = api.call("GET", f"/v1/events/{ev['id']}/instances?{query}")
            assert r.status_code == 200, (query, r.text)
    assert [i["instance_id"] for i in api.call("GET", f"/v1/events/{never['id']}/instances").json()] == [
        "20250311T130000Z"]  # DTSTART is always an occurrence
    for query in ("time_min=9999-12-28T00:00:00Z&time_max=9999-12-29T00:00:00Z",
                  "time_min=0001-01-01T00:00:00Z&time_max=0001-02-01T00:00:00Z",
                  "time_min=0999-12-31T23:59:59Z&time_max=1000-01-02T00:00:00Z"):
        error_of(api.call("GET", f"/v1/events/instances?{query}"), 400, "bad_request")
        error_of(api.call("GET", f"/v1/events/{yearly['id']}/instances?{query}"), 400, "bad_request")
        error_of(api.call("GET", f"/v1/events?{query}"), 400, "bad_request")
    for start, end in (("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"), ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z")):
        body = {**TIMED, "starts_at": {"datetime": start, "timezone": "Pacific/Kiritimati"},
                "ends_at": {"datetime": end, "timezone": "America/New_York"}}
        err = error_of(api.call("POST", "/v1/events", json=body), 422, "validation_failed")
        assert [(e["field"], e["code"]) for e in err["validation_errors"]] == [("starts_at", "out_of_range")]
        r = api.call("PATCH", f"/v1/events/{yearly['id']}", json={"ends_at": body["ends_at"]})
        assert error_of(r, 422, "validation_failed")["validation_errors"][0]["field"] == "ends_at"
        r = api.call("PATCH", f"/v1/events/{yearly['id']}/instances/20250311T130000Z", json={"starts_at": body["starts_at"]})
        assert error_of(r, 422, "validation_failed")["validation_errors"][0]["code"] == "out_of_range"


#: (request model, method, path under the event, body, the field the message names);
#: ``{bob}`` is bob's user id. Each body has exactly one value of a wrong JSON type.
WRONG_TYPES = [
    ("PostEventBody", "POST", None, {**TIMED, "is_all_day": "yes"}, "is_all_day"),
    ("PostEventBody", "POST", None, {**TIMED, "is_time_independent": 0}, "is_time_independent"),
    ("PostEventBody", "POST", None, {**TIMED, "waiting_room": "true"}, "waiting_room"),
    ("PostEventBody", "POST", None, {**TIMED, "is_adhoc": 1}, "is_adhoc"),
    ("PostEventBody", "POST", None, {**TIMED, "title": 5}, "title"),
    ("PostEventBody", "POST", None, {**TIMED, "description": 1.5}, "description"),
    ("PostEventBody", "POST", None, {**TIMED, "password": 1234}, "password"),
    ("PostEventBody", "POST", None, {**TIMED, "recurrence_pattern": [5]}, "recurrence_pattern.0"),
    ("DateTimeTz", "POST", None, {**TIMED, "ends_at": {"datetime": "2025-03-10T09:00:00Z", "timezone": 1}},
     "ends_at.timezone"),
    ("PatchEventBody", "PATCH", "", {"is_all_day": "yes"}, "is_all_day"),
    ("PatchEventBody", "PATCH", "", {"is_all_day": 1}, "is_all_day"),
    ("PatchEventBody", "PATCH", "", {"is_time_independent": "false"}, "is_time_independent"),
    ("PatchEventBody", "PATCH", "", {"waiting_room": "on"}, "waiting_room"),
    ("PatchEventBody", "PATCH", "", {"is_adhoc": 0}, "is_adhoc"),
    ("PatchEventBody", "PATCH", "", {"title": 5}, "title"),
    ("PatchEventBody", "PATCH", "", {"description": True}, "description"),
    ("PatchEventBody", "PATCH", "", {"password": 42}, "password"),
    ("PatchEventBody", "PATCH", "", {"recurrence_pattern": "FREQ=DAILY"}, "recurrence_pattern"),
    ("PatchEventBody", "PATCH", "", {"starts_at": "2025-03-10T08:00:00Z"}, "starts_at"),
    ("DateTimeTz", "PATCH", "", {"starts_at": {"datetime": 1741593600, "timezone": "UTC"}}, "starts_at.datetime"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z", {"is_all_day": "yes"}, "is_all_day"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z", {"is_all_day": 0}, "is_all_day"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z", {"title": 7}, "title"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z", {"description": ["x"]}, "description"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z", {"status": 1}, "status"),
    ("PatchInstanceBody", "PATCH", "/instances/20250312T080000Z",
     {"ends_at": {"datetime": "2025-03-12T09:00:00Z", "timezone": False}}, "ends_at.timezone"),
    ("PostInviteBody", "POST", "/invites", {"invitee": 5}, "invitee"),
    ("PostInviteBody", "POST", "/invites", {"invitee": "{bob}", "role": 1}, "role"),
    ("PostInviteBody", "POST", "/invites", {"email": 5}, "email"),
    ("PostInviteBody", "POST", "/invites", {"email": "guest@example.net", "role": True}, "role"),
    ("PatchEmailInviteBody", "PATCH", "/invites/email", {"email": 5}, "email"),
    ("PatchEmailInviteBody", "PATCH", "/invites/email", {"email": "guest@example.net", "role": 2}, "role"),
    ("DeleteEmailInviteBody", "DELETE", "/invites/email", {"email": True}, "email"),
    ("PatchUserInviteBody", "PATCH", "/invites/{bob}", {"role": 1}, "role"),
    ("AcceptInviteBody", "PATCH", "/invite", {"status": True}, "status"),
]


@pytest.mark.parametrize(
    "model, method, path, body, field", WRONG_TYPES, ids=[f"{c[0]}-{c[4]}-{i}" for i, c in enumerate(WRONG_TYPES)]
)
def test_wrong_json_types_are_400_invalid_json_naming_the_field(api, model, method, path, body, field):
    """Request models are strict: a string for a bool, a number for a string, a number
    for a bool and so on are refused, never coerced (SPEC §2: wrong types → 400)."""
    ev = api.weekly()
    api.invite(ev["id"], "bob")
    api.call("POST", f"/v1/events/{ev['id']}/invites", json={"email": "guest@example.net"})
    before = api.call("GET", f"/v1/events/{ev['id']}?invitees_max=10").json()
    url = "/v1/events" if path is None else f"/v1/events/{ev['id']}{path}".replace("{bob}", api.ids["bob"])
    body = json.loads(json.dumps(body).replace("{bob}", api.ids["bob"]))
    r = api.call(method, url, "bob" if path == "/invite" else "alice", json=body)
    err = error_of(r, 400, "invalid_json")
    assert err["message"].startswith(f"{field}: "), err
    assert api.call("GET", f"/v1/events/{ev['id']}?invitees_max=10").json() == before
    assert len(api.call("GET", "/v1/events").json()) == 1  # nothing created either


def test_strict_bodies_still_take_the_wire_formats_strings():
    """Strictness keeps what the wire spells as strings: RFC 3339 date-times inside
    DateTimeTz, UUIDs; and real JSON booleans and strings."""
    from opentalk_sched.api import schemas

    body = schemas.PostEventBody.model_validate(
        {**TIMED, "is_all_day": False, "waiting_room": True, "recurrence_pattern": ["FREQ=DAILY"]}
    )
    assert (body.starts_at.datetime.isoformat(), body.starts_at.timezone, body.waiting_room) == (
        "2025-03-10T08:00:00+00:00", "Europe/Berlin", True)
    invite = schemas.PatchUserInviteBody.model_validate({"role": "moderator"})
    assert invite.role == "moderator"
