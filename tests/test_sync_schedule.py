"""When the sync service runs: nightly (with an injected clock), as soon as the county comes back,
never twice at once; and a crash test: kill -9 the worker (and the county) at random points during a
200-request drain, restart each time: the county holds exactly 200, the kiosk shows all 200 accepted."""
import os
import random
import signal
import subprocess
import sys
import time as _time
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.db import database_path, get_db
from core import outbox
from sync.schedule import AlreadyRunning, Scheduler, SingleInstance

from .conftest import ROOT, LiveCounty, free_port
from .sync_helpers import FakeClock, engine_for, save_requests, states

pytestmark = pytest.mark.slow
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_nightly_trigger_with_an_injected_clock(app):
    clock = FakeClock(datetime(2026, 11, 23, 1, 0, tzinfo=SHANGHAI))
    with app.app_context():
        engine = engine_for(app, f"http://127.0.0.1:{free_port()}", clock=clock)  # county down all along
        housekeeping, said = [], []
        scheduler = Scheduler(engine, time(2, 30), "Asia/Shanghai", now=clock, sleep=lambda s: None, log=said.append,
                              after_nightly=lambda: housekeeping.append(clock()) or "purged 0 old drafts")
        assert scheduler.trigger() is None                       # 01:00: not yet
        clock.advance(minutes=91)                                # 02:31
        assert scheduler.trigger() == "nightly"
        assert scheduler.step().trigger == "nightly"
        assert housekeeping == [clock()] and "purged 0 old drafts" in said  # the purge follows the nightly run
        assert scheduler.trigger() is None                       # once a night
        clock.advance(hours=12)
        assert scheduler.trigger() is None                       # 14:31 the same day
        clock.advance(hours=12)                                  # 02:31 the next night
        assert scheduler.trigger() == "nightly"
        runs = get_db().execute("SELECT trigger FROM sync_runs").fetchall()
    assert runs == [("nightly",)]


def test_drain_starts_by_itself_when_the_county_comes_back(app, tmp_path):
    save_requests(app, 5)
    county = LiveCounty(tmp_path / "county", port=free_port())
    triggers = []
    try:
        with app.app_context():
            engine = engine_for(app, county.url)  # its clock is fixed, so backoff never blocks the test
            scheduler = Scheduler(engine, time(2, 30), now=lambda: datetime(2026, 11, 23, 17, tzinfo=timezone.utc),  # 01:00 in Shanghai
                                  probe_seconds=0.1, sleep=_time.sleep, log=lambda s: None)
            for step in range(40):  # bounded: about 4 s of probing
                if step == 3:
                    county.start()
                report = scheduler.step()
                triggers.append(report.trigger if report else None)
                if report and report.accepted:
                    break
                _time.sleep(scheduler.probe_seconds)
            latest = states(get_db())
        assert triggers[:3] == [None, None, None]        # county down: nothing tried, nothing lost
        assert triggers[-1] == "reconnect"                # the first probe that answers starts the drain
        assert all(s["state"] == outbox.ACCEPTED for s in latest.values()) and len(county.requests()) == 5
    finally:
        county.stop()


def test_only_one_worker_at_a_time(tmp_path):
    with SingleInstance(tmp_path / "sync.lock"):
        with pytest.raises(AlreadyRunning):
            with SingleInstance(tmp_path / "sync.lock"):
                pass
    with SingleInstance(tmp_path / "sync.lock"):  # released when the first one ended
        pass


def test_a_second_worker_process_refuses_to_start(app, county):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_INSTANCE_PATH": app.instance_path, "KIOSK_COUNTY_URL": county.url, "KIOSK_SYNC_PROBE_SECONDS": "0.2"}
    # The worker as deploy/systemd starts it (python -m sync.process); the second as an operator would (the full app).
    first = subprocess.Popen([sys.executable, "-m", "sync.process"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if (database_path(app).parent / "sync.lock").exists() and first.poll() is None:
                break
            _time.sleep(0.05)
        _time.sleep(0.5)
        second = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run", "--once"], env=env,
                                cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert second.returncode != 0 and "another sync service" in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=10)


def test_kill_9_at_random_points_during_a_200_request_drain(app, tmp_path):
    rng = random.Random(20261123)
    save_requests(app, 200)
    county = LiveCounty(tmp_path / "county", {"slow_seconds": 0.1}).start()  # a drain long enough to kill 50 times
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_INSTANCE_PATH": app.instance_path, "KIOSK_COUNTY_URL": county.url, "KIOSK_SYNC_TIMEOUT": "2"}
    command = [sys.executable, "-m", "sync.process", "--once"]
    worker_kills = county_kills = 0
    try:
        for round_number in range(120):  # bounded; stops once 50 kills happened mid-drain
            worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _time.sleep(rng.uniform(0.4, 1.0))
            if round_number % 8 == 7:  # now and then the county dies too, mid-request
                county.stop(kill=True)
                county_kills += 1
                county.start()
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                worker_kills += 1
            worker.wait(timeout=30)
            if worker_kills >= 50:
                break
        assert worker_kills >= 50, f"only {worker_kills} kills landed mid-run"
        for _ in range(10):  # then let it finish in peace
            subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=120)
            with app.app_context():
                latest = states(get_db())
            if all(s["state"] == outbox.ACCEPTED for s in latest.values()):
                break
        held = county.requests()
        assert len(held) == 200 and len({uuid for _, uuid, _ in held}) == 200
        with app.app_context():
            uuids = dict(get_db().execute("SELECT id, uuid FROM requests").fetchall())
        by_uuid = {uuid: sid for sid, uuid, _ in held}
        assert len(latest) == 200
        for request_id, state in latest.items():
            assert state["state"] == outbox.ACCEPTED
            assert state["data"]["service_request_id"] == by_uuid[uuids[request_id]]
        assert county_kills >= 5
        # Not even the county's de-duplication was needed: the kiosk asked before every re-send.
        assert county.duplicate_posts() == 0
    finally:
        county.stop()
