"""The outcomes figures (core/outcomes.py) from seeded event histories, each value worked out by hand
below: a request confirmed solved whose close the kiosk heard of late, on a county clock two minutes
ahead; one reopened twice and then confirmed; one closed and never answered; one closed by the county
before it was ever accepted, then said "not solved"; one still queued; one outside the range; the
same resident asking again for the same service, their phone reused from the first; one filled in
with a worker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import feedback, drafts, outbox, outcomes, submissions
from core.actions import resident
from core.clock import iso
from core.db import write_transaction
from kiosk.db import get_db

T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
START, END = "2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00"
H = 3600


def at(hours: float) -> str:
    return iso(T0 + timedelta(hours=hours))


def save(db, saved_at: str, details: dict, filled_by: str = "resident") -> int:
    _, draft = resident.start_draft(db, "repairs", "zh_Hans_CN")
    draft.answers = {"what": "light", "where": "3号楼2单元", "danger": "no"}
    draft.personal = details
    with write_transaction(db, durable=True):
        saved = submissions.save_request(db, draft, "kiosk-1", filled_by=filled_by)
    with write_transaction(db):  # as if saved then (the queued event's own time does not enter any figure)
        db.execute("UPDATE requests SET requested_at = ? WHERE id = ?", [saved_at, saved.id])
    return saved.id


def event(db, request_id: int, state: str, when: str, **data) -> int:
    with write_transaction(db):
        return outbox.record(db, request_id, state, when, **data)


def close(db, request_id: int, heard: str, **data) -> int:
    return event(db, request_id, outbox.CLOSED, heard, status="closed", **data)


def say(db, request_id: int, close_event: int, solved: bool, when: str, rating: int | None = None) -> feedback.Answer:
    with write_transaction(db):
        given = feedback.answer(db, request_id, close_event, solved, "kiosk", "kiosk-1", at=when)
        if rating:
            feedback.rate(db, given.id, rating, at=when)
    return given


def seed(db) -> None:
    """The histories of the module's docstring, each worked out by hand in the test below."""
    phone = {"contact": "phone"}
    # A: saved at 0 h; the county closed it at 48 h by its own clock, which runs 120 s ahead
    # (updated 48 h + 120 s, offset +120 s), and the kiosk heard at 50 h; "yes" at 72 h, rated 5.
    a = save(db, at(0), {**phone, "phone": "13800138000"})
    event(db, a, outbox.ACCEPTED, at(1), service_request_id="C1")
    say(db, a, close(db, a, at(50), updated_datetime=at(48 + 120 / H), county_clock_offset=120.0), True, at(72), 5)
    # B: saved at 24 h; closed, heard at 34 h (no county time): 10 h; "no" at 36 h → B2, closed at 54 h,
    # "no", rated 1 → B3, closed at 74 h, "yes" at 84 h (60 h after B was saved), rated 3.
    b = save(db, at(24), {**phone, "phone": "13900000001"})
    event(db, b, outbox.ACCEPTED, at(25), service_request_id="C2")
    b2 = say(db, b, close(db, b, at(34)), False, at(36)).reopened_as
    event(db, b2, outbox.ACCEPTED, at(37), service_request_id="C3")
    b3 = say(db, b2, close(db, b2, at(54)), False, at(55), 1).reopened_as
    event(db, b3, outbox.ACCEPTED, at(56), service_request_id="C4")
    say(db, b3, close(db, b3, at(74)), True, at(84), 3)
    # C: saved at 48 h, closed, heard at 53 h: 5 h; never answered.
    c = save(db, at(48), {**phone, "phone": "13900000002"})
    close(db, c, at(53))
    # D: saved at 72 h, closed by the county before any "accepted" (heard at 74 h): 2 h; "no" at 76 h,
    # rated 2 → D2, not closed yet.
    d = save(db, at(72), {"contact": "centre", "name": "李四"})
    say(db, d, close(db, d, at(74)), False, at(76), 2)
    # E: saved at 96 h, only queued. F: saved before the range, closed. G: A's resident again, the same
    # service, the phone reused (with consent) from A's request. H: filled in with a worker, nothing about the person.
    save(db, at(96), {"contact": "centre"})
    f = save(db, "2026-10-15T00:00:00+00:00", {**phone, "phone": "13700000000"})
    close(db, f, "2026-10-16T00:00:00+00:00")
    save(db, at(120), {**phone, "phone": "13800138000", "reused": {**phone, "phone": "13800138000"}})
    save(db, at(121), {"contact": "centre"}, filled_by="worker")


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed(get_db())
        yield get_db()


