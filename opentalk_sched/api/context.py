"""Request context: the service, the verifier and the calling user, as FastAPI dependencies.

The routers are plain module-level :class:`fastapi.APIRouter` objects, so an application
mounts them like any other (``app.include_router(router, prefix="/v1")``). What they
need at request time lives on ``app.state`` and is put there by :func:`install`:

* ``app.state.opentalk_service``: the :class:`~opentalk_sched.service.Service`;
* ``app.state.opentalk_verifier``: a :class:`~opentalk_sched.api.auth.TokenVerifier`.

:func:`caller_id` reads ``Authorization: Bearer <token>``, asks the verifier and maps
the identity to a user id, creating the user on first use (the service's
``get_or_create_user_by_subject``: by subject, else by email, else new). Verified
tokens are remembered for a short time (default 60 s, never past the token's own
expiry), so a busy client does not pay for a signature check and a user lookup on
every request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .auth import AuthError, Identity, TokenVerifier, bearer_token

#: documents the bearer scheme in the OpenAPI document (the check itself is ours)
bearer_scheme = HTTPBearer(auto_error=False, description="An OIDC access token, or a token from --tokens")


class CallerCache:
    """Token → user id for ``ttl`` seconds, at most ``size`` entries (LRU)."""

    def __init__(self, ttl: float = 60.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[str, tuple[float, uuid.UUID]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> uuid.UUID | None:
        if self.ttl <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(token)
            if hit is None:
                return None
            if hit[0] < now:
                del self._items[token]
                return None
            self._items.move_to_end(token)
            return hit[1]

    def put(self, token: str, user_id: uuid.UUID, ttl: float | None = None) -> None:
        if self.ttl <= 0:
            return
        expires = time.monotonic() + min(self.ttl, ttl if ttl is not None else self.ttl)
        with self._lock:
            self._items[token] = (expires, user_id)
            self._items.move_to_end(token)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def install(app: Any, service: Any, verifier: TokenVerifier, *, cache_seconds: float = 60.0) -> None:
    """Put the service and verifier where the routers find them."""
    app.state.opentalk_service = service
    app.state.opentalk_verifier = verifier
    app.state.opentalk_callers = CallerCache(cache_seconds)


async def get_service(request: Request):
    """The service of the app (``RuntimeError`` when :func:`install` was not called).

    Async on purpose (as is :func:`caller_id`): FastAPI runs sync dependencies in the
    thread pool, and a hop per dependency is measurable on a busy server."""
    try:
        return request.app.state.opentalk_service
    except AttributeError:  # pragma: no cover - a wiring bug, not a client error
        raise RuntimeError("opentalk_sched.api.context.install(app, service, verifier) was not called") from None


async def get_store(request: Request):
    """The store behind the service (for routers that read it directly)."""
    return (await get_service(request)).store


def _token_ttl(identity: Identity) -> float | None:
    exp = getattr(identity, "expires_at", None)
    return None if exp is None else exp - time.time()


async def caller_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> uuid.UUID:
    """The calling user's id. Raises :class:`AuthError` (401) without a valid token.

    A remembered token costs a dict lookup; otherwise the verifier (which may fetch the
    issuer's keys) and the user lookup run in the thread pool."""
    token = bearer_token(request.headers.get("authorization"))
    state = request.app.state
    cache: CallerCache = state.opentalk_callers
    user_id = cache.get(token)
    if user_id is not None:
        return user_id
    return await run_in_threadpool(_resolve, state, token)


def _resolve(state: Any, token: str) -> uuid.UUID:
    cache: CallerCache = state.opentalk_callers
    identity = state.opentalk_verifier.verify(token)
    if not isinstance(identity, Identity):  # pragma: no cover - a verifier bug
        raise AuthError("the token verifier returned no identity")
    user = state.opentalk_service.get_or_create_user_by_subject(
        identity.subject, email=identity.email, display_name=identity.display_name,
        firstname=identity.firstname, lastname=identity.lastname,
    )
    cache.put(token, user.id, _token_ttl(identity))
    return user.id


Caller = Annotated[uuid.UUID, Depends(caller_id)]
ServiceDep = Annotated[Any, Depends(get_service)]

__all__ = ["install", "get_service", "get_store", "caller_id", "Caller", "ServiceDep", "CallerCache", "bearer_scheme"]
