"""Users: creation, lookup for the auth layer, profiles (SPEC §1 Invites, §2 Profiles).

* Emails are lowercased and unique; a user's ``subject`` (the identity provider's
  ``sub``) is unique when set; ``timezone`` is an IANA name (``UTC`` by default).
* When a user with an email appears (created, or their email changes), every email
  invite to that address becomes a user invite of that user: role ``guest`` → ``user``,
  ``moderator`` stays, the answer is kept (SPEC §1).
* :meth:`UserOperations.get_or_create_user_by_subject` is what the HTTP layer calls
  for each verified token: by subject, else by email (and the subject is recorded),
  else a new user.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from ..core import InviteRole
from ..store.base import is_duplicate_key
from ..store.records import User, UserInvite
from . import validation
from .errors import ValidationFailed
from .present import Presenting
from .validation import Errors
from .views import Profile

_PROFILE_FIELDS = ("display_name", "firstname", "lastname", "title", "avatar_url", "timezone")


def _taken(err: Exception) -> bool:
    """A user insert that lost a race: the store's unique index, or the service's own check."""
    if isinstance(err, ValidationFailed):
        return bool({"email_taken", "subject_taken"} & set(err.codes))
    return is_duplicate_key(err)


class UserOperations(Presenting):
    """User operations (mixed into the service)."""

    def _checked(self, errors: Errors, email: str, profile: dict) -> tuple[str, dict]:
        address = validation.email(errors, email)
        clean = {k: v for k, v in profile.items() if k in _PROFILE_FIELDS and v is not None}
        unknown = set(profile) - set(_PROFILE_FIELDS)
        if unknown:
            raise TypeError(f"unknown profile fields: {', '.join(sorted(unknown))}")
        for k in ("display_name", "firstname", "lastname", "title"):
            if k in clean:
                validation.text(errors, k, clean[k], 255)
        if "timezone" in clean:
            validation.zone(errors, clean["timezone"])
        return address, clean

    def create_user(self, email: str, *, subject: str | None = None, user_id: uuid.UUID | None = None,
                    **profile) -> User:
        """Create a user (``profile``: display_name, firstname, lastname, title,
        avatar_url, timezone) and turn email invites to the address into user invites.
        Raises ValidationFailed: ``email``/``invalid_email``, ``email``/``email_taken``,
        ``subject``/``subject_taken``, ``timezone``/``unknown_timezone``."""
        errors = Errors()
        address, clean = self._checked(errors, email, profile)
        errors.check()
        user = User(id=user_id or uuid.uuid4(), email=address, subject=subject, created_at=self.now(), **clean)
        with self.writing():
            if self.store.find_user_by_email(address) is not None:
                raise ValidationFailed.one("email", "email_taken", f"{address} already belongs to a user")
            if subject is not None and self.store.find_user_by_subject(subject) is not None:
                raise ValidationFailed.one("subject", "subject_taken", "the subject already belongs to a user")
            self.store.save_user(user)
            self.claim_email_invites(user)
        return user

    def claim_email_invites(self, user: User) -> int:
        """Turn email invites to ``user.email`` into user invites; returns how many."""
        n = 0
        with self.writing():
            for inv in self.store.email_invites_to(user.email):
                self.store.delete_email_invite(inv.event_id, inv.email)
                event = self.store.get_event(inv.event_id)
                if event is None or event.created_by == user.id:
                    continue
                if self.store.get_user_invite(inv.event_id, user.id) is None:
                    role = InviteRole.MODERATOR if inv.role is InviteRole.MODERATOR else InviteRole.USER
                    self.store.save_user_invite(UserInvite(
                        inv.event_id, user.id, role, inv.status, inv.created_by, inv.created_at, self.now()))
                    n += 1
        return n

    def get_user(self, user_id: uuid.UUID) -> User:
        """The user; NotFound otherwise."""
        return self.user(user_id)

    def get_profile(self, user_id: uuid.UUID) -> Profile:
        """``{id, email, title, firstname, lastname, display_name, avatar_url}``."""
        return self.profile(self.user(user_id))

    def find_user_by_email(self, email: str) -> User | None:
        return self.store.find_user_by_email(email.strip().lower())

    def get_or_create_user_by_email(self, email: str, **profile) -> User:
        """The user with this address, created (with ``profile``) when there is none."""
        found = self.find_user_by_email(email)
        if found is not None:
            return found
        try:
            return self.create_user(email, **profile)
        except ValidationFailed as err:
            if "email_taken" in err.codes:  # created meanwhile by another request
                again = self.find_user_by_email(email)
                if again is not None:
                    return again
            raise

    def get_or_create_user_by_subject(self, subject: str, *, email: str, **profile) -> User:
        """The user of an identity-provider subject: by subject, else by email (the
        subject is then recorded on that user), else a new user.

        Idempotent: a first login arriving as parallel requests gives each the same user.
        The look-ups and the insert are one transaction (PostgreSQL keeps the looked-up
        subject and email locked until it ends; SQLite writers queue); should the insert
        still meet a user created meanwhile (a unique-key failure, ``email_taken``,
        ``subject_taken``), that transaction (a savepoint inside the caller's) is rolled
        back and the look-up runs once more. Raises ValidationFailed like
        :meth:`create_user` for an invalid email or profile."""
        found = self.store.find_user_by_subject(subject)
        if found is not None:
            return found
        try:
            with self.writing():
                return self._user_by_subject(subject, email, profile)
        except Exception as err:
            if not _taken(err):
                raise
        with self.writing():  # created meanwhile by another request: look it up again
            return self._user_by_subject(subject, email, profile)

    def _user_by_subject(self, subject: str, email: str, profile: dict) -> User:
        found = self.store.find_user_by_subject(subject)
        if found is not None:
            return found
        by_email = self.find_user_by_email(email)
        if by_email is not None:
            if by_email.subject is None:
                by_email = replace(by_email, subject=subject)
                self.store.save_user(by_email)
            return by_email
        return self.create_user(email, subject=subject, **profile)

    def update_user(self, user_id: uuid.UUID, *, email: str | None = None, **profile) -> User:
        """Change profile fields (and the email: unique; invites to the new address are
        claimed)."""
        errors = Errors()
        with self.writing():
            user = self.user(user_id)
            address, clean = self._checked(errors, email if email is not None else user.email, profile)
            errors.check()
            if address != user.email:
                other = self.store.find_user_by_email(address)
                if other is not None and other.id != user.id:
                    raise ValidationFailed.one("email", "email_taken", f"{address} already belongs to a user")
            user = replace(user, email=address, **clean)
            self.store.save_user(user)
            self.claim_email_invites(user)
        return user
