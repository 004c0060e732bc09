"""The CalDAV push's pure parts: content hashing and comparison, retry timing, the state tables."""

from __future__ import annotations

import sqlite3

import pytest

from opentalk_sched.caldav import InvalidPolicy, RetryPolicy, SyncState, content_hash, same_content, sync_to_caldav
from opentalk_sched.caldav.errors import StateSchemaError
from opentalk_sched.caldav.retry import parse_retry_after
from opentalk_sched.caldav.state import CONFLICT, ItemState
from opentalk_sched.store import SqliteStore

EVENT = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//A//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
    b"DTSTAMP:20250101T000000Z\r\nLAST-MODIFIED:20250101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20250310T090000\r\n"
    b"DTEND;TZID=Europe/Berlin:20250310T100000\r\nSUMMARY:Planning with a long title that needs folding at 75 octets\r\n"
    b"ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:a@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_content_hash_ignores_dtstamp_and_folding_only():
    restamped = EVENT.replace(b"DTSTAMP:20250101", b"DTSTAMP:20990101")
    folded = EVENT.replace(b"SUMMARY:Planning with a long", b"SUMMARY:Planning with a\r\n  long")
    assert content_hash(restamped) == content_hash(EVENT) == content_hash(folded)
    assert content_hash(EVENT.replace(b"SUMMARY:Planning", b"SUMMARY:Planing")) != content_hash(EVENT)
    assert content_hash(EVENT.replace(b"LAST-MODIFIED:2025", b"LAST-MODIFIED:2026")) != content_hash(EVENT)


def test_same_content_ignores_order_prodid_last_modified_dtstamp():
    lines = EVENT.split(b"\r\n")
    reordered = b"\r\n".join(lines[:4] + list(reversed(lines[4:10])) + lines[10:])
    rewritten = (reordered.replace(b"PRODID:-//A//EN", b"PRODID:-//Server//EN")
                 .replace(b"LAST-MODIFIED:20250101", b"LAST-MODIFIED:20300101")
                 .replace(b"ROLE=CHAIR;PARTSTAT=ACCEPTED", b"PARTSTAT=ACCEPTED;ROLE=CHAIR"))
    assert same_content(EVENT, rewritten)
    assert not same_content(EVENT, EVENT.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"))
    assert not same_content(EVENT, EVENT.replace(b"T090000", b"T091500"))
    assert not same_content(EVENT, b"not a calendar")


def test_retry_delays_double_up_to_the_cap_and_honour_retry_after():
    policy = RetryPolicy(attempts=5, base_delay=0.5, max_delay=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]
    assert policy.delay(1, retry_after=2.5) == 2.5 and policy.delay(1, retry_after=60) == 3
    assert parse_retry_after("7") == 7.0 and parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # a date in the past: now


def test_state_rows_round_trip_in_the_store_database(tmp_path):
    store = SqliteStore(tmp_path / "cal.db")               # autocommit connection, WAL
    state = SyncState(store.db)
    target = state.target("alice@example.com", "http://127.0.0.1:1/", "Work")
    assert state.target("alice@example.com", "http://127.0.0.1:1/", "Work").id == target.id
    assert state.target("alice@example.com", "http://127.0.0.1:1/", None).id != target.id
    row = ItemState(target.id, "e1", "/alice/work/e1.ics", '"abc"', 3, "h", remote_etag='"x"', status=CONFLICT)
    state.save_items([row], target=target.replace(collection_url="http://127.0.0.1:1/alice/work/", sync_token="t1"))
    store.close()
    again = SyncState(SqliteStore(tmp_path / "cal.db").db)
    assert again.items(target.id) == {"e1": row}
    assert again.items(target.id)["e1"].remote_changed
    assert again.target("alice@example.com", "http://127.0.0.1:1/", "Work").sync_token == "t1"
    again.delete_item(target.id, "e1")
    assert again.items(target.id) == {}


def test_state_refuses_a_newer_schema(tmp_path):
    SyncState(tmp_path / "s.db")
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute("UPDATE caldav_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    with pytest.raises(StateSchemaError) as info:
        SyncState(tmp_path / "s.db")
    assert info.value.code == "caldav_state_schema" and info.value.value == "99"


def test_unknown_policy_is_refused_before_any_request(tmp_path):
    with pytest.raises(InvalidPolicy) as info:
        sync_to_caldav(SqliteStore(tmp_path / "c.db"), "a@example.com", "http://127.0.0.1:9/", None, policy="mine")
    assert (info.value.code, info.value.field, info.value.value) == ("invalid_policy", "policy", "mine")
