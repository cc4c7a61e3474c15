"""Issue 21, items 1 and 5, against the reference county as a real HTTP server (strict flags where a real
county behaves so): what the resident confirmed is what the county holds, whatever the catalogue or the
settings say later; a look-up result is "found" only when it is this request; where the county cannot
say, a request whose reply was lost is sent again and the worker sees both county numbers."""
from __future__ import annotations

import json
import re

import pytest

from core import audit, outbox, submissions
from core.actions import admin, resident
from core.catalogue import DEMO_FILE, get_service
from core.db import write_transaction
from core.wording import Centre
from kiosk.db import get_db
from sync import profile as county_profile
from sync.open311 import HttpTransport, Open311Client
from sync.process import make_engine

from .conftest import LiveCounty
from .flows import answer_for, confirm, fill_service
from .sync_helpers import FakeClock, drain, engine_for, save_requests, states
from .worker_helpers import add_accounts, log_in

pytestmark = pytest.mark.slow


class Recording(HttpTransport):
    """The real HTTP transport, keeping the form of every POST it sends (what left the kiosk)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.posts: list[dict] = []

    def request(self, method, url, *, params=None, data=None):
        if method == "POST":
            self.posts.append(dict(data or {}))
        return super().request(method, url, params=params, data=data)


def held(county) -> list[dict]:
    """What the county holds, oldest first."""
    rows = county.query("SELECT service_request_id, service_code, description, address_string, attributes FROM requests ORDER BY id")
    return [{"id": r[0], "service": r[1], "description": r[2], "address": r[3], "attributes": json.loads(r[4] or "{}")}
            for r in rows]


def twice_section(client) -> str:
    page = client.get("/worker/worklist").get_data(as_text=True)
    found = re.search(r'<section[^>]*aria-labelledby="wl-twice".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_what_the_resident_confirmed_is_what_the_county_holds(app, client, county):
    """Saved on the kiosk's screen; then the catalogue loses the service's questions and the centre's place
    changes: the county still gets the description she confirmed, byte for byte, and the place it was made."""
    app.config.update(LOCATION="幸福里社区服务中心", CENTRE_LAT="31.2304", CENTRE_LONG="121.4737")
    with app.app_context():
        repairs = get_service(get_db(), "repairs", "zh_Hans_CN")
    fill_service(client, repairs)
    ticket, _ = confirm(client)
    confirmed = "\n".join([f"{q.text} {q.option_name(answer_for(q))}" for q in repairs.questions]
                          + [f"社区服务中心受理号：{ticket}-"])  # and the tag of its UUID (core.wording.reference)

    catalogue = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    next(s for s in catalogue["services"] if s["service_code"] == "repairs")["attributes"] = []  # cut to none
    app.config.update(LOCATION="别的地方", CENTRE_LAT="30.1", CENTRE_LONG="120.1", COUNTY_URL=county.url)
    with app.app_context():
        admin.load_catalogue(get_db(), catalogue)
        assert not get_service(get_db(), "repairs", "zh_Hans_CN").questions
        engine = make_engine(app.config, get_db())
        engine.client.transport = sent = Recording(timeout=5)
        assert engine.run("manual", ignore_backoff=True).accepted == 1
    (only,) = held(county)
    assert only["description"].startswith(confirmed) and len(only["description"]) == len(confirmed) + 6 and only["address"] == "幸福里社区服务中心"
    assert (sent.posts[0]["lat"], sent.posts[0]["long"]) == ("31.2304", "121.4737")
    assert {"what", "where", "danger"} <= set(only["attributes"])  # every stored answer, not filtered by the catalogue


def test_a_request_saved_before_wordings_is_worded_once_before_its_first_send(app, county):
    save_requests(app, 1)
    with app.app_context():
        db = get_db()
        with write_transaction(db):  # as a request saved before this change was kept
            db.execute("UPDATE requests SET wording = NULL")
        assert submissions.wording_of(db, 1) is None
        assert engine_for(app, county.url).run("manual", ignore_backoff=True).accepted == 1
        frozen = submissions.wording_of(db, 1)
        worded = [e for e in audit.every(db, request_id=1) if e.action == "request.worded"]
    (only,) = held(county)
    assert frozen is not None and only["description"] == frozen.description
    assert "社区服务中心受理号：A0001-" in only["description"] and "什么坏了？ 楼道灯" in only["description"]
    assert len(worded) == 1 and worded[0].actor == "system"


def other_request(county) -> str:
    """A request someone else made at the county (another centre's, a clerk's); its id."""
    outcome = Open311Client(county.url, "demo-kiosk-key", "demo-county", HttpTransport(timeout=5)).send_service_request(
        {"service_code": "repairs", "description": "别人的请求：路灯坏了", "address_string": "别的社区",
         "lat": "31.2", "long": "121.4", "attribute[what]": "light", "attribute[where]": "1号楼", "attribute[danger]": "no"})
    assert outcome.service_request_id, outcome
    return outcome.service_request_id


def test_a_look_up_that_lists_one_other_request_is_not_found_and_the_request_is_sent(app, client, tmp_path):
    """A county that ignores the kiosk_uuid filter lists its one request, someone else's: that is not this
    request (it was "found" before: the kiosk showed accepted for a request the county never got)."""
    county = LiveCounty(tmp_path / "county", strict="unknown_filters_ignored").start()
    try:
        others = other_request(county)
        save_requests(app, 1)
        with app.app_context():
            db = get_db()
            with write_transaction(db):  # its send was cut off before anything reached the county
                outbox.record(db, 1, outbox.IN_FLIGHT, attempt=1)
            assert engine_for(app, county.url).run("manual", ignore_backoff=True).accepted == 1
            accepted = states(db)[1]["data"]
        ours = [h for h in held(county) if h["id"] != others]
        assert len(ours) == 1 and ours[0]["attributes"]["kiosk_uuid"]
        assert accepted["service_request_id"] == ours[0]["id"] != others  # never another's number
        assert accepted["possible_duplicate"] is True  # the county could not say: a worker checks
        add_accounts(app)
        log_in(client, "alice")
        client.post("/language", data={"locale": "en"})
        assert f"county numbers {ours[0]['id']}. Please check with the county." in twice_section(client)
        page = client.get("/worker/request/A0001").get_data(as_text=True)  # the worker's page of the request
        assert f"county numbers {ours[0]['id']}." in page and "社区服务中心受理号：A0001-" in page
        client.post("/language", data={"locale": "zh_Hans_CN"})
        assert f"县平台可能重复收到：县平台编号 {ours[0]['id']}。" in twice_section(client)
        from .html_check import nu_problems

        pages = {"worklist": client.get("/worker/worklist").get_data(as_text=True),
                 "request": client.get("/worker/request/A0001").get_data(as_text=True)}
        assert not nu_problems(pages, tmp_path)
    finally:
        county.stop()


def dropped_replies(db) -> int:
    """Sends whose reply was lost (each may have been stored)."""
    return sum(1 for events in outbox.histories(db, [r["request_id"] for r in outbox.current_in(db, outbox.STATES)]).values()
               for e in events if e["state"] == outbox.RETRY_WAIT and e["data"].get("ambiguous"))


def check_never_lost_never_claimed(app, client, county, tickets: list[str], key) -> None:
    """Every request is at the county; copies ≤ lost replies; each copy shown to a worker; no request
    shows a number the county does not hold for it."""
    with app.app_context():
        db = get_db()
        latest = states(db)
        lost = dropped_replies(db)
        wordings = {i: submissions.wording_of(db, i).description for i in latest}
    holding = held(county)
    copies = {i: [h["id"] for h in holding if key(h, i, wordings[i])] for i in latest}
    assert all(copies.values()), "a request was lost"
    assert all(s["state"] == outbox.ACCEPTED for s in latest.values())
    assert all(latest[i]["data"]["service_request_id"] in copies[i] for i in latest)  # never claimed
    duplicated = {i for i, ids in copies.items() if len(ids) > 1}
    assert sum(len(copies[i]) - 1 for i in duplicated) <= lost
    assert all(latest[i]["data"].get("possible_duplicate") for i in duplicated)
    add_accounts(app)
    log_in(client, "alice")
    section = twice_section(client)
    for i in duplicated:
        assert tickets[i - 1] in section
        assert all(number in section for number in copies[i])  # both county numbers, to check
    return len(duplicated), lost


@pytest.mark.parametrize("faults", [{"seed": 11, "drop_rate": 0.4}, {"seed": 5, "timeout_rate": 0.4, "timeout_seconds": 1.5}],
                         ids=["dropped", "timeouts"])
def test_where_the_county_cannot_say_nothing_is_lost_and_each_copy_is_shown(app, client, tmp_path, faults):
    county = LiveCounty(tmp_path / "county", faults, strict="unknown_filters_ignored,no_kiosk_uuid_dedupe").start()
    try:
        tickets = save_requests(app, 12)
        clock = FakeClock()
        with app.app_context():
            drain(engine_for(app, county.url, timeout=0.5, clock=clock), clock)
        duplicated, lost = check_never_lost_never_claimed(
            app, client, county, tickets, lambda h, i, text: h["attributes"].get("kiosk_uuid") and h["description"] == text)
        assert lost > 0  # the faults did happen
        assert duplicated == 0  # the filter is ignored, but the list holds the copy: found by its text and time
    finally:
        county.stop()


def test_a_county_that_takes_no_attributes_gets_none_and_the_home_address_stays_home(app, client, tmp_path):
    """Every strict flag (no definitions, attributes refused, filters ignored, no de-duplication,
    coordinates required), replies dropped: the profile, probed once and kept, has the kiosk send no
    attribute at all; every request arrives, each copy is shown, the home address is nowhere at the county."""
    county = LiveCounty(tmp_path / "county", {"seed": 11, "drop_rate": 0.4}, strict="1").start()
    try:
        app.config.update(COUNTY_URL=county.url, CENTRE_LAT="31.2304", CENTRE_LONG="121.4737")
        tickets = save_requests(app, 8)
        with app.app_context():
            db = get_db()
            _, draft = resident.start_draft(db, "home-care", "zh_Hans_CN")
            draft.answers = {"help": "cleaning", "often": "weekly"}
            draft.personal = {"name": "王秀英", "address": "幸福路 12 号", "contact": "centre"}
            tickets.append(resident.save_request(db, draft, "kiosk-test", Centre.from_config(app.config)).ticket)
            engine = make_engine(app.config, db, app.instance_path)
            assert (engine.settings.attributes, engine.settings.uuid_lookup) == ("none", False)
            kept = county_profile.load(app.instance_path, county.url, "demo-county")
            assert kept is not None and kept.definitions == county_profile.NO
            clock = FakeClock()
            engine.now = clock
            drain(engine, clock)
        duplicated, lost = check_never_lost_never_claimed(app, client, county, tickets,
                                                          lambda h, i, text: h["description"] == text)
        holding = held(county)
        assert all(h["attributes"] == {} for h in holding)
        assert not county.query("SELECT 1 FROM requests WHERE description LIKE ? OR address_string LIKE ?"
                                " OR attributes LIKE ?", ["%幸福路%"] * 3)
        assert lost > 0 and duplicated > 0, (lost, duplicated)  # no look-up: a lost reply is sent again, and shown
    finally:
        county.stop()


def test_a_workers_correction_words_the_request_again(app):
    """"Correct and send again" is an explicit human correction: the wording is composed anew, with the
    corrected answer, in the centre's language and place of that moment."""
    from core.actions import worker
    from core.wording import Place

    save_requests(app, 1, where="3号楼")
    with app.app_context():
        db = get_db()
        with write_transaction(db):
            event = outbox.record(db, 1, outbox.QUARANTINED, reason="where")
        before = submissions.wording_of(db, 1)
        assert "3号楼 #0" in before.description
        assert worker.correct_and_resend(db, "alice", 1, ("answer", "where"), "5号楼", event, Centre(Place("新的服务中心")))
        after = submissions.wording_of(db, 1)
    assert "5号楼" in after.description and "3号楼" not in after.description
    assert "社区服务中心受理号：A0001-" in after.description and after.address == "新的服务中心"


