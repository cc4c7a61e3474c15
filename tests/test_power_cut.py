"""Power cuts (issue 13, item 2): fifty times, every process of the box — the kiosk's web app, the sync
worker and the county — is killed with SIGKILL at a random moment while residents save requests and
the sync sends them; each time the database passes its integrity check (PRAGMA quick_check, as the
kiosk runs at start-up) and everything is started again. At the end, every request a resident was
shown a receipt for is saved, and the county holds each saved request exactly once."""
from __future__ import annotations

import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests

from core import backup

from .conftest import ROOT, LiveCounty, LiveKiosk
from .test_demo_end_to_end import wait_for

pytestmark = pytest.mark.slow
CYCLES = 50


def submit(base: str, where: str) -> str | None:
    """One resident's repair, page by page as a browser posts it; the ticket if a receipt was shown."""
    session = requests.Session()
    try:
        def post(path, **data):
            page = session.get(base + path, timeout=5).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            return session.post(base + path, data={"csrf_token": token, **data}, timeout=5)

        post("/services/repairs")
        post("/request/questions/what", answer="light")
        post("/request/questions/where", answer=where)
        post("/request/questions/danger", answer="no")
        post("/request/contact", contact="centre")
        receipt = post("/request/check")
        found = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt.text)
        return found.group(1) if receipt.status_code == 200 and found else None
    except (requests.RequestException, AttributeError):  # the power went while this resident was at it
        return None


def test_fifty_power_cuts_lose_nothing_and_send_nothing_twice(tmp_path):
    rng = random.Random(20261201)
    county = LiveCounty(tmp_path / "county", {"slow_seconds": 0.05}).start()
    kiosk = LiveKiosk(tmp_path / "kiosk", KIOSK_COUNTY_URL=county.url, KIOSK_SYNC_TIMEOUT="2")
    env = {**kiosk.env, "KIOSK_SYNC_PROBE_SECONDS": "0.2", "KIOSK_SYNC_STATUS_SECONDS": "1"}
    receipts: list[str] = []
    checks = 0
    worker = None
    try:
        # How long one resident's request takes on this machine now: the cuts come later on a machine
        # that is busy with something else, so that they still fall before, during and after saves.
        kiosk.start()
        started = time.monotonic()
        warm_up = submit(kiosk.url, "warm-up")
        assert warm_up, "with the power on, a resident's request must be saved"
        receipts.append(warm_up)
        pace = max(1.0, (time.monotonic() - started) / 0.5)
        kiosk.stop()
        for cycle in range(CYCLES):  # bounded
            kiosk.start()
            if county.process.poll() is not None:
                county.start()
            worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run"], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shown: list[str] = []

            def resident(n: int) -> None:  # one after another at this screen until the power goes
                for m in range(20):  # bounded
                    ticket = submit(kiosk.url, f"{cycle}-{n}-{m}号楼")
                    if ticket is None:
                        return
                    shown.append(ticket)

            residents = [threading.Thread(target=resident, args=(n,)) for n in range(3)]
            for thread in residents:
                thread.start()
            time.sleep(rng.uniform(0.5, 3.0) * pace)
            for process in (kiosk.process, worker, *((county.process,) if cycle % 5 == 4 else ())):
                process.send_signal(signal.SIGKILL)  # the power goes: no process gets to finish anything
                process.wait(timeout=10)
            for thread in residents:
                thread.join(timeout=15)
            receipts += [t for t in shown if t]
            assert backup.check(kiosk.database) == [], f"cycle {cycle}: the database did not pass its check"
            checks += 1
        # the power stays on: everything starts again and the queue drains
        kiosk.start()
        if county.process.poll() is not None:
            county.start()
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def drained():
            with sqlite3.connect(kiosk.database) as db:
                waiting = db.execute("SELECT COUNT(*) FROM current_events WHERE state NOT IN ('accepted', 'in_progress',"
                                     " 'closed', 'quarantined')").fetchone()[0]
            return waiting == 0

        wait_for(drained, 120)
        with sqlite3.connect(kiosk.database) as db:
            saved = {row[0]: row[1] for row in db.execute("SELECT ticket, uuid FROM requests")}
            refused = db.execute("SELECT COUNT(*) FROM current_events WHERE state = 'quarantined'").fetchone()[0]
        with sqlite3.connect(county.database) as db:
            held = [row[0] for row in db.execute("SELECT kiosk_uuid FROM requests WHERE service_code = 'repairs'")]
            duplicates = db.execute("SELECT COALESCE(SUM(duplicate_posts), 0) FROM requests").fetchone()[0]
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
        kiosk.stop()
        county.stop()
    assert checks == CYCLES
    assert len(receipts) - 1 >= 10, f"only {len(receipts) - 1} receipts in {CYCLES} cycles: the test did not test"
    assert set(receipts) <= set(saved), "a resident was shown a receipt for a request that is not saved"
    assert refused == 0
    assert sorted(held) == sorted(saved.values()), "the county must hold each saved request exactly once"
    assert duplicates == 0, "a request the county already held was posted again"
    assert backup.check(kiosk.database) == []
