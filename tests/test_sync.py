"""The sync engine against the reference county as a real HTTP server on 127.0.0.1, one fault at a
time: the queue drains, the county holds exactly one record per kiosk request, poison is quarantined
with its reason and does not block the rest.

The delivery tests run against two counties (issue 21, item 8; ``county_mode``): the reference county,
where the kiosk sends each request exactly once; and the same county in strict mode, like the counties
nobody here wrote (coordinates required, no service definitions, every attribute refused so no
``kiosk_uuid``, unknown filters ignored, no de-duplication, its own error format). There the kiosk's
settings come from the county's profile, as the sync service's do, and the promise is the one a county
that cannot say whether it holds a request allows: nothing lost, nothing the kiosk did not send, at
most one copy per lost reply, and every copy shown to a worker (:func:`tests.sync_helpers.delivered`)."""
import sqlite3
import subprocess
import sys

import pytest

from kiosk.db import get_db
from core import audit, outbox

from .conftest import ROOT, LiveCounty
from .sync_helpers import COUNTY_MODES, FakeClock, delivered, drain, engine_for, save_requests, set_up_centre, states

pytestmark = pytest.mark.slow


@pytest.fixture(params=list(COUNTY_MODES))
def county_mode(request, app) -> str:
    """``reference`` or ``strict`` (the county's strict-mode flags: :data:`tests.sync_helpers.COUNTY_MODES`);
    a strict county needs the centre's coordinates, set before any request is saved."""
    if request.param == "strict":
        set_up_centre(app)
    return request.param


def assert_exactly_once(app, county, expected: int):
    assert county.duplicate_posts() == 0  # the kiosk asked before re-sending; the county never had to de-duplicate
    held = county.requests()
    assert len(held) == expected, f"county holds {len(held)}, expected {expected}"
    assert len({uuid for _, uuid, _ in held}) == expected
    with app.app_context():
        latest = states(get_db())
        accepted = {s["data"].get("service_request_id") for s in latest.values() if s["state"] == outbox.ACCEPTED}
    assert accepted == {sid for sid, _, _ in held}


def assert_delivered(app, county, expected: int, mode: str) -> dict:
    """Exactly once at the reference county; at the strict one, never lose, never claim (module docstring)."""
    if mode == "reference":
        assert_exactly_once(app, county, expected)
        return {}
    held = county.query("SELECT description FROM requests ORDER BY id")
    with app.app_context():
        found = delivered(get_db(), [row[0] for row in held])
        accepted = {s["data"].get("service_request_id") for s in states(get_db()).values() if s["state"] == outbox.ACCEPTED}
    assert found["lost"] == [] and found["strangers"] == 0, found
    assert found["extra"] <= found["unclear"], f"{found['extra']} copies but only {found['unclear']} unclear sends"
    assert found["unflagged"] == [], f"requests held twice that no worker is shown: {found['unflagged']}"
    assert len(held) == expected + found["extra"] and len(accepted) == expected
    assert accepted <= {str(r[0]) for r in county.query("SELECT service_request_id FROM requests")}  # never claimed
    return found


def run_against(app, tmp_path, faults, count=12, timeout=1.0, database_url=None, mode="reference", **settings):
    county = LiveCounty(tmp_path / "county", faults, database_url=database_url, strict=COUNTY_MODES[mode]).start()
    try:
        save_requests(app, count)
        clock = FakeClock()
        with app.app_context():
            reports = drain(engine_for(app, county.url, timeout=timeout, clock=clock, profiled=mode == "strict", **settings), clock)
            assert_delivered(app, county, count, mode)
        return county, reports
    finally:
        county.stop()


@pytest.mark.county_backends
def test_healthy_county(app, tmp_path, county_mode, county_database_url):
    _, reports = run_against(app, tmp_path, {}, database_url=county_database_url, mode=county_mode)
    assert reports[0].sent == 12 and reports[0].accepted == 12 and not reports[0].errors
    assert abs(reports[0].clock_offset_seconds) < 5  # measured from the county's Date header


@pytest.mark.county_backends
def test_server_errors_are_retried_with_backoff(app, tmp_path, county_mode, county_database_url):
    _, reports = run_against(app, tmp_path, {"seed": 3, "error_rate": 0.5}, database_url=county_database_url, mode=county_mode)
    assert sum(r.retrying for r in reports) > 0 and len(reports) > 1


@pytest.mark.county_backends
def test_timeouts_after_storing_are_looked_up_not_resent(app, tmp_path, county_mode, county_database_url):
    _, reports = run_against(app, tmp_path, {"seed": 5, "timeout_rate": 0.4, "timeout_seconds": 1.5}, timeout=0.5, database_url=county_database_url, mode=county_mode)
    assert sum(r.retrying for r in reports) > 0


