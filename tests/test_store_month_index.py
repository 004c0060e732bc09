"""The persisted month index: a fresh process answers the calendar view from it, the
answers equal the engine's, and any write (or another engine / tzdata) makes it stale."""

from __future__ import annotations

import tempfile
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentalk_sched.core import Timeline
from opentalk_sched.core.timeline import sort_key
from opentalk_sched.service import CalendarQuery, CreateEvent, PatchEvent, PatchInstance, Service
from opentalk_sched.store import SqliteStore, month_index

from .test_service_fixtures import at, utc
from .test_store_window import events as generated_events

UTC = timezone.utc
MARCH = (utc(2025, 3, 1), utc(2025, 4, 1))


def test_entries_round_trip():
    rows = [
        (datetime(2025, 3, 10, 8), datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 9), False),
        (datetime(2025, 3, 11), datetime(2025, 3, 12), date(2025, 3, 11), True),
        (datetime(1969, 12, 31, 23, 59, 59), datetime(1970, 1, 1), datetime(1969, 12, 31, 23), False),
    ]
    assert month_index.decode(month_index.encode(rows)) == rows
    assert month_index.engine_key() == month_index.engine_key() and len(month_index.engine_key()) == 16


def _calendar(tmp: Path, n: int = 12):
    store = SqliteStore(tmp / "cal.db")
    service = Service(store)
    me = service.create_user("me@example.com")
    ids = []
    for i in range(n):
        rule = ("FREQ=DAILY",) if i % 3 == 0 else ("FREQ=WEEKLY;BYDAY=MO,TH",) if i % 3 == 1 else ()
        ev = service.create_event(me.id, CreateEvent(
            f"e{i}", is_all_day=False, starts_at=at(2025, 2, 1 + i, 8 + i % 5), ends_at=at(2025, 2, 1 + i, 9 + i % 5),
            recurrence_pattern=rule))
        ids.append(ev.id)
    service.patch_instance(me.id, ids[0], "20250305T080000Z", PatchInstance(status="cancelled"))
    service.patch_instance(me.id, ids[3], "20250311T110000Z", PatchInstance(title="moved",
                                                                          starts_at=at(2025, 3, 29, 6)))
    store.close()
    return me.id, ids


def _page(path: Path, me, per_page=100, after=None):
    store = SqliteStore(path)
    try:
        page = Service(store).list_instances(me, CalendarQuery(*MARCH, per_page=per_page, after=after))
        return [(i.id, i.title, i.starts_at, i.ends_at, i.status) for i in page.items], page.next_cursor, store
    finally:
        store.close()


def _all(path: Path, me) -> list:
    out, cursor = [], None
    while True:
        items, cursor, _s = _page(path, me, per_page=100, after=cursor)
        out.extend(items)
        if cursor is None:
            return out


def _index_rows(path: Path) -> int:
    store = SqliteStore(path)
    try:
        return store.db.execute("SELECT COUNT(*) FROM month_index").fetchone()[0]
    finally:
        store.close()


def test_a_fresh_process_answers_from_the_index(tmp_path):
    me, ids = _calendar(tmp_path)
    db = tmp_path / "cal.db"
    assert _index_rows(db) == 0
    first = _all(db, me)
    assert _index_rows(db) > 0
    store = SqliteStore(db)
    page = Service(store).list_instances(me, CalendarQuery(*MARCH, per_page=5))
    assert len(page.items) == 5
    assert len(store.series_cache) <= 5  # only the page's events were compiled
    store.close()
    again = _all(db, me)
    assert again == first and len(first) > 100
    assert [s.value for *_x, s in first].count("cancelled") == 0 and any(t == "moved" for _i, t, *_r in first)


def test_paging_through_the_index_equals_one_page(tmp_path):
    me, _ids = _calendar(tmp_path)
    db = tmp_path / "cal.db"
    whole = _all(db, me)
    got, cursor = [], None
    while True:
        items, cursor, _s = _page(db, me, per_page=7, after=cursor)
        got.extend(items)
        if cursor is None:
            break
    assert got == whole


def test_writes_make_index_rows_stale(tmp_path):
    me, ids = _calendar(tmp_path)
    db = tmp_path / "cal.db"
    before = _all(db, me)
    store = SqliteStore(db)
    Service(store).patch_event(me, ids[0], PatchEvent(title="renamed"))
    assert store.db.execute("SELECT COUNT(*) FROM month_index WHERE event_id = ?", (str(ids[0]),)).fetchone()[0] == 0
    Service(store).delete_event(me, ids[1])
    store.close()
    after = _all(db, me)
    assert {t for _i, t, *_r in after} >= {"renamed"} and "e0" not in {t for _i, t, *_r in after}
    assert not any(i.startswith(str(ids[1])) for i, *_r in after)
    assert len(after) < len(before)


def test_another_engine_or_tzdata_is_not_trusted(tmp_path, monkeypatch):
    me, _ids = _calendar(tmp_path)
    db = tmp_path / "cal.db"
    first, _c, _s = _page(db, me)
    monkeypatch.setattr(month_index, "engine_key", lambda: "other-engine")
    store = SqliteStore(db)
    page = Service(store).list_instances(me, CalendarQuery(*MARCH, per_page=5))
    assert len(store.series_cache) == 8  # every candidate recompiled (the four singles are in February)
    assert store.db.execute("SELECT COUNT(DISTINCT engine) FROM month_index").fetchone()[0] == 1
    assert store.db.execute("SELECT engine FROM month_index LIMIT 1").fetchone()[0] == "other-engine"
    store.close()
    assert [i.id for i in page.items] == [i for i, *_r in first[:5]]


@settings(deadline=None, max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=st.lists(generated_events(), min_size=1, max_size=6), offset=st.integers(0, 700),
       length=st.integers(1, 60))
def test_index_answers_equal_the_engine(calendar, offset, length):
    lo = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=6 * offset)
    hi = lo + timedelta(days=length)
    me = uuid.uuid4()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cal.db"
        store = SqliteStore(db)
        for ev in calendar:
            ev.created_by = me
            store.save_event(ev)
        store.close()
        want = [(f"{i.event.id}_{i.instance_id}", i.title) for i in sorted(
            Timeline(calendar).overlapping(lo, hi, UTC), key=lambda i: (*sort_key(i, UTC), str(i.recurrence_id)))]
        for _round in range(2):  # the first fills the index, the second reads it
            store = SqliteStore(db)
            page = Service(store).list_instances(me, CalendarQuery(lo, hi, per_page=100, tz="UTC"))
            store.close()
            got = [(i.id, i.title) for i in page.items]
            assert got == want[:100]
