"""Guessing a check code (issue 19, item 3): every method of every look-up counts, a ticket guessed at
from many addresses is paused for minutes (growing), and its owner is never locked out for long.

A phone on the Wi-Fi is a test client with a non-loopback REMOTE_ADDR; the kiosk's own screen is the
test client's default (127.0.0.1). Time is a clock the test moves (the limits' own stores, swapped in).
"""
from __future__ import annotations

import pytest

from core.catalogue import get_service
from kiosk.db import get_db
from kiosk.limits import MovingWindow, TicketPauses, parse

from .flows import confirm, fill_service
from .limit_clock import Clock

PHONE = {"REMOTE_ADDR": "192.168.1.23"}


@pytest.fixture
def clock(app):
    clock = Clock()
    app.extensions["kiosk_limits"] = MovingWindow(clock)
    app.extensions["kiosk_ticket_pauses"] = TicketPauses(clock)
    return clock


@pytest.fixture
def saved(app, client):
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "en")
    fill_service(client, repairs)
    ticket, code = confirm(client)
    client.post("/receipt/done")
    return ticket, code, ("000000" if code != "000000" else "111111")


@pytest.mark.parametrize("page", ["", "/thanks", "/rating", "/comment"])
def test_head_with_wrong_codes_is_limited_like_get(app, clock, saved, page):
    """HEAD told a right code from a wrong one at ~500-800 guesses/s and was never counted."""
    app.config.update(LOOKUP_LIMIT="4 per hour", TICKET_LOOKUP_LIMIT="1000 per hour")
    ticket, _, wrong = saved
    phone = app.test_client()
    answers = [phone.head(f"/status/{ticket}{page}?c={wrong}", environ_base=PHONE).status_code for _ in range(6)]
    assert answers == [404] * 4 + [429] * 2
    assert phone.get(f"/status/{ticket}?c={wrong}", environ_base=PHONE).status_code == 429  # one budget, any method


def test_head_and_get_share_one_budget_on_every_look_up(app, clock, saved):
    app.config.update(LOOKUP_LIMIT="3 per hour")
    ticket, _, wrong = saved
    phone = app.test_client()
    assert phone.head(f"/status/{ticket}?c={wrong}", environ_base=PHONE).status_code == 404
    assert phone.get(f"/status/{ticket}/thanks?c={wrong}", environ_base=PHONE).status_code == 404
    assert phone.head(f"/status/{ticket}/rating?c={wrong}", environ_base=PHONE).status_code == 404
    for method in ("head", "get"):
        for path in ("/status", "/visit/resume", f"/status/{ticket}", f"/status/{ticket}/comment"):
            assert getattr(phone, method)(path + f"?c={wrong}", environ_base=PHONE).status_code == 429, (method, path)
    assert phone.post("/status", data={"entered": ticket + wrong}, environ_base=PHONE).status_code == 429


def test_a_distributed_guess_at_one_ticket_is_stopped_and_the_right_code_not_confirmed(app, clock, saved):
    """Many phones, one ticket: five wrong codes pause the ticket, whoever asks, right code or not."""
    ticket, code, _ = saved
    answers = []
    for n in range(40):
        guess = f"{(int(code) + n + 1) % 10 ** 6:06d}"
        answers.append(app.test_client().get(f"/status/{ticket}?c={guess}",
                                             environ_base={"REMOTE_ADDR": f"192.168.1.{100 + n}"}).status_code)
    assert answers == [404] * 5 + [429] * 35
    stranger = app.test_client().get(f"/status/{ticket}?c={code}", environ_base={"REMOTE_ADDR": "192.168.1.250"})
    assert stranger.status_code == 429  # the right code from a phone cannot be told from a wrong one now


def test_a_guess_typed_without_the_letter_counts_against_that_ticket(app, clock, saved):
    """Issue 24: a ticket may be typed without its letter (a 12-key pad). Such guesses are at one ticket,
    the letter in use's, and pause it as guesses with the letter do: the letter cannot be left out to
    guess around a ticket's budget."""
    ticket, code, _ = saved
    answers = []
    for n in range(8):
        guess = f"{(int(code) + n + 1) % 10 ** 6:06d}"
        answers.append(app.test_client().post("/status", data={"entered": ticket[1:] + guess},
                                              environ_base={"REMOTE_ADDR": f"192.168.1.{100 + n}"}).status_code)
    assert answers == [422] * 5 + [429] * 3
    stranger = app.test_client().get(f"/status/{ticket}?c={code}", environ_base={"REMOTE_ADDR": "192.168.1.250"})
    assert stranger.status_code == 429  # the same ticket's pause, whichever way it was typed


