"""No client input is a 500: arbitrary path segments, query values, headers and JSON
bodies on every route of SPEC §2 get a 2xx or a 4xx with the error shape.

(schemathesis, in test_api_schemathesis.py, generates from the schema; these generate
outside it: any text where an id goes, any JSON where a body goes.)"""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_api_support import Api

WORLD = Api(own_app=True)
EVENT = WORLD.weekly()
WORLD.invite(EVENT["id"], "bob")
CLIENT = TestClient(WORLD.app, raise_server_exceptions=False)

ROUTES = [
    ("POST", "/v1/events"), ("GET", "/v1/events"), ("GET", "/v1/events/instances"), ("GET", "/v1/events/{id}"),
    ("PATCH", "/v1/events/{id}"), ("DELETE", "/v1/events/{id}"), ("GET", "/v1/events/{id}/instances"),
    ("GET", "/v1/events/{id}/instances/{iid}"), ("PATCH", "/v1/events/{id}/instances/{iid}"),
    ("POST", "/v1/events/{id}/invites"), ("GET", "/v1/events/{id}/invites"),
    ("PATCH", "/v1/events/{id}/invites/email"), ("DELETE", "/v1/events/{id}/invites/email"),
    ("PATCH", "/v1/events/{id}/invites/{uid}"), ("DELETE", "/v1/events/{id}/invites/{uid}"),
    ("PATCH", "/v1/events/{id}/invite"), ("DELETE", "/v1/events/{id}/invite"),
    ("PUT", "/v1/users/me/event_favorites/{id}"), ("DELETE", "/v1/users/me/event_favorites/{id}"),
    ("GET", "/v1/users/me/pending_invites"), ("GET", "/v1/rooms/{id}/event"),
]
QUERY_NAMES = [
    "time_min", "time_max", "per_page", "after", "invitees_max", "favorites", "adhoc", "time_independent",
    "invite_status", "include_cancelled", "include_declined", "page", "status", "suppress_email_notification",
]

segment = st.one_of(
    st.just(EVENT["id"]), st.just("20250310T080000Z"), st.just(WORLD.ids["bob"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    st.from_regex(r"\A\d{8}T\d{6}([+-]\d{4}|Z)?\Z"),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
body_keys = st.sampled_from([
    "title", "description", "password", "is_time_independent", "is_all_day", "starts_at", "ends_at",
    "recurrence_pattern", "status", "invitee", "email", "role", "waiting_room", "is_adhoc",
])
date_time_tz = st.fixed_dictionaries({
    "datetime": st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), st.text(max_size=30)),
    "timezone": st.sampled_from(["Europe/Berlin", "UTC", "Mars/Base", "", "America/New_York"]),
})
bodies = st.one_of(
    st.none(),
    st.dictionaries(body_keys, st.one_of(json_values, date_time_tz), max_size=6),
    json_values,
    st.binary(max_size=64),
)
queries = st.dictionaries(
    st.sampled_from(QUERY_NAMES),
    st.one_of(st.text(max_size=30), st.datetimes().map(lambda d: d.isoformat() + "Z"), st.integers().map(str)),
    max_size=4,
)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.sampled_from(ROUTES), segment, segment, queries, bodies, st.sampled_from(["alice", "bob", "carol", None]),
       st.sampled_from([None, '"0"', "*", "garbage", 'W/"1"']))
def test_no_client_input_is_a_500(route, a, b, query, body, who, if_match):
    method, template = route
    url = template.replace("{id}", a).replace("{iid}", b).replace("{uid}", b)
    headers = dict(WORLD.headers[who]) if who else {}
    if if_match is not None:
        headers["If-Match"] = if_match
    kw = {}
    if isinstance(body, bytes):
        kw["content"] = body
        headers["Content-Type"] = "application/json"
    elif body is not None:
        kw["json"] = body
    r = CLIENT.request(method, url, params=query, headers=headers, **kw)
    assert r.status_code < 500, (method, url, query, body, r.text)
    if r.status_code >= 400:
        assert set(r.json()) <= {"code", "message", "validation_errors"} and r.json()["code"]
