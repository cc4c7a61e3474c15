"""Issue 21, item 5, the worker's side: a request that may have reached the county more than once is
settled by a worker who checked with the county, on the request's own page; the kiosk then follows the
number the county keeps (status, notes, the resident's page), and the copy's close no longer reaches the
resident. The resident's details a county that takes no attributes was not sent are shown to workers only.

A real duplicate, as a county nobody here wrote makes one: the reference county in strict mode (every
flag: no look-up, no de-duplication, no attributes taken), profiled as the sync service profiles it,
drops its reply after storing the first send; the kiosk sends again and records both numbers. The
worker is the test client logged in, on the kiosk's screen or on a phone on the centre's Wi-Fi."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from core import audit, follow_ups, outbox
from core.actions import resident, system
from core.db import write_transaction
from core.wording import Centre
from kiosk.db import get_db

from .conftest import LiveCounty
from .sync_helpers import FakeClock, engine_for, set_up_centre
from .worker_helpers import add_accounts, log_in

pytestmark = pytest.mark.slow
PHONE = {"REMOTE_ADDR": "192.168.1.23"}
HOME = "幸福路 12 号 3 单元 501 室"


@pytest.fixture
def county(tmp_path):
    server = LiveCounty(tmp_path / "county", {"drop_rate": 1.0}, strict="1").start()
    yield server
    server.stop()


def save(app, service="repairs") -> tuple[int, str, str]:
    """One saved request: (id, ticket, check code); home care carries her name and home address."""
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, service, "zh_Hans_CN")
        if service == "home-care":
            draft.answers = {"help": "cleaning", "often": "weekly"}
            draft.personal = {"name": "王秀英", "address": HOME, "contact": "phone", "phone": "13800138000"}
        else:
            draft.answers = {"what": "light", "where": "3号楼2单元", "danger": "no"}
            draft.personal = {"contact": "centre"}
        saved = resident.save_request(db, draft, "kiosk-test", Centre.from_config(app.config))
        return saved.id, saved.ticket, saved.check_code


def sent_twice(app, county, service="repairs") -> tuple[int, str, str, str, str, object]:
    """A request the county holds twice: its first send stored and the reply dropped, then sent again.
    Returns (id, ticket, check code, the number the kiosk follows, the look-alike, engine)."""
    set_up_centre(app)
    app.config["COUNTY_URL"] = county.url
    request_id, ticket, code = save(app, service)
    clock = FakeClock()
    with app.app_context():
        engine = engine_for(app, county.url, clock=clock, profiled=True)
        assert (engine.settings.attributes, engine.settings.uuid_lookup) == ("none", False)
        engine.run("test")
        assert outbox.current_state(get_db(), request_id) == outbox.RETRY_WAIT
    county.stop()
    county.start({})  # the county answers again; it holds the first copy
    clock.advance(hours=2)
    with app.app_context():
        engine.run("test")
        db = get_db()
        numbers = outbox.possible_duplicates(outbox.histories(db, [request_id]))[request_id]
        followed = outbox.county_id(db, request_id)
    held = [str(r[0]) for r in county.query("SELECT service_request_id FROM requests WHERE service_code = ?", [
        "home-care" if service == "home-care" else "repairs"])]
    assert len(held) == 2 and numbers[0] == followed, (numbers, held)
    if service == "home-care":  # about a person: the county lists it without its text, so no look-alike
        assert numbers == [followed]
        return request_id, ticket, code, followed, None, engine
    assert sorted(numbers) == sorted(held), (numbers, held)
    return request_id, ticket, code, followed, numbers[1], engine


def worker(app, **environ):
    add_accounts(app)
    client = app.test_client()
    if environ:
        client.environ_base.update(environ)
    assert log_in(client, "alice").status_code == 302
    return client


def twice_section(client) -> str:
    page = client.get("/worker/worklist").get_data(as_text=True)
    found = re.search(r'aria-labelledby="wl-twice">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


CLERKS: dict = {}


def set_status(county, number: str, status: str, notes: str) -> None:
    """The county's clerk changes one request's status on the clerk page (CSRF token and all)."""
    if county.url not in CLERKS:
        CLERKS[county.url] = county.clerk_session("clerk-1", county.add_clerk("clerk-1"))
    clerk = CLERKS[county.url]
    token = re.search(r'name="csrf_token" value="([^"]+)"', clerk.get(county.url + "/clerk", timeout=5).text).group(1)
    done = clerk.post(f"{county.url}/clerk/{number}", data={"csrf_token": token, "status": status, "status_notes": notes,
                                                            "agency_responsible": "物业"}, timeout=5, allow_redirects=False)
    assert done.status_code == 302, done.text


def test_a_worker_settles_on_the_number_the_county_keeps_and_the_kiosk_follows_it(app, county):
    request_id, ticket, code, followed, other, engine = sent_twice(app, county)
    alice = worker(app)
    page = alice.get(f"/worker/request/{ticket}").get_data(as_text=True)
    assert f"县平台保留 {followed}" in page and f"县平台保留 {other}" in page  # one button per number
    assert f"{followed}、{other}" in page  # numbers joined the Chinese way
    assert ticket in twice_section(alice)

    # the clerk says: the copy the kiosk follows is the duplicate, the work goes on under the other number
    chosen = alice.post(f"/worker/request/{ticket}/county-number", data={"number": other})
    assert chosen.status_code == 302
    assert f"本机现在跟着县平台编号 {other}" in alice.get(chosen.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        db = get_db()
        assert outbox.county_id(db, request_id) == other
        assert outbox.county_ids(outbox.histories(db, [request_id]))[request_id] == other
        assert request_id not in outbox.possible_duplicates(outbox.histories(db, [request_id]))
        entries = [e for e in audit.every(db) if e.action == "request.county_number_chosen"]
        assert [(e.actor, e.request_id, e.detail.get("number")) for e in entries] == [("worker:alice", request_id, other)]
    assert ticket not in twice_section(alice)
    page = alice.get(f"/worker/request/{ticket}").get_data(as_text=True)
    assert "县平台保留" not in page and other in page

    # a second tap (or a replayed form) records nothing twice
    again = alice.post(f"/worker/request/{ticket}/county-number", data={"number": followed})
    assert again.status_code == 302 and "已经有人记录过了" in alice.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert outbox.county_id(get_db(), request_id) == other
        assert len([e for e in audit.every(get_db()) if e.action == "request.county_number_chosen"]) == 1

    # the county closes the duplicate and works on the one it keeps: the kiosk asks about that one
    set_status(county, followed, "closed", "重复工单，见" + other)
    set_status(county, other, "open", "已派师傅")
    with app.app_context():
        engine.run("test")
        latest = outbox.current_event(get_db(), request_id)
    assert latest["state"] == outbox.IN_PROGRESS and latest["data"]["service_request_id"] == other
    status = app.test_client().get(f"/status/{ticket}?c={code}").get_data(as_text=True)
    assert "已派师傅" in status and "重复工单" not in status


def test_a_copy_closed_before_the_worker_settled_no_longer_reads_as_finished(app, county):
    """Today's trial: the clerk closed the copy the kiosk followed as a duplicate, and the resident read
    "Finished". Settled on the other number, her page is back to "accepted" until that one moves."""
    request_id, ticket, code, followed, other, engine = sent_twice(app, county)
    set_status(county, followed, "closed", "重复工单，见" + other)
    with app.app_context():
        engine.run("test")
        assert outbox.current_state(get_db(), request_id) == outbox.CLOSED
    finished = app.test_client().get(f"/status/{ticket}?c={code}").get_data(as_text=True)
    assert "重复工单" in finished  # what the trial saw
    alice = worker(app, **PHONE)  # on a phone on the centre's Wi-Fi
    assert alice.post(f"/worker/request/{ticket}/county-number", data={"number": other}).status_code == 302
    with app.app_context():
        assert outbox.current_state(get_db(), request_id) == outbox.ACCEPTED
        assert not [p for p in follow_ups.to_pass_on(get_db()) if p.request_id == request_id]  # no news to pass on
    page = app.test_client().get(f"/status/{ticket}?c={code}").get_data(as_text=True)
    assert "重复工单" not in page and other in page
    finished_step = re.search(r'<li class="([^"]*)"(?:(?!</li>).)*已办结', page, re.S)
    assert finished_step and "ladder__step--done" not in finished_step.group(1) and "问题真的解决了吗" not in page


def test_a_number_not_shown_is_refused_politely_and_nothing_is_recorded(app, county):
    request_id, ticket, _, followed, other, _ = sent_twice(app, county)
    alice = worker(app, **PHONE)
    refused = alice.post(f"/worker/request/{ticket}/county-number", data={"number": "C999999"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "这不是为这个申请列出的县平台编号" in body and f"县平台保留 {other}" in body
    with app.app_context():
        db = get_db()
        assert outbox.county_id(db, request_id) == followed
        assert request_id in outbox.possible_duplicates(outbox.histories(db, [request_id]))
        assert not [e for e in audit.every(db) if e.action == "request.county_number_chosen"]


def test_the_home_address_kept_on_the_kiosk_is_shown_to_a_worker_only(app, county):
    request_id, ticket, code, followed, _, _ = sent_twice(app, county, "home-care")
    assert not county.query("SELECT 1 FROM requests WHERE attributes LIKE ? OR address_string LIKE ? OR description LIKE ?",
                            ["%幸福路%"] * 3)  # the county never had it
    alice = worker(app)
    page = alice.get(f"/worker/request/{ticket}").get_data(as_text=True)
    kept = re.search(r'id="request-kept">(.*?)</section>', page, re.S)
    assert kept and "家庭住址" in kept.group(1) and HOME in kept.group(1)
    assert "王秀英" not in kept.group(1) and "13800138000" not in kept.group(1)  # those were sent
    assert "no-store" in alice.get(f"/worker/request/{ticket}").headers["Cache-Control"]
    assert "已向县平台核实" in page  # its only number: checked with the county
    assert re.search(r'id="request-sent" lang="zh-Hans"', page)
    resident_ = app.test_client()
    assert HOME not in resident_.get(f"/status/{ticket}?c={code}").get_data(as_text=True)
    assert resident_.get(f"/worker/request/{ticket}").status_code in (302, 401, 403)  # not without the login
    with app.app_context():  # purged: nothing to show
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.CLOSED, service_request_id=followed, status="closed")
        system.purge(db, datetime.now(timezone.utc) + timedelta(days=400))
    assert HOME not in alice.get(f"/worker/request/{ticket}").get_data(as_text=True)


def test_a_request_with_no_look_alike_is_cleared_by_checked_with_the_county(app):
    """A county that withholds descriptions lists no look-alike: one number, and "Checked with the county"."""
    request_id, ticket, _ = save(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.IN_FLIGHT, attempt=1)
            outbox.record(db, request_id, outbox.ACCEPTED, service_request_id="C000005", possible_duplicate=True, candidates=[])
    alice = worker(app)
    page = alice.get(f"/worker/request/{ticket}").get_data(as_text=True)
    assert "已向县平台核实" in page and "县平台保留" not in page
    assert alice.post(f"/worker/request/{ticket}/county-number", data={"number": "C000005"}).status_code == 302
    assert ticket not in twice_section(alice)
    with app.app_context():
        assert outbox.county_id(get_db(), request_id) == "C000005"


def test_the_form_needs_its_csrf_token(app):
    request_id, ticket, _ = save(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.ACCEPTED, service_request_id="C000007", possible_duplicate=True,
                          candidates=["C000003"])
    alice = worker(app, **PHONE)
    app.config["WTF_CSRF_ENABLED"] = True
    assert alice.post(f"/worker/request/{ticket}/county-number", data={"number": "C000003"}).status_code == 400
    page = alice.get(f"/worker/request/{ticket}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert alice.post(f"/worker/request/{ticket}/county-number",
                      data={"number": "C000003", "csrf_token": token}).status_code == 302
    with app.app_context():
        assert outbox.county_id(get_db(), request_id) == "C000003"


def test_english_says_more_than_once(app):
    request_id, ticket, _ = save(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.ACCEPTED, service_request_id="C000007", possible_duplicate=True,
                          candidates=["C000003", "C000004"])
    alice = worker(app)
    page = alice.get(f"/worker/request/{ticket}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "more than once: county numbers C000007, C000003, C000004" in page and "county twice" not in page


def test_settling_on_the_number_followed_passes_no_news_on_twice(app):
    """The county was already working on the number the kiosk follows, and the resident was told: settling
    on that number repeats the news, it is not news to pass on again (nor a close to ask about again)."""
    request_id, ticket, _ = save(app)
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            outbox.record(db, request_id, outbox.ACCEPTED, service_request_id="C000007", possible_duplicate=True,
                          candidates=["C000003"])
            handled = outbox.record(db, request_id, outbox.IN_PROGRESS, service_request_id="C000007", status="open",
                                    status_notes="已派师傅")
            assert follow_ups.record(db, request_id, handled, follow_ups.TOLD, "alice")
    alice = worker(app)
    assert alice.post(f"/worker/request/{ticket}/county-number", data={"number": "C000007"}).status_code == 302
    with app.app_context():
        db = get_db()
        latest = outbox.current_event(db, request_id)
        assert latest["state"] == outbox.IN_PROGRESS and latest["data"]["status_notes"] == "已派师傅"
        assert not [p for p in follow_ups.to_pass_on(db) if p.request_id == request_id]
        assert outbox.county_id(db, request_id) == "C000007"