@pytest.mark.county_backends
def test_dropped_connections_after_storing(app, tmp_path, county_mode, county_database_url):
    _, reports = run_against(app, tmp_path, {"seed": 11, "drop_rate": 0.4}, database_url=county_database_url, mode=county_mode)
    assert sum(r.retrying for r in reports) > 0


def test_slow_county(app, tmp_path, county_mode):
    _, reports = run_against(app, tmp_path, {"slow_seconds": 0.2}, count=4, mode=county_mode)
    assert reports[0].accepted == 4


@pytest.mark.county_backends
def test_token_mode_ids_arrive_later(app, tmp_path, county_mode, county_database_url):
    county, _ = run_against(app, tmp_path, {"token_mode": True}, count=5, database_url=county_database_url, mode=county_mode)
    with app.app_context():
        events = [e for e in outbox.events(get_db(), 1)]
    assert events[-2]["state"] == outbox.ACCEPTED and events[-2]["data"].get("token")
    assert events[-1]["data"]["service_request_id"] == county.requests()[0][0]


def test_poison_is_quarantined_and_the_rest_moves_on(app, tmp_path, county_mode):
    county = LiveCounty(tmp_path / "county", {"reject_text": "POISON"}, strict=COUNTY_MODES[county_mode]).start()
    try:
        save_requests(app, 3)
        save_requests(app, 1, where="POISON")
        save_requests(app, 3)
        clock = FakeClock()
        with app.app_context():
            report = engine_for(app, county.url, clock=clock, profiled=county_mode == "strict").run()
            latest = states(get_db())
        assert report.accepted == 6 and report.quarantined == 1
        assert latest[4]["state"] == outbox.QUARANTINED and "POISON" in latest[4]["data"]["reason"]
        assert latest[4]["data"]["refusal"] == "refused_text" and latest[4]["data"]["refused_text"] == "POISON"  # sync.refusals
        assert len(county.requests()) == 6
    finally:
        county.stop()


def test_refused_key_keeps_everything_queued_and_turns_health_red(app, tmp_path, runner):
    county = LiveCounty(tmp_path / "county", api_keys="another-key").start()
    try:
        save_requests(app, 3)
        with app.app_context():
            report = engine_for(app, county.url).run()
            latest = states(get_db())
        assert report.key_refused and report.sent == 1  # stops at the first refusal
        assert all(s["state"] in (outbox.QUEUED, outbox.RETRY_WAIT) for s in latest.values())
        assert county.requests() == []
        status = runner.invoke(args=["sync", "status"])
        assert "HEALTH: RED" in status.output
    finally:
        county.stop()


@pytest.mark.county_backends
@pytest.mark.parametrize("kind", ["bad_json", "wrong_types", "huge"])
def test_malformed_answers_never_crash_and_are_resolved_later(app, tmp_path, kind, county_mode, county_database_url):
    county = LiveCounty(tmp_path / "county", {"malformed": kind}, database_url=county_database_url,
                        strict=COUNTY_MODES[county_mode]).start()
    try:
        save_requests(app, 3)
        clock = FakeClock()
        with app.app_context():
            engine = engine_for(app, county.url, clock=clock, profiled=county_mode == "strict")
            report = engine.run()
            latest = states(get_db())
            assert report.retrying == 3 and not report.accepted
            assert all(s["data"]["ambiguous"] and s["data"]["reason"] for s in latest.values())
            county.stop()
            county.start(faults={})  # the county is fixed; its database kept what it stored
            clock.advance(hours=2)
            report = engine.run()
            # the reference county is asked by UUID and nothing is sent again; a strict one cannot say, so
            # each is sent again, and the copies are shown to a worker (assert_delivered)
            assert report.accepted == 3 and report.sent == (0 if county_mode == "reference" else 3)
        assert_delivered(app, county, 3, county_mode)
    finally:
        county.stop()


@pytest.mark.county_backends
def test_same_uuid_with_other_content_is_refused_by_the_county(county):
    import requests

    form = {"api_key": "demo-kiosk-key", "service_code": "repairs", "address_string": "中心", "attribute[what]": "lift",
            "attribute[where]": "3号楼", "attribute[danger]": "no", "attribute[kiosk_uuid]": "u-1", "attribute[kiosk_hash]": "h-1"}
    first = requests.post(county.url + "/requests.json", data=form, timeout=5).json()
    again = requests.post(county.url + "/requests.json", data=form, timeout=5).json()
    assert first == again and county.duplicate_posts() == 1
    changed = requests.post(county.url + "/requests.json", data={**form, "attribute[kiosk_hash]": "h-2"}, timeout=5)
    assert changed.status_code == 409 and changed.json()[0]["code"] == 409


