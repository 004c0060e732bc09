"""Bearer-token verifiers: OIDC JWTs against a JWKS (injected, served, discovered) and token files."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from opentalk_sched.api.auth import (
    AuthError, AuthUnavailable, Identity, OidcVerifier, StaticTokenVerifier, bearer_token,
)

ISSUER = "https://id.example.org/realms/opentalk"
AUDIENCE = "opentalk-sched"


def _key(kid: str):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return private, jwk


@pytest.fixture(scope="module")
def keys():
    return _key("k1"), _key("k2")


def _token(private, kid="k1", **claims):
    now = int(time.time())
    body = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 300, "iat": now,
        "email": "Alice@Example.org", "name": "Alice Example", "given_name": "Alice", "family_name": "Example",
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid})


def test_oidc_injected_jwks_accepts_a_valid_token(keys):
    (private, jwk), _ = keys
    v = OidcVerifier(ISSUER, AUDIENCE, jwks={"keys": [jwk]})
    token = _token(private)
    ident = v.verify(token)
    assert ident == Identity(
        subject="user-1", email="alice@example.org", display_name="Alice Example", firstname="Alice",
        lastname="Example", issuer=ISSUER, expires_at=float(jwt.decode(token, options={"verify_signature": False})["exp"]),
    )


@pytest.mark.parametrize(
    "claims, message",
    [
        ({"exp": int(time.time()) - 3600}, "token expired"),
        ({"aud": "someone-else"}, "token audience does not match"),
        ({"iss": "https://evil.example.org"}, "token issuer does not match"),
        ({"exp": None}, "invalid token"),
        ({"email": None}, "token has no email claim"),
    ],
)
def test_oidc_refuses_bad_claims(keys, claims, message):
    (private, jwk), _ = keys
    v = OidcVerifier(ISSUER, AUDIENCE, jwks={"keys": [jwk]})
    with pytest.raises(AuthError) as info:
        v.verify(_token(private, **claims))
    assert info.value.message.startswith(message)
    assert not isinstance(info.value, AuthUnavailable)


def test_oidc_refuses_foreign_signature_and_garbage(keys):
    (private1, jwk1), (private2, _) = keys
    v = OidcVerifier(ISSUER, AUDIENCE, jwks={"keys": [jwk1]})
    with pytest.raises(AuthError, match="invalid token"):
        v.verify(_token(private2, kid="k1"))  # right kid, wrong key
    with pytest.raises(AuthError, match="unknown key"):
        v.verify(_token(private2, kid="k2"))
    with pytest.raises(AuthError, match="malformed token"):
        v.verify("not.a.jwt")
    hs = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": time.time() + 60}, "s" * 32, algorithm="HS256",
                    headers={"kid": "k1"})
    with pytest.raises(AuthError, match="invalid token"):
        v.verify(hs)  # algorithm confusion is refused


class _JwksServer:
    """A JWKS and OIDC discovery document on 127.0.0.1 (a free port), counting fetches."""

    def __init__(self, jwks):
        self.jwks = jwks
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path == "/jwks":
                    outer.fetches += 1
                    body = json.dumps(outer.jwks).encode()
                elif self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": outer.url, "jwks_uri": outer.url + "/jwks"}).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_oidc_fetches_jwks_once_and_refetches_for_a_new_kid(keys):
    (private1, jwk1), (private2, jwk2) = keys
    with _JwksServer({"keys": [jwk1]}) as server:
        v = OidcVerifier(ISSUER, AUDIENCE, jwks_url=server.url + "/jwks", refresh_cooldown=0)
        assert v.verify(_token(private1)).email == "alice@example.org"
        assert v.verify(_token(private1, sub="user-2")).subject == "user-2"
        assert server.fetches == 1
        server.jwks = {"keys": [jwk1, jwk2]}  # the issuer rotates in a new key
        assert v.verify(_token(private2, kid="k2")).subject == "user-1"
        assert server.fetches == 2


def test_oidc_discovers_jwks_uri_from_the_issuer(keys):
    (private, jwk), _ = keys
    with _JwksServer({"keys": [jwk]}) as server:
        v = OidcVerifier(server.url, AUDIENCE)
        assert v.verify(_token(private, iss=server.url)).issuer == server.url


def test_oidc_unreachable_issuer_is_unavailable_not_unauthorized(keys):
    (private, _), _ = keys
    with _JwksServer({"keys": []}) as server:
        url = server.url
    v = OidcVerifier(ISSUER, AUDIENCE, jwks_url=url + "/jwks", timeout=2)
    with pytest.raises(AuthUnavailable):
        v.verify(_token(private))


def test_static_tokens_lines_and_json():
    v = StaticTokenVerifier.from_text(
        "# demo tokens\n\ntok-a alice@example.org Alice Example\ntok-b BOB@example.org\n"
    )
    assert v.verify("tok-a") == Identity("alice@example.org", "alice@example.org", "Alice Example")
    assert v.verify("tok-b").email == "bob@example.org"
    assert v.verify("tok-b").display_name is None
    with pytest.raises(AuthError, match="unknown token"):
        v.verify("tok-c")
    j = StaticTokenVerifier.from_text(json.dumps({"t1": {"email": "c@example.org", "display_name": "C"}}))
    assert j.verify("t1").display_name == "C"
    j2 = StaticTokenVerifier.from_text(json.dumps([{"token": "t2", "email": "d@example.org", "firstname": "D"}]))
    assert j2.verify("t2").firstname == "D"


@pytest.mark.parametrize("text", ["justatoken\n", "tok not-an-email\n", '[{"token": "x"}]'])
def test_static_token_file_errors_name_the_line(text):
    with pytest.raises(ValueError, match="token file"):
        StaticTokenVerifier.from_text(text)


@pytest.mark.parametrize(
    "header, token",
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER x.y.z", "x.y.z")],
)
def test_bearer_token_reads_the_header(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "])
def test_bearer_token_refuses_other_headers(header):
    with pytest.raises(AuthError):
        bearer_token(header)