def test_every_figure_as_worked_out_by_hand(seeded):
    found = outcomes.compute(seeded, START, END)
    assert found.received == 7                   # A B C D E G H (B2, B3, D2 reopen; F is before the range)
    assert found.closed_by_county == 4           # A B C D
    assert found.confirmed == 2                  # A, and B (on B3)
    assert found.said_not_solved == 3            # B twice, D once
    assert found.reopened == 2                   # B and D
    assert found.reopen_rate == 0.5              # 2 of the 4 the county closed
    assert found.awaiting_answer == 1            # C (D2 is not closed; B3 and A answered)
    assert (found.repeats, found.repeats_counted_of) == (1, 5)   # G repeats A; E and H have no phone or name
    # to the county's close: 48 h (A, by the county's clock less 120 s), 10 h, 5 h, 2 h
    assert found.to_county_close == outcomes.Times(4, 7.5 * H, 48 * H)   # median (5 + 10) / 2; p90 the 4th of 4
    # to the resident's "yes": 72 h (A), 60 h (B, on B3)
    assert found.to_confirmation == outcomes.Times(2, 66 * H, 72 * H)
    assert found.ratings == {5: 1, 4: 0, 3: 1, 2: 1, 1: 1} and found.rated == 4
    # three answers each; a phone or a name where given (the contact choice is not a field typed); G's phone reused
    assert found.fields == {"typed": 4 + 4 + 4 + 4 + 3 + 3, "reused": 1, "worker": 3}


def test_the_same_resident_is_the_same_phone_however_written_or_the_same_name_without_one():
    assert outcomes._who({"phone": "138 0013-8000"}) == outcomes._who({"phone": "13800138000", "name": "别的名字"})
    assert outcomes._who({"name": "李 四"}) == outcomes._who({"name": "李四"}) != outcomes._who({"name": "李五"})
    assert outcomes._who({"contact": "centre"}) is None


def test_the_close_time_is_held_between_saving_and_hearing_of_it(seeded):
    saved_at = T0
    heard = {"at": at(10), "data": {"updated_datetime": at(20), "county_clock_offset": 0}}
    assert outcomes.close_time(heard, saved_at) == T0 + timedelta(hours=10)          # not after the kiosk heard
    early = {"at": at(10), "data": {"updated_datetime": at(-5), "county_clock_offset": 0}}
    assert outcomes.close_time(early, saved_at) == T0                                 # not before it was saved
    skewed = {"at": at(10), "data": {"updated_datetime": at(8), "county_clock_offset": -3600.0}}
    assert outcomes.close_time(skewed, saved_at) == T0 + timedelta(hours=9)           # county 1 h behind
    bare = {"at": at(10), "data": {"updated_datetime": "garbage", "county_clock_offset": 5}}
    assert outcomes.close_time(bare, saved_at) == T0 + timedelta(hours=10)


def test_an_empty_range_has_no_rates_and_no_times(app):
    with app.app_context():
        found = outcomes.compute(get_db(), START, END)
    assert found.received == 0 and found.reopen_rate is None
    assert found.to_county_close == outcomes.Times(0, None, None) and found.rated == 0


def test_the_range_is_by_saving_and_excludes_its_end(seeded):
    assert outcomes.compute(seeded, at(0), at(24)).received == 1        # A only
    assert outcomes.compute(seeded, at(24), at(48)).received == 1       # B; its reopens are not new problems
    assert outcomes.compute(seeded, "2026-10-01T00:00:00+00:00", START).received == 1  # F


def test_the_status_pull_keeps_the_countys_clock_offset_with_the_close(app, county):
    from .sync_helpers import FakeClock, engine_for, save_requests
    from .test_county_notes import close_at_county

    clock = FakeClock(datetime.now(timezone.utc) - timedelta(minutes=10))  # the kiosk's clock 10 min behind the county's
    save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock)
        engine.run()
        close_at_county(county, outbox.county_id(get_db(), 1))
        engine.run()
        closed = outbox.current_event(get_db(), 1)
    assert closed["state"] == outbox.CLOSED
    assert 590 < closed["data"]["county_clock_offset"] < 610 and closed["data"]["updated_datetime"]
