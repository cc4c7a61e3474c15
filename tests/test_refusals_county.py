"""Refusals from counties nobody here wrote (issue 21, item 6), where a person meets them: the county's
words on the worker's "Correct and send again" page whatever its error body (the strict county's own
JSON and plain text, the independent county's HTML); a 5xx that keeps coming quarantined with words
after a bounded number of tries, while occasional 5xx and timeouts are still retried; and the
resident's status page telling the truth about a request the county could not take yet."""
from __future__ import annotations

import json
import re
from random import Random

import pytest

from core import outbox, submissions
from core.actions import admin
from engines.speech.page_text import page_text
from kiosk.db import get_db
from kiosk.receipts import status_token
from sync import refusals
from sync.engine import Settings, SyncEngine
from sync.open311 import Open311Client, Reply

from .conftest import LiveCounty
from .html_check import nu_problems
from .independent_county import IndependentCounty
from .sync_helpers import FakeClock, drain, engine_for, save_requests, states
from .test_open311_client import ScriptedTransport
from .worker_helpers import add_accounts, log_in

POISON = "POISON"


@pytest.fixture
def alice(app):
    add_accounts(app)
    client = app.test_client()
    log_in(client, "alice")
    return client


def request_id(app, ticket: str) -> int:
    with app.app_context():
        return submissions.by_ticket(get_db(), ticket).id


def correct_page(alice, rid: int) -> str:
    """The worker's "Correct and send again" page, reached from the worklist's link."""
    worklist = alice.get("/worker/worklist").get_data(as_text=True)
    link = re.search(rf'href="(/worker/worklist/correct/{rid}[^"]*)"', worklist)
    assert link, "the worklist offers no 'Correct and send again' for the refused request"
    return alice.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)


# --- 1. the county's words, whatever its body --------------------------------------------------------

@pytest.mark.parametrize("strict", ["own_error_format", "own_error_format,text_errors"])
def test_the_worker_reads_the_countys_words_whatever_its_error_format(app, alice, tmp_path, strict):
    county = LiveCounty(tmp_path / "county", {"reject_text": POISON}, strict=strict).start()
    try:
        [ticket] = save_requests(app, 1, where=POISON)
        with app.app_context():
            report = engine_for(app, county.url).run()
        assert report.quarantined == 1
        page = correct_page(alice, request_id(app, ticket))
    finally:
        county.stop()
    assert "request refused: it contains &#39;POISON&#39;" in page and "HTTP 400" not in page  # escaped by Jinja
    assert 'id="answer-where"' in page  # the field it refused, read from its own format


def test_an_html_error_page_reaches_the_worker_as_words(app, alice):
    """A centre that typed the county's address wrong: every post gets the web server's 404 page."""
    with IndependentCounty() as county:
        [ticket] = save_requests(app, 1)
        with app.app_context():
            report = engine_for(app, county.url + "/v2").run()
    assert report.quarantined == 1
    page = correct_page(alice, request_id(app, ticket))
    assert "404 Not Found" in page and "<h1>404" not in page


# --- 2. a 5xx that keeps coming ------------------------------------------------------------------------

def test_a_5xx_that_keeps_coming_is_quarantined_with_words_after_bounded_tries(app, alice, client, tmp_path):
    """The county of issue 21: a location required, and a post without one answered 500, every time. The
    kiosk has no centre coordinates, so every post fails; after six it is a refusal, not retried for ever."""
    county = LiveCounty(tmp_path / "county", strict="location_required,missing_location_5xx").start()
    try:
        tickets = save_requests(app, 2)
        clock = FakeClock()
        with app.app_context():
            reports = drain(engine_for(app, county.url, clock=clock), clock)
            latest = states(get_db())
        held = county.requests()
    finally:
        county.stop()
    assert held == [] and len(reports) == 6  # bounded: six runs, then nothing is due
    assert sum(r.sent for r in reports) == 2 * 6 and sum(r.quarantined for r in reports) == 2
    for state in latest.values():
        assert state["state"] == outbox.QUARANTINED and state["data"]["refusal"] == "server_error"
        assert state["data"]["reason"] == "the county answered 'server error' 6 times over 600 minutes: Internal Server Error"
        assert state["data"]["ambiguous"]  # a 5xx may mean stored: looked up before it goes again
    worklist = alice.get("/worker/worklist").get_data(as_text=True)
    assert "the county answered &#39;server error&#39; 6 times over 600 minutes: Internal Server Error" in worklist
    assert worklist.count("/worker/worklist/correct/") == 2  # "Correct and send again"
    assert "Internal Server Error" in correct_page(alice, request_id(app, tickets[0]))


