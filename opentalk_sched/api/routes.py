"""All routes of the events API in one router, in the order they must be matched.

Mount it under ``/v1``: ``app.include_router(router, prefix="/v1")`` (see
:mod:`opentalk_sched.api.app` for what else the app needs). The calendar view
(``/events/instances``) comes before ``/events/{event_id}``, and ``/invites/email``
before ``/invites/{user_id}`` (SPEC §2).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import events, favorites, feeds, instances, invites

router = APIRouter()
router.include_router(instances.router)
router.include_router(events.router)
router.include_router(invites.router)
router.include_router(favorites.router)
router.include_router(feeds.router)

__all__ = ["router"]
