"""Bearer-token authentication for the events API: who is calling?

The API does not know how tokens are issued. It asks a *verifier* (anything with
``verify(token) -> Identity``) and turns the answer into a user of the service. Two
verifiers are built in:

* :class:`OidcVerifier`: an OpenID Connect access token (a JWT) signed by the issuer's
  key, checked against the issuer's JWKS (RFC 7517) for signature, ``iss``, ``aud`` and
  ``exp`` (RFC 7519 §4.1). The JWKS can be fetched from a URL (cached; refreshed when a
  token names an unknown ``kid``), discovered from the issuer's
  ``/.well-known/openid-configuration`` or injected as a dict (tests, air-gapped use).
* :class:`StaticTokenVerifier`: a file of fixed tokens for local use and demos, either
  JSON or one ``token email [display name]`` per line.

    >>> v = StaticTokenVerifier.from_text("s3cret alice@example.org Alice Example")
    >>> v.verify("s3cret").email
    'alice@example.org'

A verifier raises :class:`AuthError` for a missing, malformed, expired or otherwise
invalid token (the API answers 401 with ``WWW-Authenticate: Bearer``), and
:class:`AuthUnavailable` when it cannot check a token at all (the issuer's JWKS cannot
be fetched; the API answers 503). Users named by a valid token that the service has
never seen are created on first use, as the OpenTalk controller does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

__all__ = [
    "Identity", "TokenVerifier", "AuthError", "AuthUnavailable", "OidcVerifier", "StaticTokenVerifier",
    "bearer_token",
]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a valid token names.

    ``subject`` is stable per user and issuer (the JWT ``sub``; the token file's email);
    ``email`` is lowercased. The name fields are ``None`` when the token has no such
    claim. ``issuer`` is the JWT ``iss`` (``None`` for static tokens); ``expires_at`` the
    JWT ``exp`` (Unix seconds; ``None`` for tokens that do not expire).
    """

    subject: str
    email: str
    display_name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    issuer: str | None = None
    expires_at: float | None = None


class AuthError(Exception):
    """The request carries no usable bearer token (HTTP 401 ``unauthorized``)."""

    code = "unauthorized"

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message)
        self.message = message


class AuthUnavailable(AuthError):
    """The verifier cannot check tokens right now (HTTP 503 ``auth_unavailable``)."""

    code = "auth_unavailable"


