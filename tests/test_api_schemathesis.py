"""Property-based tests of the events API against its own OpenAPI document (schemathesis 4).

For every SPEC §2 operation, generated requests (valid per the schema, half of them aimed
at a real event and instance) must never get a 5xx, and every answer must conform to the
document: a documented status code, the declared content type, a body matching the
response schema, declared headers. Bounded: a few examples per operation, the whole file
runs in seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from fastapi.testclient import TestClient

from .test_api_support import Api

WORLD = Api(own_app=True)
EVENT = WORLD.weekly()
WORLD.invite(EVENT["id"], "bob")
TI = WORLD.create(title="Someday", is_time_independent=True)
REAL = {
    "event_id": [EVENT["id"], TI["id"]],
    "instance_id": ["20250310T080000Z", "20250312T080000Z"],
    "user_id": [WORLD.ids["bob"]],
    "room_id": [EVENT["room"]["id"]],
}
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD.app).include(
    path_regex=r"^/v1/(events|users/me/(event_favorites|pending_invites)|rooms)"
)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the cases use ids that exist, so the handlers past the 404 run too."""
    path_parameters = path_parameters or {}
    real = {k: st.sampled_from(REAL[k]) for k in path_parameters if k in REAL}
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real).map(lambda r: {**path_parameters, **r}))


#: requests are sent with httpx (FastAPI's TestClient): schemathesis' own ASGI transport
#: goes through ``requests``, which the urllib3-future install in this venv breaks
CLIENT = TestClient(WORLD.app, raise_server_exceptions=False)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_openapi_document(case):
    who = "bob" if case.path.endswith("/invite") else "alice"  # answering is the invitee's
    kwargs = case.as_transport_kwargs(headers=WORLD.headers[who])
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), (bytes, str)):
        kwargs["content"] = kwargs.pop("data")
    response = CLIENT.request(**kwargs)
    case.validate_response(response, checks=CHECKS)


def test_the_document_covers_the_spec_routes():
    paths = set(schema.raw_schema["paths"])
    assert {
        "/v1/events", "/v1/events/instances", "/v1/events/{event_id}", "/v1/events/{event_id}/instances",
        "/v1/events/{event_id}/instances/{instance_id}", "/v1/events/{event_id}/invites",
        "/v1/events/{event_id}/invites/email", "/v1/events/{event_id}/invites/{user_id}",
        "/v1/events/{event_id}/invite", "/v1/users/me/event_favorites/{event_id}", "/v1/users/me/pending_invites",
        "/v1/rooms/{room_id}/event",
    } <= paths
    assert schema.raw_schema["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "scheme": "bearer",
                       "description": "An OIDC access token, or a token from --tokens"}}
