"""Wire schemas of the events API (pydantic v2): the OpenAPI document is built from them.

Request bodies are parsed into these models; a body that is not JSON, has a wrong type
or misses a required field is a 400 ``invalid_json``. The events API's bodies are
*strict* (:class:`_Body`): JSON types are taken as they are, never coerced, so
``"yes"``, ``1`` or ``"true"`` for a boolean and ``5`` for a string are refused with the
field named. Only what the wire format itself spells as a string is converted: RFC 3339
date-times (inside ``DateTimeTz``) and UUIDs (``invitee``). Rules on values that parse
(title length, end before start, unknown zone, recurrence limits) belong to the service
and come back as 422 ``validation_failed``.

Responses are built as plain dicts by :mod:`opentalk_sched.api.present` (optional fields
omitted, never ``null``); the response models here document that shape, and the tests
validate every response body against them. ``Omitted[T]`` marks a field that may be
missing but is never ``null``.

Times on the wire are ``DateTimeTz``: ``{"datetime": "2025-03-10T08:00:00Z",
"timezone": "Europe/Berlin"}``: the UTC instant and the IANA zone it is meant in.
All-day values are midnight UTC of the date; floating (imported) values are shown as UTC
with ``"timezone": "UTC"``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

T = TypeVar("T")

#: a field that is left out of the JSON when it has no value (never ``null``)
Omitted = Annotated[Union[T, SkipJsonSchema[None]], Field(default=None)]


def _text_only(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("must be an RFC 3339 date-time string")
    return v


#: an RFC 3339 timestamp with offset (``2025-03-10T08:00:00Z``); numbers are refused
WireInstant = Annotated[AwareDatetime, BeforeValidator(_text_only)]

InviteStatusName = Literal["pending", "accepted", "tentative", "declined"]
UserRoleName = Literal["user", "moderator"]
InstanceStatusName = Literal["ok", "cancelled"]


def _valid_text(v: Any) -> Any:
    """Refuse lone surrogates (``"\\udcff"``): JSON can spell them, UTF-8 cannot store them."""
    if isinstance(v, str):
        v.encode("utf-8")  # UnicodeEncodeError is a ValueError: a 400 invalid_json
    elif isinstance(v, (list, tuple)):
        for item in v:
            _valid_text(item)
    return v


class _In(BaseModel):
    """Request bodies: unknown fields are ignored (as the reference does); text must be
    valid Unicode."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_unicode(cls, v: Any) -> Any:
        return _valid_text(v)


class _Body(_In):
    """Request bodies of the events API: strict JSON types (no ``"yes"`` → ``True``,
    no ``1`` → ``True``, no ``"5"`` → ``5``); a wrong type is a 400 ``invalid_json``
    naming the field. Fields that the wire spells as strings (date-times, UUIDs) opt out
    with ``Field(strict=False)``."""

    model_config = ConfigDict(extra="ignore", strict=True)