@runtime_checkable
class TokenVerifier(Protocol):
    """Anything that turns a bearer token into an :class:`Identity`.

    ``verify`` is called from a worker thread (it may block on network I/O) and raises
    :class:`AuthError` for any token it does not accept.
    """

    def verify(self, token: str) -> Identity:  # pragma: no cover - protocol
        ...


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1).

    Raises :class:`AuthError` when the header is missing, uses another scheme or is empty.
    """
    if not authorization:
        raise AuthError("missing Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()


# -- OpenID Connect ------------------------------------------------------------------------


class OidcVerifier:
    """Verify OIDC access tokens (JWTs) against the issuer's JWKS.

    ``issuer``: the expected ``iss`` (exact string match). ``audience``: the expected
    ``aud`` (a string or several; ``None`` skips the audience check, which is only sane
    for issuers that do not set it). Key material, first that applies:

    * ``jwks``: a JWKS dict (``{"keys": [...]}``) given directly;
    * ``jwks_url``: fetched with :class:`jwt.PyJWKClient`, cached for
      ``cache_seconds`` and refetched when a token names an unknown ``kid`` (at most
      once per ``refresh_cooldown`` seconds, so junk tokens cannot hammer the issuer);
    * otherwise ``<issuer>/.well-known/openid-configuration`` names the ``jwks_uri``.

    ``exp`` and ``iss`` must be present; ``leeway`` seconds of clock skew are allowed.
    Claims used for the identity: ``sub``, ``email`` (required), ``name`` or
    ``preferred_username``, ``given_name``, ``family_name``.
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Iterable[str] | None,
        *,
        jwks: Mapping[str, Any] | None = None,
        jwks_url: str | None = None,
        algorithms: Iterable[str] = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256"),
        leeway: float = 30.0,
        cache_seconds: int = 300,
        refresh_cooldown: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        import jwt  # PyJWT, from the ``server`` extra

        self._jwt = jwt
        self.issuer = issuer
        self.audience = audience if audience is None or isinstance(audience, str) else list(audience)
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._cooldown = refresh_cooldown
        self._lock = threading.Lock()
        self._keyset = jwt.PyJWKSet.from_dict(dict(jwks)) if jwks is not None else None
        self._client = None
        self._jwks_url = jwks_url

    def _signing_key(self, token: str):
        jwt = self._jwt
        if self._keyset is not None:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.PyJWTError as exc:
                raise AuthError(f"malformed token: {exc}") from exc
            keys = [k for k in self._keyset.keys if kid is None or k.key_id == kid]
            if not keys:
                raise AuthError("token is signed with an unknown key")
            return keys[0].key
        client = self._jwks_client()
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthUnavailable(f"cannot fetch the issuer's keys: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"token is signed with an unknown key: {exc}") from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {exc}") from exc

    def _jwks_client(self):
        with self._lock:
            if self._client is None:
                url = self._jwks_url or self._discover()
                kw = dict(cache_keys=False, lifespan=self._cache_seconds, timeout=self._timeout)
                try:
                    self._client = self._jwt.PyJWKClient(url, cooldown_duration=self._cooldown, **kw)
                except TypeError:  # PyJWT < 2.10 has no refresh cooldown
                    self._client = self._jwt.PyJWKClient(url, **kw)
            return self._client

    def _discover(self) -> str:
        import urllib.request

        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as resp:  # noqa: S310 - issuer URL is configuration
                return json.load(resp)["jwks_uri"]
        except Exception as exc:  # network errors, bad JSON, missing key
            raise AuthUnavailable(f"OIDC discovery at {url} failed: {exc}") from exc

    def verify(self, token: str) -> Identity:
        """Check signature, ``iss``, ``aud``, ``exp`` (and ``nbf``/``iat`` when present).

        Raises :class:`AuthError` naming what failed, :class:`AuthUnavailable` when the
        keys cannot be fetched.
        """
        jwt = self._jwt
        key = self._signing_key(token)
        options = {"require": ["exp", "iss", "sub"], "verify_aud": self.audience is not None}
        try:
            claims = jwt.decode(
                token, key, algorithms=self.algorithms, audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options=options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("token audience does not match") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("token issuer does not match") from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise AuthError("token has no email claim")
        name = claims.get("name") or claims.get("preferred_username")
        return Identity(
            subject=str(claims["sub"]),
            email=email.strip().lower(),
            display_name=name if isinstance(name, str) else None,
            firstname=_str_or_none(claims.get("given_name")),
            lastname=_str_or_none(claims.get("family_name")),
            issuer=str(claims["iss"]),
            expires_at=float(claims["exp"]),
        )


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


# -- static tokens -------------------------------------------------------------------------


class StaticTokenVerifier:
    """Fixed tokens for local use: ``{token: Identity}``.

    Build it from a file with :meth:`from_file`, from text with :meth:`from_text`. The
    identity's ``subject`` is the email, so the same person keeps the same user when a
    token is rotated. Token comparison does not leak through timing (tokens are looked
    up by their SHA-256 digest).
    """

    def __init__(self, tokens: Mapping[str, Identity]) -> None:
        self._by_digest = {_digest(t): ident for t, ident in tokens.items()}

    def verify(self, token: str) -> Identity:
        """The identity of ``token``; raises :class:`AuthError` for an unknown one."""
        ident = self._by_digest.get(_digest(token))
        if ident is None:
            raise AuthError("unknown token")
        return ident

    @classmethod
    def from_file(cls, path: str | Path) -> "StaticTokenVerifier":
        """Read a token file (see :meth:`from_text`). Raises ``OSError`` / ``ValueError``."""
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_text(cls, text: str) -> "StaticTokenVerifier":
        """Parse token-file text. Two forms:

        * JSON: ``{"<token>": {"email": ..., "display_name": ...}, ...}`` or a list
          ``[{"token": ..., "email": ..., "display_name"?: ..., "firstname"?: ...,
          "lastname"?: ...}]``;
        * lines ``token email [display name...]``; blank lines and ``#`` comments skipped.

        Raises ``ValueError`` naming the line or entry that cannot be read.
        """
        stripped = text.lstrip()
        tokens: dict[str, Identity] = {}
        if stripped.startswith(("{", "[")):
            data = json.loads(text)
            entries = (
                [{"token": k, **v} for k, v in data.items()] if isinstance(data, dict) else list(data)
            )
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict) or not entry.get("token") or "@" not in str(entry.get("email", "")):
                    raise ValueError(f"token file entry {i}: needs 'token' and 'email'")
                email = str(entry["email"]).strip().lower()
                tokens[str(entry["token"])] = Identity(
                    subject=email, email=email, display_name=entry.get("display_name"),
                    firstname=entry.get("firstname"), lastname=entry.get("lastname"),
                )
            return cls(tokens)
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 2 or "@" not in parts[1]:
                raise ValueError(f"token file line {n}: expected 'token email [display name]'")
            email = parts[1].lower()
            tokens[parts[0]] = Identity(subject=email, email=email, display_name=parts[2] if len(parts) > 2 else None)
        return cls(tokens)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
