"""Floods of Starts from a phone on the Wi-Fi (issue 19, item 4): each client may start a few drafts a
minute (the kiosk's own screen many), and the resume codes never run out into a 500."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import iso, now
from core.actions import resident
from core import drafts
from kiosk.db import get_db
from kiosk.limits import MovingWindow

from .limit_clock import Clock

PHONE = {"REMOTE_ADDR": "192.168.1.23"}


def start(app, who=None):
    """Tap Start on the repairs service as a fresh browser (a flood keeps no cookies)."""
    return app.test_client().post("/services/repairs", environ_base=who or {}, headers={"Accept-Language": "en"})


def test_a_phone_may_start_a_few_drafts_a_minute_and_the_kiosk_screen_many(app):
    clock = Clock()
    app.extensions["kiosk_limits"] = MovingWindow(clock)
    answers = [start(app, PHONE).status_code for _ in range(8)]
    assert answers == [302] * 5 + [429] * 3
    refused = start(app, PHONE)
    assert "wait a minute" in refused.get_data(as_text=True)
    assert start(app, {"REMOTE_ADDR": "192.168.1.24"}).status_code == 302  # another phone has its own
    assert [start(app).status_code for _ in range(30)] == [302] * 30       # the kiosk's own screen
    with app.app_context():
        count = get_db().execute("SELECT COUNT(*) FROM drafts").fetchone()[0]
    assert count == 5 + 1 + 30  # the refused ones made nothing
    clock.now += 60
    assert start(app, PHONE).status_code == 302


@pytest.fixture
def small_space(monkeypatch):
    """Two-digit resume codes: a hundred drafts fill the space."""
    monkeypatch.setattr(drafts, "RESUME_DIGITS", 2)


def fill(app, answered: bool):
    with app.app_context():
        db = get_db()
        for _ in range(10_000):  # every code taken (20 random draws in a row may miss the last few free)
            if db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 10 ** drafts.RESUME_DIGITS:
                break
            try:
                _, draft = resident.start_draft(db, "repairs", "en")
            except drafts.NoFreeCode:
                continue
            if answered:  # a minute after Start, as a resident answers (times are kept to the second)
                draft.answers["what"] = "The stair light is out"
                resident.save_answers(db, draft)
                db.execute("UPDATE drafts SET created_at = ? WHERE id = ?",
                           [iso(now() - timedelta(minutes=1)), draft.id])
        return db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]


def age(app, hours: float):
    """Move every draft's times back ``hours``, keeping empty drafts empty (updated_at = created_at)."""
    with app.app_context():
        db = get_db()
        # in the columns' own form (core.clock.iso: 2026-12-08T00:40:00+00:00); SQLite's datetime() writes
        # "2026-12-07 21:40:00", which sorts before any ISO time of the same day: between 00:00 and 03:00
        # UTC a draft aged three hours looked older than a day, and the test failed by the clock
        fmt = "%Y-%m-%dT%H:%M:%S+00:00"
        db.execute(f"UPDATE drafts SET created_at = strftime('{fmt}', created_at, '-{hours} hours'),"
                   f" updated_at = strftime('{fmt}', updated_at, '-{hours} hours')")
        db.conn.commit()


def test_a_full_code_space_is_a_polite_page_never_a_500(app, small_space):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert fill(app, answered=True) == 100
    page = start(app)
    assert page.status_code == 503 and "ask a worker" in page.get_data(as_text=True).lower()


def test_codes_of_drafts_nobody_answered_are_used_again_after_an_hour(app, small_space):
    fill(app, answered=False)
    assert start(app).status_code == 503  # a flood just now: still theirs
    age(app, 1.5)
    assert start(app).status_code == 302
    with app.app_context():
        assert get_db().execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 1  # the flood's are gone


def test_codes_of_expired_drafts_are_used_again_and_answered_recent_ones_kept(app, small_space):
    fill(app, answered=True)
    age(app, 3)  # answered three hours ago: kept (a resident may come back with her code today)
    assert start(app).status_code == 503
    age(app, 22)  # 25 hours: past KIOSK_DRAFT_HOURS (24), what the nightly purge would delete
    assert start(app).status_code == 302