def test_unreachable_county_stops_the_run_without_losing_anything(app, tmp_path):
    from .conftest import free_port

    save_requests(app, 2)
    with app.app_context():
        report = engine_for(app, f"http://127.0.0.1:{free_port()}").run()
        latest = states(get_db())
    assert report.unreachable and report.sent == 1
    assert [s["state"] for s in latest.values()] == [outbox.RETRY_WAIT, outbox.QUEUED]


@pytest.mark.county_backends
@pytest.mark.parametrize("county_strict", list(COUNTY_MODES.values()), ids=list(COUNTY_MODES), indirect=True)
def test_status_comes_back_and_the_ladder_shows_it(app, client, county, county_strict):
    if county_strict:
        set_up_centre(app)
    tickets = save_requests(app, 1)
    with app.app_context():
        engine = engine_for(app, county.url, profiled=bool(county_strict))
        engine.run()
        sid = county.requests()[0][0]
        subprocess.run([sys.executable, "-m", "flask", "--app", "county", "clerk", "set", sid, "--status", "open",
                        "--notes", "维修师傅明天上午来"], env=county.env, cwd=ROOT, check=True, capture_output=True)
        assert engine.run().status_updates == 1
        assert engine.run().status_updates == 0  # unchanged status is not recorded twice
        code = get_db().execute("SELECT check_code FROM requests WHERE ticket = ?", [tickets[0]]).fetchone()[0]
    page = client.get(f"/status/{tickets[0]}?c={code}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    current = page.split('aria-current="step"')[1].split("</li>")[0]
    assert "处理中" in current and "维修师傅明天上午来" in current
    assert sid in page


def test_operator_can_retry_a_quarantined_request(app, runner, tmp_path, county_mode):
    county = LiveCounty(tmp_path / "county", {"reject_text": "POISON"}, strict=COUNTY_MODES[county_mode]).start()
    try:
        tickets = save_requests(app, 1, where="POISON")
        with app.app_context():
            engine_for(app, county.url, profiled=county_mode == "strict").run()
        retried = runner.invoke(args=["sync", "retry", tickets[0]])
        assert retried.exit_code == 0 and "queued again" in retried.output
        with app.app_context():
            assert outbox.current_state(get_db(), 1) == outbox.QUEUED
            [entry] = [e for e in audit.every(get_db(), request_id=1) if e.action == "request.requeued"]
            assert entry.actor == "cli" and entry.detail["was"] == outbox.QUARANTINED  # the log says who queued it again
        refused = runner.invoke(args=["sync", "retry", tickets[0]])
        assert refused.exit_code != 0 and "only a quarantined" in refused.output
        with app.app_context():
            assert len([e for e in audit.every(get_db(), request_id=1) if e.action == "request.requeued"]) == 1
    finally:
        county.stop()


def test_sync_and_core_do_not_load_flask_when_imported():
    code = ("import sys, sync.engine, sync.schedule, sync.open311, sync.payload, sync.health, core.submissions, core.catalogue;"
            " print('flask' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_the_health_figures_do_not_load_the_engine_or_requests():
    """The web app reads sync.health on its health pages: that must not bring the engine and ``requests``
    (about 5 MB of the web process); a transport, when one is made, does."""
    code = ("import sys, sync.health, sync.schedule, sync.open311; print(sorted(m for m in ('sync.engine', 'requests')"
            " if m in sys.modules)); sync.open311.HttpTransport(); print('requests' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.split("\n")
    assert out[:2] == ["[]", "True"], out


def test_the_status_pull_asks_a_batch_at_a_time_and_each_request_once(app, county):
    """Streamed (issue 13): the open requests are read and asked about batch_size at a time, and a
    request the county moves during the pull (accepted -> in progress) is not asked about again."""
    save_requests(app, 120)
    with app.app_context():
        engine = engine_for(app, county.url, timeout=5.0, batch_size=50)
        assert engine.run().accepted == 120
        with sqlite3.connect(county.database) as held:  # the county's clerks take every one in hand
            held.execute("UPDATE requests SET status = 'open', status_notes = '已派单'")
        asked: list[list[str]] = []
        ask = engine.client.get_service_requests

        def recorded(ids):
            asked.append(list(ids))
            return ask(ids)

        engine.client.get_service_requests = recorded
        assert engine.run().status_updates == 120
        assert [len(batch) for batch in asked] == [50, 50, 20]
        assert len({i for batch in asked for i in batch}) == 120  # each once, though each moved meanwhile
        assert {s["state"] for s in states(get_db()).values()} == {outbox.IN_PROGRESS}
        asked.clear()
        with sqlite3.connect(county.database) as held:
            held.execute("UPDATE requests SET status = 'closed', status_notes = '已修好'")
        assert engine.run().status_updates == 120 and sum(len(batch) for batch in asked) == 120
        assert {s["state"] for s in states(get_db()).values()} == {outbox.CLOSED}
        asked.clear()
        assert engine.run().status_updates == 0 and asked == []  # nothing open: nothing asked