def test_the_attribute_policy_follows_the_profile_unless_the_setting_says_otherwise(tmp_path):
    from core import config

    none_kept = county_profile.Profile("http://c", "j", "now", reachable=True, definitions=county_profile.NO,
                                       attributes=county_profile.NO, uuid_lookup=county_profile.HONOURED)
    full = county_profile.Profile("http://c", "j", "now", reachable=True, definitions=county_profile.YES,
                                  attributes=county_profile.YES, uuid_lookup=county_profile.IGNORED)
    assert county_profile.sending_policy(none_kept, "auto", True) == ("none", False)  # no kiosk_uuid: no look-up
    assert county_profile.sending_policy(none_kept, "all", True) == ("all", True)
    assert county_profile.sending_policy(full, "auto", True) == ("all", False)  # ignored: never asked
    assert county_profile.sending_policy(full, "none", True) == ("none", False)
    assert county_profile.sending_policy(None, "auto", True) == ("all", True)  # nothing known: as before
    unknown = county_profile.Profile("http://c", "j", "now", reachable=True, definitions=county_profile.YES)
    assert county_profile.sending_policy(unknown, "auto", True) == ("all", True)  # holds nothing yet: matched by text
    assert county_profile.sending_policy(unknown, "auto", False) == ("all", False)
    said = county_profile.findings(none_kept, coordinates_set=True, uuid_lookup_on=True)
    attributes = next(f for f in said if f.topic == "Attributes")
    assert "No attribute[…] is sent at all" in attributes.kiosk and "stays on the kiosk for the worker" in attributes.kiosk
    assert config.load(str(tmp_path), {"KIOSK_COUNTY_ATTRIBUTES": "None"})["COUNTY_ATTRIBUTES"] == "none"
    with pytest.raises(ValueError):
        config.load(str(tmp_path), {"KIOSK_COUNTY_ATTRIBUTES": "some"})