def test_the_independent_countys_500_without_a_location_becomes_a_refusal_too(app):
    with IndependentCounty() as county:
        save_requests(app, 1)
        clock = FakeClock()
        with app.app_context():
            reports = drain(engine_for(app, county.url, clock=clock, server_error_tries=3), clock)
            [state] = states(get_db()).values()
    assert len(county.posts()) == 3 and len(reports) == 3
    assert state["state"] == outbox.QUARANTINED
    assert state["data"]["reason"].endswith("3 times over 240 minutes: Internal Server Error")


def test_occasional_server_errors_still_get_every_request_through(app, tmp_path):
    county = LiveCounty(tmp_path / "county", {"seed": 4, "error_rate": 0.25}).start()
    try:
        save_requests(app, 12)
        clock = FakeClock()
        with app.app_context():
            reports = drain(engine_for(app, county.url, clock=clock), clock)
            latest = states(get_db())
        assert sum(r.retrying for r in reports) > 0  # some were answered 500
        assert all(s["state"] == outbox.ACCEPTED for s in latest.values()) and len(latest) == 12
        assert len(county.requests()) == 12 and county.duplicate_posts() == 0
    finally:
        county.stop()


def scripted_engine(app, *replies: Reply, **settings) -> tuple[SyncEngine, ScriptedTransport, FakeClock]:
    transport, clock = ScriptedTransport(*replies), FakeClock()
    engine = SyncEngine(get_db(), Open311Client("http://127.0.0.1:9", "key", "", transport), Settings(**settings),
                        now=clock, rng=Random(1))
    return engine, transport, clock


NOT_HELD = [Reply(200, b"[]")] * 2  # the look-up before a re-send (by kiosk_uuid, then its recent list): not held


def test_timeouts_and_an_unreachable_county_are_no_5xx_answers(app):
    """Timeouts and dropped connections are retried however many there are; an unreachable county in
    between 5xx answers neither counts nor starts the count again; a success ends it."""
    save_requests(app, 1)
    server_error = Reply(500, b"oops")
    with app.app_context():
        replies = [Reply(failure="timeout")] + [*NOT_HELD, Reply(failure="dropped")] * 8  # 9 unclear answers
        replies += [*NOT_HELD, server_error, Reply(failure="unreachable"), *NOT_HELD, server_error]
        engine, transport, clock = scripted_engine(app, *replies, server_error_tries=3)
        for _ in range(12):
            engine.run("test", ignore_backoff=True)
        [state] = states(get_db()).values()
        assert state["state"] == outbox.RETRY_WAIT and state["data"]["server_errors"] == 2
        assert not transport.replies  # every answer was used
        transport.replies = [*NOT_HELD, server_error]
        engine.run("test", ignore_backoff=True)
        [state] = states(get_db()).values()
        assert state["state"] == outbox.QUARANTINED and state["data"]["reason"].endswith(": oops")


def test_sent_again_after_a_5xx_quarantine_it_is_looked_up_first(app):
    """A 5xx may mean "stored": queued again by a worker or ``flask sync retry``, the request is looked up
    before it is posted, and a county that holds it is not sent it twice."""
    save_requests(app, 1)
    with app.app_context():
        engine, transport, clock = scripted_engine(app, Reply(500, b""), server_error_tries=1)
        engine.run("test")
        [(rid, state)] = states(get_db()).items()
        assert state["state"] == outbox.QUARANTINED
        assert state["data"]["reason"].endswith(": the county gave no reason (HTTP 500)")
        admin.retry(get_db(), rid)
        held = {"service_request_id": "C9", "service_code": "repairs", "requested_datetime": clock().isoformat(),
                "description": submissions.wording_of(get_db(), rid).description}  # this request, as the county lists it
        transport.replies, transport.calls = [Reply(200, json.dumps([held]).encode())], []
        engine.run("test")
        assert [c[0] for c in transport.calls[:1]] == ["GET"] and not any(c[0] == "POST" for c in transport.calls)
        assert states(get_db())[rid]["state"] == outbox.ACCEPTED


@pytest.mark.parametrize("raw, ok", [("6", 6), ("1", 1), (" 12 ", 12), ("0", None), ("-1", None), ("six", None),
                                     ("2.5", None), ("100000", None)])
def test_the_number_of_tries_is_a_checked_setting(tmp_path, raw, ok):
    from core.config import load

    if ok is None:
        with pytest.raises(ValueError, match="whole number"):
            load(str(tmp_path), {"KIOSK_SYNC_SERVER_ERROR_TRIES": raw})
    else:
        assert load(str(tmp_path), {"KIOSK_SYNC_SERVER_ERROR_TRIES": raw})["SYNC_SERVER_ERROR_TRIES"] == ok
    assert load(str(tmp_path), {})["SYNC_SERVER_ERROR_TRIES"] == 6


# --- 3. the resident's status page -------------------------------------------------------------------

def status_page(app, client, ticket: str, locale: str = "en") -> str:
    client.post("/language", data={"locale": locale})
    with app.test_request_context():
        token = status_token(ticket)
    return client.get(f"/status/{ticket}?t={token}").get_data(as_text=True)