#: a UUID as the wire spells it: a string (strict mode would take only UUID objects)
WireUuid = Annotated[uuid.UUID, Field(strict=False)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- shared pieces -------------------------------------------------------------------------


class DateTimeTz(_Body):
    """A point in time and the zone it is meant in.

    ``datetime``: RFC 3339 with offset; answers always use UTC (``Z``). ``timezone``: an
    IANA name (``Europe/Berlin``); an unknown name is 422 ``unknown_timezone``.
    """

    datetime: Annotated[WireInstant, Field(strict=False)]  # an RFC 3339 string, parsed
    timezone: str = Field(examples=["Europe/Berlin"])


class DateTimeTzOut(_Out):
    datetime: str = Field(examples=["2025-03-10T08:00:00Z"], json_schema_extra={"format": "date-time"})
    timezone: str = Field(examples=["Europe/Berlin"])


class PublicUserProfile(_Out):
    id: uuid.UUID
    email: str
    title: str
    firstname: str
    lastname: str
    display_name: str
    avatar_url: str


class EventRoomInfo(_Out):
    id: uuid.UUID
    password: Omitted[str]
    waiting_room: bool


class RegisteredInviteeProfile(PublicUserProfile):
    kind: Literal["registered"]
    role: UserRoleName


class EmailInviteeProfile(_Out):
    kind: Literal["email"]
    email: str
    avatar_url: str


class EventInvitee(_Out):
    profile: Annotated[Union[RegisteredInviteeProfile, EmailInviteeProfile], Field(discriminator="kind")]
    status: InviteStatusName


class ErrorEntry(_Out):
    field: str
    code: str
    message: str


class ErrorBody(_Out):
    """Every error answer."""

    code: str = Field(examples=["not_found"])
    message: str
    validation_errors: Omitted[list[ErrorEntry]]


# -- resources -----------------------------------------------------------------------------


class _EventCommon(_Out):
    id: uuid.UUID
    created_by: PublicUserProfile
    created_at: _dt.datetime
    updated_by: PublicUserProfile
    updated_at: _dt.datetime
    title: str
    description: str
    room: Omitted[EventRoomInfo]
    invitees_truncated: bool
    invitees: list[EventInvitee]
    is_adhoc: bool
    invite_status: InviteStatusName
    is_favorite: bool
    can_edit: bool


class TimeIndependentEvent(_EventCommon):
    """An event without dates."""

    type: Literal["single"]
    is_time_independent: Literal[True]


class TimedEvent(_EventCommon):
    """An event with dates; ``starts_at``/``ends_at`` are the first occurrence."""

    is_time_independent: Literal[False]
    type: Literal["single", "recurring"]
    is_all_day: bool
    starts_at: DateTimeTzOut
    ends_at: DateTimeTzOut
    recurrence_pattern: Omitted[list[str]]


EventResource = Annotated[Union[TimeIndependentEvent, TimedEvent], Field(union_mode="left_to_right")]


class InstanceResource(_Out):
    """One occurrence, exceptions applied. ``id`` is ``<event_id>_<instance_id>``."""

    id: str = Field(examples=["0f3b1c7e-2a55-4a4b-9c61-6f8e4a2d9b10_20250310T080000Z"])
    recurring_event_id: uuid.UUID
    instance_id: str = Field(examples=["20250310T080000Z"])
    created_by: PublicUserProfile
    created_at: _dt.datetime
    updated_by: PublicUserProfile
    updated_at: _dt.datetime
    title: str
    description: str
    room: Omitted[EventRoomInfo]
    invitees_truncated: bool
    invitees: list[EventInvitee]
    is_all_day: bool
    starts_at: DateTimeTzOut
    ends_at: DateTimeTzOut
    type: Literal["instance"]
    status: InstanceStatusName
    invite_status: InviteStatusName
    is_favorite: bool
    can_edit: bool


class ExceptionResource(_Out):
    """A changed or cancelled occurrence, listed after its series in ``GET /v1/events``.

    Only the fields the exception overrides are present.
    """

    id: str
    recurring_event_id: uuid.UUID
    instance_id: str
    created_by: PublicUserProfile
    created_at: _dt.datetime
    updated_by: PublicUserProfile
    updated_at: _dt.datetime
    title: Omitted[str]
    description: Omitted[str]
    is_all_day: Omitted[bool]
    starts_at: Omitted[DateTimeTzOut]
    ends_at: Omitted[DateTimeTzOut]
    original_starts_at: DateTimeTzOut
    type: Literal["exception"]
    status: InstanceStatusName
    can_edit: bool


EventOrException = Annotated[
    Union[TimeIndependentEvent, TimedEvent, ExceptionResource], Field(union_mode="left_to_right")
]


class PendingInvites(_Out):
    total_pending_invites: int


class RoomEvent(_Out):
    id: uuid.UUID
    title: str
    is_adhoc: bool


# -- request bodies ------------------------------------------------------------------------


class PostEventBody(_Body):
    """``POST /v1/events``. A timed event needs ``is_all_day``, ``starts_at``, ``ends_at``
    (400 ``invalid_json`` naming the missing ones); all-day values are midnight in their zone. ``recurrence_pattern``:
    at most 4 RRULE/RDATE/EXRULE/EXDATE lines (SPEC §2). ``password``, ``is_all_day``,
    ``starts_at`` and ``ends_at`` may be ``null``, meaning not given (as the reference's
    optional fields); ``null`` anywhere else is a wrong type."""

    title: str
    description: str = ""
    password: str | None = None
    waiting_room: bool = False
    is_time_independent: bool = False
    is_all_day: bool | None = None
    starts_at: DateTimeTz | None = None
    ends_at: DateTimeTz | None = None
    recurrence_pattern: list[str] = Field(default_factory=list)
    is_adhoc: bool = False


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _absent(**extra: Any) -> Any:
    """A field that may be left out but is never ``null``.

    Left out, it is ``None`` in the model and not in ``model_fields_set`` (PATCH: absent =
    unchanged); sent as ``null`` it is a wrong type, 400 ``invalid_json`` (SPEC §2 names
    one null, ``password: null``, which stays ``str | None``). The schema shows the plain
    type without a ``null`` default."""

    def schema_extra(schema: dict[str, Any]) -> None:
        _no_default(schema)
        schema.update(extra)

    return Field(None, json_schema_extra=schema_extra)


class PatchEventBody(_Body):
    """``PATCH /v1/events/{id}``: absent fields stay unchanged. ``password: null`` removes
    the room password; ``null`` for any other field is a wrong type (400
    ``invalid_json``). ``recurrence_pattern: []`` removes the recurrence; only
    ``starts_at`` keeps the duration. ``{}`` changes nothing (204)."""

    title: str = _absent()
    description: str = _absent()
    password: str | None = None
    waiting_room: bool = _absent()
    is_time_independent: bool = _absent()
    is_all_day: bool = _absent()
    starts_at: DateTimeTz = _absent()
    ends_at: DateTimeTz = _absent()
    recurrence_pattern: list[str] = _absent()
    is_adhoc: bool = _absent()


class PatchInstanceBody(_Body):
    """``PATCH /v1/events/{id}/instances/{instance_id}``: absent fields stay unchanged,
    ``null`` is a wrong type (400 ``invalid_json``); ``{}`` changes nothing (204)."""

    title: str = _absent()
    description: str = _absent()
    is_all_day: bool = _absent()
    starts_at: DateTimeTz = _absent()
    ends_at: DateTimeTz = _absent()
    status: InstanceStatusName = _absent()


def _role(default: str | None, allowed: tuple[str, ...]) -> Any:
    """A role field: any string on input (the service answers 422 ``invalid_role`` for
    others), the allowed names documented as the schema's enum."""
    return Field(default, json_schema_extra={"enum": list(allowed)})


class PostInviteBody(_Body):
    """``POST /v1/events/{id}/invites``: a registered user by id (``invitee``; ``role``
    user or moderator, default user) or an address (``email``; ``role`` guest or
    moderator, default guest; 422 ``invalid_email``). Exactly one of ``invitee`` and
    ``email``: both, or neither, is 400 ``invalid_json``."""

    model_config = ConfigDict(
        extra="ignore", strict=True,
        json_schema_extra={"oneOf": [{"required": ["invitee"]}, {"required": ["email"]}]},
    )

    # one flat model, not a union of the two shapes: a wrong type then names its field
    # ("role: Input should be a valid string") instead of how each alternative failed

    invitee: WireUuid = _absent()
    email: str = _absent()
    role: str = _absent(enum=["user", "moderator", "guest"])

    @model_validator(mode="after")
    def _names_one_invitee(self) -> "PostInviteBody":
        if self.invitee is None and self.email is None:
            raise PydanticCustomError("invitee_missing", "give invitee (a user id) or email")
        if self.invitee is not None and self.email is not None:
            raise PydanticCustomError("invite_target", "give either invitee or email, not both")
        return self

    @property
    def default_role(self) -> str:
        """The role when none is given: ``user`` for users, ``guest`` for addresses."""
        return "user" if self.invitee is not None else "guest"


class PatchUserInviteBody(_Body):
    role: str = _role(..., ("user", "moderator"))


class PatchEmailInviteBody(_Body):
    """Without ``role`` nothing changes; ``role: null`` is a wrong type."""

    email: str
    role: str = _absent(enum=["guest", "moderator"])


class DeleteEmailInviteBody(_Body):
    email: str


class AcceptInviteBody(_Body):
    """Optional body of ``PATCH /v1/events/{id}/invite``; no body means accepted."""

    status: Literal["accepted", "tentative"] = "accepted"
