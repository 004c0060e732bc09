"""Shared pieces of the HTTP tests: an app on an in-memory store with a fixed clock, OIDC
tokens signed by a locally generated RSA key (JWKS injected), three people (alice
creates, bob is invited, carol is a stranger), and schema checks of answers.

The tests at the bottom check the kit itself.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from opentalk_sched.api import OidcVerifier, context, create_app, schemas
from opentalk_sched.service import Service
from opentalk_sched.store import open_store

UTC = timezone.utc
ISSUER = "https://id.example.test/realms/opentalk"
AUDIENCE = "opentalk-sched"
NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-15T10:00:00Z"

_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_JWK = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_PRIVATE.public_key()))
_JWK.update(kid="test-key", use="sig", alg="RS256")
JWKS = {"keys": [_JWK]}

PEOPLE = {
    "alice": ("sub-alice", "alice@example.org", "Alice Anders", "Alice", "Anders"),
    "bob": ("sub-bob", "bob@example.org", "Bob Brandt", "Bob", "Brandt"),
    "carol": ("sub-carol", "carol@example.org", "Carol Clark", "Carol", "Clark"),
}


def token(who: str, *, expired: bool = False, **claims) -> str:
    """A signed access token for one of PEOPLE (``expired``: exp an hour ago)."""
    sub, email, name, given, family = PEOPLE[who]
    now = int(time.time())
    body = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "email": email, "name": name, "given_name": given,
        "family_name": family, "iat": now - 7200 if expired else now, "exp": now - 3600 if expired else now + 600,
    }
    body.update(claims)
    return jwt.encode(body, _PRIVATE, algorithm="RS256", headers={"kid": "test-key"})


def auth(who: str, **kw) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(who, **kw)}"}


_VERIFIER = OidcVerifier(ISSUER, AUDIENCE, jwks=JWKS)
_SHARED: dict = {}


def shared_app():
    """One app for all tests: FastAPI compiles its routes on the first request (~0.2 s),
    so each :class:`Api` installs a fresh store and service into this one instead."""
    if "app" not in _SHARED:
        _SHARED["app"] = create_app(open_store(":memory:"), _VERIFIER)
    return _SHARED["app"]


class Api:
    """A TestClient on a fresh in-memory store with a settable clock, and the people
    logged in once (so their users exist)."""

    def __init__(self, own_app: bool = False) -> None:
        self.store = open_store(":memory:")
        self.verifier = _VERIFIER
        self.clock = [NOW]
        self.service = Service(self.store, clock=lambda: self.clock[0])
        if own_app:  # for a module that keeps its world across tests
            self.app = create_app(self.service, self.verifier)
        else:
            self.app = shared_app()
            context.install(self.app, self.service, self.verifier)
        self.client = TestClient(self.app)
        self.headers = {who: auth(who) for who in PEOPLE}
        self.ids: dict[str, str] = {}
        for who in PEOPLE:
            r = self.client.get("/v1/users/me/pending_invites", headers=self.headers[who])
            assert r.status_code == 200, r.text
            self.ids[who] = str(self.store.find_user_by_email(PEOPLE[who][1]).id)

    def call(self, method: str, url: str, who: str | None = "alice", **kw):
        headers = dict(kw.pop("headers", {}))
        if who is not None:
            headers.update(self.headers[who])
        return self.client.request(method, url, headers=headers, **kw)

    def profile(self, who: str) -> dict:
        """The public profile JSON of one of PEOPLE."""
        _sub, email, name, given, family = PEOPLE[who]
        import hashlib

        return {
            "id": self.ids[who], "email": email, "title": "", "firstname": given, "lastname": family,
            "display_name": name,
            "avatar_url": "https://seccdn.libravatar.org/avatar/" + hashlib.md5(email.encode()).hexdigest(),
        }

    def create(self, who: str = "alice", **body) -> dict:
        r = self.call("POST", "/v1/events", who, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def weekly(self, who: str = "alice", **extra) -> dict:
        """Standup: Mondays and Wednesdays 09:00-09:15 Berlin from 2025-03-10."""
        body = dict(
            title="Standup", description="Daily sync", is_time_independent=False, is_all_day=False,
            starts_at={"datetime": "2025-03-10T08:00:00Z", "timezone": "Europe/Berlin"},
            ends_at={"datetime": "2025-03-10T08:15:00Z", "timezone": "Europe/Berlin"},
            recurrence_pattern=["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"],
        )
        body.update(extra)
        return self.create(who, **body)

    def single(self, who: str = "alice", **extra) -> dict:
        body = dict(
            title="Review", is_time_independent=False, is_all_day=False,
            starts_at={"datetime": "2025-03-11T13:00:00Z", "timezone": "Europe/Berlin"},
            ends_at={"datetime": "2025-03-11T14:00:00Z", "timezone": "Europe/Berlin"},
        )
        body.update(extra)
        return self.create(who, **body)

    def invite(self, event_id: str, who: str = "bob", role: str = "user") -> None:
        r = self.call("POST", f"/v1/events/{event_id}/invites", "alice", json={"invitee": self.ids[who], "role": role})
        assert r.status_code == 201, r.text

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def api():
    a = Api()
    yield a
    a.close()


_EVENT = TypeAdapter(schemas.EventResource)
_EVENTS = TypeAdapter(list[schemas.EventOrException])
_INSTANCE = TypeAdapter(schemas.InstanceResource)
_INSTANCES = TypeAdapter(list[schemas.InstanceResource])
_INVITEES = TypeAdapter(list[schemas.EventInvitee])
_ERROR = TypeAdapter(schemas.ErrorBody)


def conforms(kind: str, body) -> None:
    """Validate an answer against its response schema (raises on any mismatch, including
    ``null`` where a field must be omitted)."""
    {"event": _EVENT, "events": _EVENTS, "instance": _INSTANCE, "instances": _INSTANCES,
     "invitees": _INVITEES, "error": _ERROR}[kind].validate_python(body)
    _no_nulls(body)


def _no_nulls(v, path="$") -> None:
    if v is None:
        raise AssertionError(f"null at {path}")
    if isinstance(v, dict):
        for k, x in v.items():
            _no_nulls(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _no_nulls(x, f"{path}[{i}]")


def error_of(r, status: int, code: str) -> dict:
    """Assert an error answer: status, JSON content type, body shape and code."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    conforms("error", body)
    assert body["code"] == code, body
    return body


# -- the kit itself -----------------------------------------------------------------------------


def test_people_become_users_on_first_use(api):
    users = {who: api.store.find_user_by_email(PEOPLE[who][1]) for who in PEOPLE}
    assert {who: (u.subject, u.display_name, u.firstname, u.lastname) for who, u in users.items()} == {
        "alice": ("sub-alice", "Alice Anders", "Alice", "Anders"),
        "bob": ("sub-bob", "Bob Brandt", "Bob", "Brandt"),
        "carol": ("sub-carol", "Carol Clark", "Carol", "Clark"),
    }
    # a second token of the same subject is the same user
    r = api.client.get("/v1/users/me/pending_invites", headers=auth("alice", jti=str(uuid.uuid4())))
    assert r.json() == {"total_pending_invites": 0}
    assert api.store.find_user_by_subject("sub-alice").id == users["alice"].id


def test_conforms_refuses_nulls():
    with pytest.raises(AssertionError, match=r"null at \$.a"):
        _no_nulls({"a": None})