def test_the_owner_is_not_locked_out_for_long(app, client, clock, saved):
    """While strangers hold her ticket paused: at the kiosk's own screen her right code opens at once (a
    wrong one there is paused politely); on her phone it opens again after five minutes; the pause
    grows for a ticket guessed at again and again, up to an hour, and a worker can look any ticket up."""
    ticket, code, wrong = saved
    owner = {"REMOTE_ADDR": "192.168.1.77"}

    def guess_from_phones(times):
        for n in range(times):
            app.test_client().get(f"/status/{ticket}?c={wrong}", environ_base={"REMOTE_ADDR": f"10.0.{n}.9"})

    guess_from_phones(5)
    assert client.get(f"/status/{ticket}?c={code}").status_code == 200           # at the kiosk: at once
    assert client.get(f"/status/{ticket}?c={wrong}").status_code == 429          # a wrong one there: paused
    assert app.test_client().get(f"/status/{ticket}?c={code}", environ_base=owner).status_code == 429
    clock.now += 5 * 60
    assert app.test_client().get(f"/status/{ticket}?c={code}", environ_base=owner).status_code == 200
    pauses = []
    for _ in range(6):  # the guessing goes on: 10, 20, 40, then an hour each time
        guess_from_phones(5)
        pauses.append(app.extensions["kiosk_ticket_pauses"].held(ticket))
        clock.now += pauses[-1]
    assert pauses == [600, 1200, 2400, 3600, 3600, 3600]
    clock.now += TicketPauses.MEMORY  # a day later it starts at five minutes again
    guess_from_phones(5)
    assert app.extensions["kiosk_ticket_pauses"].held(ticket) == 300


def test_many_phones_guessing_at_many_tickets_share_one_budget(app, clock):
    """Many addresses are more often one attacker than many residents: all phones together get
    PHONE_LOOKUP_LIMIT wrong tries; the kiosk's own screen keeps its own."""
    app.config.update(PHONE_LOOKUP_LIMIT="20 per hour")
    answers = [app.test_client().get(f"/status/A{n:04d}?c=123456",
                                     environ_base={"REMOTE_ADDR": f"192.168.{n // 200}.{n % 200 + 2}"}).status_code
               for n in range(25)]
    assert answers == [404] * 20 + [429] * 5
    assert app.test_client().get("/status/A0100?c=123456").status_code == 404  # the screen is not held up
    clock.now += 3600
    assert app.test_client().get("/status/A0101?c=123456", environ_base=PHONE).status_code == 404


def test_a_burst_from_a_few_phones_locks_residents_typed_look_ups_out_for_minutes_not_an_hour(app, clock, saved):
    """4 phone addresses x 30 wrong guesses in a moment spent the shared phone budget (100 an hour) and held
    every resident's typed look-up on her own phone for up to an hour. With the default budget (20 per 10
    minutes, about the same guesses a day) a look-up from a phone opens again 10 minutes after the burst."""
    ticket, code, _ = saved
    answers = [app.test_client().get(f"/status/A{n:04d}?c=123456",
                                     environ_base={"REMOTE_ADDR": f"192.168.7.{10 + n % 4}"}).status_code
               for n in range(120)]
    assert 429 in answers
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "192.168.1.77"  # a resident on her own phone, typing her ticket
    assert owner.post("/status", data={"entered": ticket + code}).status_code == 429
    clock.now += 10 * 60
    assert owner.post("/status", data={"entered": ticket + code}).status_code in (200, 302)
    assert owner.get(f"/status/{ticket}?c={code}").status_code == 200


def test_someone_guessing_at_the_kiosks_screen_holds_the_next_resident_for_minutes_not_an_hour(app, clock, saved):
    """The stranger's re-check of issue 19: 31 wrong HEADs at the kiosk's own screen held every typed
    look-up there (and the resume keypad) for up to an hour, the next resident's right code included.
    Everyone standing at the screen shares one budget (SCREEN_LOOKUP_LIMIT), so its window is short."""
    ticket, code, wrong = saved
    screen = app.test_client()  # the kiosk's own screen
    answers = [screen.head(f"/status/H9{n:03d}?c={wrong}").status_code for n in range(11)]  # tickets not hers
    assert answers == [404] * 10 + [429]
    resident = app.test_client()  # the next person at the same screen, with her own ticket
    assert resident.post("/status", data={"entered": ticket + code}).status_code == 429
    phone = app.test_client()
    assert phone.post("/status", data={"entered": ticket + code}, environ_base=PHONE).status_code in (200, 302)  # phones count apart
    clock.now += 10 * 60
    assert resident.post("/status", data={"entered": ticket + code}).status_code in (200, 302)
    assert resident.get("/visit/resume").status_code == 200


def test_reuse_and_resume_count_every_method(app, clock, saved):
    """The reuse look-up and the resume keypad are look-ups too: a held client is held on every method."""
    app.config.update(LOOKUP_LIMIT="2 per hour")
    ticket, _, wrong = saved
    phone = app.test_client()
    assert phone.post("/visit/resume", data={"entered": "123456"}, environ_base=PHONE).status_code == 403  # never on a phone
    for _ in range(2):
        assert phone.post("/status", data={"entered": ticket + wrong}, environ_base=PHONE).status_code == 422
    for method in ("head", "get", "post"):
        assert getattr(phone, method)("/visit/resume", environ_base=PHONE).status_code == 429
        assert getattr(phone, method)("/request/reuse", environ_base=PHONE).status_code == 429


def test_ticket_pauses_forget_tickets_nobody_guesses_at_any_more():
    clock = Clock()
    pauses, limit = TicketPauses(clock), parse("5 per 5 minutes")
    for n in range(3000):
        clock.now += 60
        pauses.wrong(limit, f"A{n:04d}")
    assert len(pauses) <= 24 * 60 + TicketPauses.SWEEP_EVERY
    clock.now += TicketPauses.MEMORY + 1
    for _ in range(TicketPauses.SWEEP_EVERY):
        pauses.wrong(limit, "B0001")
    assert len(pauses) == 1