def test_a_service_about_a_person_is_found_by_an_honoured_look_up_though_its_text_is_withheld(app, runner, county):
    """The reference county publishes no description for a service about a person; its kiosk_uuid filter is
    honoured (its profile says so): a request whose reply was lost is found, not sent twice."""
    from sync.payload import open311_fields

    app.config.update(COUNTY_URL=county.url)
    save_requests(app, 1)  # the county holds one request: its profile can tell "honoured"
    with app.app_context():
        db = get_db()
        make_engine(app.config, db).run("manual", ignore_backoff=True)
    assert "honours it" in runner.invoke(args=["sync", "check-county"]).output  # kept in the instance folder
    with app.app_context():
        db = get_db()
        _, draft = resident.start_draft(db, "home-care", "zh_Hans_CN")
        draft.answers, draft.personal = {"help": "cleaning", "often": "weekly"}, {"name": "王秀英", "contact": "centre"}
        saved = resident.save_request(db, draft, "kiosk-test", Centre.from_config(app.config))
        with write_transaction(db):  # the POST reached the county; its reply was lost
            outbox.record(db, saved.id, outbox.IN_FLIGHT, attempt=1)
        reached = Open311Client(county.url, "demo-kiosk-key", "demo-county", HttpTransport(timeout=5)).send_service_request(
            open311_fields(db, saved, submissions.wording_of(db, saved.id)))
        engine = make_engine(app.config, db, app.instance_path)
        assert engine.settings.lookup_honoured
        report = engine.run("manual", ignore_backoff=True)
        latest = states(db)[saved.id]
    assert report.sent == 0 and latest["state"] == outbox.ACCEPTED
    assert latest["data"]["service_request_id"] == reached.service_request_id and "possible_duplicate" not in latest["data"]
    assert county.duplicate_posts() == 0 and len(held(county)) == 2
