"""A person's first login arriving as several parallel requests (the HTTP layer calls
``get_or_create_user_by_subject`` for each verified token): every request gets the one
user, none fails with ``email_taken``, on both backends."""

from __future__ import annotations

import threading
import uuid

import pytest

from opentalk_sched.service import Service
from opentalk_sched.store import SqliteStore, User, is_duplicate_key

from .store_backends import INTEGRITY_ERRORS, backend_of, run_sql


class StaleLookups:
    """The store as a request sees it when another request creates the user right after
    this one looked: the first ``stale`` user look-ups (or all of them until this request
    tries to insert, with ``stale=None``) answer ``None``."""

    def __init__(self, store, stale: int | None) -> None:
        self._store = store
        self.stale = stale
        self.inserting = False

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _hidden(self) -> bool:
        if self.stale is None:
            return not self.inserting
        self.stale -= 1
        return self.stale >= 0

    def find_user_by_subject(self, subject):
        return None if self._hidden() else self._store.find_user_by_subject(subject)

    def find_user_by_email(self, email):
        return None if self._hidden() else self._store.find_user_by_email(email)

    def save_user(self, user):
        self.inserting = True
        return self._store.save_user(user)


@pytest.mark.parametrize("stale", [1, 2, 3, 4, None])
def test_a_user_created_by_a_racing_request_is_returned_not_refused(store, stale):
    """``stale=2`` is the reported race (both look-ups missed it, the insert's own check
    saw it: 422 ``email_taken``); ``None`` lets the insert meet the unique index."""
    other = Service(store).get_or_create_user_by_subject("oidc|1", email="New@example.com")
    racing = StaleLookups(store, stale)
    service = Service(racing)
    with store.transaction():  # the savepoint keeps the caller's transaction usable
        got = service.get_or_create_user_by_subject("oidc|1", email="new@example.com", display_name="New")
        store.save_user(User(uuid.uuid4(), "after@example.com"))
    assert got.id == other.id and got.subject == "oidc|1"
    assert run_sql(store, "SELECT count(*) FROM users WHERE email = ?", ("new@example.com",))[0][0] == 1
    assert store.find_user_by_email("after@example.com") is not None
    if stale is None:
        assert racing.inserting  # the unique index was met


def test_parallel_first_logins_get_one_user(store, tmp_path):
    if backend_of(store) == "sqlite":  # threads need a file (in-memory SQLite is one connection's)
        store = SqliteStore(tmp_path / "cal.db")
    service = Service(store)
    rounds, width = 5, 6
    for n in range(rounds):
        barrier = threading.Barrier(width)
        got, errors = [], []

        def login():
            barrier.wait()
            try:
                got.append(service.get_or_create_user_by_subject(f"oidc|{n}", email=f"p{n}@example.com").id)
            except Exception as err:  # reported below
                errors.append(err)

        threads = [threading.Thread(target=login) for _ in range(width)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(got) == width and len(set(got)) == 1
        assert store.find_user_by_subject(f"oidc|{n}").id == got[0]
    assert run_sql(store, "SELECT count(*) FROM users")[0][0] == rounds


def test_duplicate_key_errors_of_both_backends_are_recognised(store):
    store.save_user(User(uuid.uuid4(), "a@example.com"))
    with pytest.raises(INTEGRITY_ERRORS) as info:
        store.save_user(User(uuid.uuid4(), "a@example.com"))
    assert is_duplicate_key(info.value)
    assert not is_duplicate_key(ValueError("UNIQUE constraint failed"))
