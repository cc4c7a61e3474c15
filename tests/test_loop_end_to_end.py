"""Closing the loop end to end (issue 12), every part a real process on 127.0.0.1 and the resident and
the worker in real Chromium: the county closes a request → the worker's list offers the call-back →
the resident, at the kiosk's screen, says it is not solved → the outcomes page changes; the reopened
request, the answer and the rating reach the county exactly once, although the sync service is killed
with SIGKILL again and again while it sends them to a slow county."""
from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from .browser import Resident
from .conftest import KIOSK_SIZE, PHONE_SIZE, ROOT, LiveCounty, LiveKiosk
from .test_demo_end_to_end import wait_for
from .test_durability import post
from .test_worker_browser import PASSWORDS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def held(county: LiveCounty) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(county.database) as db:
        return [(r[0], r[1], json.loads(r[2])) for r in
                db.execute("SELECT service_request_id, service_code, attributes FROM requests ORDER BY id")]


def updates(county: LiveCounty) -> list[tuple[str, str]]:
    """The updates the county holds (FixMyStreet's extension, where the kiosk's notes go): (about, description)."""
    with sqlite3.connect(county.database) as db:
        return db.execute("SELECT service_request_id, description FROM request_updates ORDER BY id").fetchall()


def all_there(county: LiveCounty) -> bool:
    return len(held(county)) == 2 and len(updates(county)) == 2


def in_flight(kiosk: LiveKiosk) -> int:
    """How many requests and notes the kiosk has marked in flight (a send begun, its answer not recorded)."""
    with sqlite3.connect(kiosk.database) as db:
        return db.execute("SELECT COUNT(*) FROM current_events WHERE state = 'in_flight'").fetchone()[0] + \
            db.execute("SELECT COUNT(*) FROM county_notes WHERE state = 'in_flight'").fetchone()[0]


def sync_service(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_closed_request_said_not_solved_goes_back_once_and_the_outcomes_change(browser, tmp_path):
    county = LiveCounty(tmp_path / "county").start()
    kiosk = LiveKiosk(tmp_path / "kiosk", KIOSK_COUNTY_URL=county.url, KIOSK_WORKER_LOGIN_LIMIT="1000 per hour")
    subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", "demo-worker", "--password-stdin"],
                   input=PASSWORDS["demo-worker"] + "\n", env=kiosk.env, cwd=ROOT, check=True, capture_output=True, text=True)
    kiosk.start()
    env = {**kiosk.env, "KIOSK_SYNC_PROBE_SECONDS": "0.3", "KIOSK_SYNC_STATUS_SECONDS": "0.5", "KIOSK_SYNC_TIMEOUT": "3"}
    worker = sync_service(env)
    phone = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN")
    screen = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN")
    try:
        resident = requests.Session()
        resident.headers["Accept-Language"] = "zh-CN"
        post(resident, kiosk.url, "/services/repairs")
        post(resident, kiosk.url, "/request/questions/what", answer="lift")
        post(resident, kiosk.url, "/request/questions/where", answer="7号楼电梯")
        post(resident, kiosk.url, "/request/questions/danger", answer="no")
        post(resident, kiosk.url, "/request/contact", contact="phone", phone="13800138000")
        receipt = post(resident, kiosk.url, "/request/check").text
        ticket = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt).group(1)
        code = re.search(r'class="check-code"[^>]*>(\d{6})<', receipt).group(1)
        original = wait_for(lambda: held(county))[0][0]
        subprocess.run([sys.executable, "-m", "flask", "--app", "county", "clerk", "set", original, "--status", "closed",
                        "--notes", "电梯已修好"], env=county.env, cwd=ROOT, check=True, capture_output=True)

        # the worker's list offers the call-back once the kiosk has heard
        staff = Resident(phone.new_page(), kiosk.url, js=True)
        staff.open("/worker/worklist")
        log_in(staff, "demo-worker")
        offered = lambda: (staff.open("/worker/worklist") or  # noqa: E731
                           staff.page.locator("#wl-pass-on ~ ul a[href*='/worklist/answer/']").count())
        assert wait_for(offered, 30)
        staff.open("/worker/outcomes")
        before = staff.page.locator("#chart-problems-title ~ figure table").inner_text()
        worker.terminate()  # what follows is sent by a worker killed again and again
        worker.wait(timeout=10)

        # the resident, at the kiosk's own screen, looks the ticket up and says it is not solved
        kiosk_screen = Resident(screen.new_page(), kiosk.url, js=True)
        kiosk_screen.open(f"/status/{ticket}?c={code}")
        assert "问题真的解决了吗？" in kiosk_screen.page.locator("main").inner_text()
        kiosk_screen.tap(kiosk_screen.page.locator(".loop-question button[value=no]"))
        kiosk_screen.tap(kiosk_screen.page.locator("button[name=rating][value='2']"))
        kiosk_screen.tap(kiosk_screen.page.locator("button[name=skip]"))
        new_ticket = kiosk_screen.page.locator(".ticket--inline").inner_text()
        assert new_ticket != ticket

        staff.open("/worker/outcomes")
        after = staff.page.locator("#chart-problems-title ~ figure table").inner_text()
        assert before != after and re.search(r"(因没有解决而重新提交)\s+1", after), after
        staff.open("/worker/worklist")
        assert staff.page.locator("#wl-pass-on ~ ul .worklist__item", has_text=ticket).count() == 0  # they have the news

        # a slow county, and the sync service killed at random moments while it sends
        county.stop()
        county.start({"slow_seconds": 0.6})
        rng, kills, mid_send = random.Random(20261201), 0, 0
        for life in range(30):  # bounded: stops once three kills have landed mid-send, or all was sent
            running = sync_service(env)
            if life % 2 == 0:  # aimed: a moment after a send begins, while the slow county still holds it
                deadline = time.monotonic() + 10
                while not (in_flight(kiosk) or all_there(county)) and time.monotonic() < deadline:
                    time.sleep(0.05)  # bounded by the deadline; a send waiting on a back-off is killed anyway
                time.sleep(rng.uniform(0.0, 0.4))
            else:  # anywhere in the service's life
                time.sleep(rng.uniform(0.5, 3.0))
            running.send_signal(signal.SIGKILL)
            running.wait(timeout=10)
            kills += 1
            mid_send += in_flight(kiosk)
            if mid_send >= 3 or all_there(county):
                break
        worker = sync_service(env)
        wait_for(lambda: all_there(county), 60)
        time.sleep(2)  # and nothing more arrives
        rows, notes = held(county), updates(county)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        phone.close()
        screen.close()
        kiosk.stop()
        county.stop()
    # at least one kill between in_flight and its answer (the worker starts fast enough to send all four in
    # two lives, so half the kills are aimed at a send begun; the number of kills is not asked for)
    assert mid_send >= 1, (kills, mid_send)
    requests_held = [(sid, attrs.get("kiosk_reopens")) for sid, service, attrs in rows]
    assert len(requests_held) == 2 and requests_held[0] == (original, None) and requests_held[1][1] == original
    assert sorted(notes) == [(original, "居民表示：问题没有解决（已另行重新提交）。"), (original, "居民评价：不满意。")]  # as updates
    with sqlite3.connect(county.database) as db:
        assert db.execute("SELECT COALESCE(SUM(duplicate_posts), 0) FROM requests").fetchone()[0] == 0
        assert db.execute("SELECT COALESCE(SUM(duplicate_posts), 0) FROM request_updates").fetchone()[0] == 0