def ladder_states(page: str) -> dict[str, str]:
    """Each step's label and the word it shows (Done, Now, Not yet)."""
    steps = re.findall(r'<span class="ladder__label">(.*?)</span>\s*<span class="ladder__state">(.*?)</span>', page, re.S)
    return {" ".join(label.split()): state.strip() for label, state in steps}


NOT_YET = {"en": ("The county could not take your request yet", "A community worker will look at it and help"),
           "zh_Hans_CN": ("县平台暂时没能接收您的申请", "社区工作人员会"),
           "zh_Hant_TW": ("縣平台暫時沒能接收您的申請", "社區工作人員會")}


def test_the_residents_status_page_says_the_county_could_not_take_it_yet(app, client, tmp_path):
    """Through the real engine against the county of issue 21 (every post 500): quarantined, the status
    page does not say "sent to the county", but that the county could not take it yet and a worker will
    help, in each language, read aloud too, with the centre's telephone when there is one."""
    app.config["CENTRE_PHONE"] = "0571 8888 1234"
    county = LiveCounty(tmp_path / "county", strict="location_required,missing_location_5xx").start()
    try:
        [ticket] = save_requests(app, 1)
        clock = FakeClock()
        with app.app_context():
            engine = engine_for(app, county.url, clock=clock)
            for tries in range(1, 7):
                engine.run("test")
                clock.advance(hours=2)
                page = status_page(app, client, ticket)
                told = NOT_YET["en"][0] in page
                assert told == (tries >= 3), f"after {tries} tries"  # several failed tries: waiting is told too
                assert ("the kiosk keeps trying" in page) == (3 <= tries < 6)  # then a worker's
                if 3 <= tries < 6:  # in Chinese without "服务机会" (read as 机会, "a chance")
                    zh = status_page(app, client, ticket, "zh_Hans_CN")
                    assert "它会一直自动重新发送" in zh and "服务机会" not in zh
                assert ladder_states(page)["Sent to the county"] == ("Not yet" if told else "Now")
            assert states(get_db())[request_id(app, ticket)]["state"] == outbox.QUARANTINED
    finally:
        county.stop()
    pages = {}
    for locale, (heading, worker) in NOT_YET.items():
        page = pages[f"status-{locale}"] = status_page(app, client, ticket, locale)
        assert heading in page and worker in page and "0571 8888 1234" in page
        spoken = page_text(page, "english" if locale == "en" else "mandarin")  # what Read aloud speaks
        assert heading in spoken and "057188881234" in re.sub(r"\D", "", spoken)
    assert nu_problems(pages, tmp_path) == []  # valid HTML, as every page
    steps = ladder_states(status_page(app, client, ticket))
    assert steps["Saved on this kiosk"] == "Now" and steps["Sent to the county"] == "Not yet"
    app.config["CENTRE_PHONE"] = ""
    page = status_page(app, client, ticket)
    assert NOT_YET["en"][0] in page and "telephone the centre" not in page


def test_a_request_the_county_took_is_not_told_so(app, client, tmp_path):
    county = LiveCounty(tmp_path / "county").start()
    try:
        [ticket] = save_requests(app, 1)
        with app.app_context():
            engine_for(app, county.url).run("test")
    finally:
        county.stop()
    page = status_page(app, client, ticket)
    assert NOT_YET["en"][0] not in page and ladder_states(page)["Sent to the county"] == "Done"


def test_the_not_yet_status_page_in_chromium_is_accessible(app, browser):
    """One real Chromium look at a refused request's status page (the app served over HTTP on 127.0.0.1):
    the words are visible, the ladder's current step is "Saved on this kiosk", and axe-core finds nothing."""
    import threading

    from werkzeug.serving import make_server

    from core.db import write_transaction

    from .conftest import KIOSK_SIZE
    from .test_accessibility import AXE, TAGS

    app.config["CENTRE_PHONE"] = "0571 8888 1234"
    [ticket] = save_requests(app, 1)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            rid = submissions.by_ticket(db, ticket).id
            outbox.record(db, rid, outbox.IN_FLIGHT, attempt=6)
            outbox.record(db, rid, outbox.QUARANTINED, **refusals.for_the_outbox(
                refusals.server_errors(500, b"Internal Server Error", 6, 16)))
    with app.test_request_context():
        token = status_token(ticket)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(viewport=KIOSK_SIZE, bypass_csp=True, locale="zh-CN")  # CSP would block injecting axe
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/status/{ticket}?t={token}")
        assert page.locator("#county-not-yet").is_visible()
        assert "县平台暂时没能接收您的申请" in page.locator("#county-not-yet").inner_text()
        assert "0571 8888 1234" in page.locator(".county-not-yet").inner_text()
        assert "已保存在本机" in page.locator("[aria-current=step]").inner_text()  # the current step: saved, not sent
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        assert [v["id"] for v in result["violations"]] == []
    finally:
        context.close()
        server.shutdown()
