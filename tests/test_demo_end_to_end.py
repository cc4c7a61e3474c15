"""The README's promise, with every part a real process on 127.0.0.1: a resident saves a request at the
kiosk; the sync service sends it to the county by itself; a clerk logs in there and changes its status;
the kiosk's status page shows the change after the next sync."""
import re
import subprocess
import sys
import time

import pytest
import requests

from .conftest import ROOT, LiveCounty, LiveKiosk
from .test_durability import post

pytestmark = pytest.mark.slow


def wait_for(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # bounded: gives up by itself
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_request_goes_to_the_county_and_its_status_comes_back(tmp_path):
    county = LiveCounty(tmp_path / "county").start()
    kiosk = LiveKiosk(tmp_path / "kiosk", KIOSK_COUNTY_URL=county.url).start()
    env = {**kiosk.env, "KIOSK_SYNC_PROBE_SECONDS": "0.5", "KIOSK_SYNC_STATUS_SECONDS": "1"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "sync", "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        resident = requests.Session()
        resident.headers["Accept-Language"] = "zh-CN"
        post(resident, kiosk.url, "/services/repairs")
        post(resident, kiosk.url, "/request/questions/what", answer="lift")
        post(resident, kiosk.url, "/request/questions/where", answer="7号楼电梯")
        post(resident, kiosk.url, "/request/questions/danger", answer="yes")
        post(resident, kiosk.url, "/request/contact", contact="centre")
        receipt = post(resident, kiosk.url, "/request/check").text
        ticket = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt).group(1)
        code = re.search(r'class="check-code"[^>]*>(\d{6})<', receipt).group(1)
        status_url = f"{kiosk.url}/status/{ticket}?c={code}"

        held = wait_for(county.requests)  # the worker sent it by itself
        service_request_id = held[0][0]
        clerk = county.clerk_session("clerk-1", county.add_clerk("clerk-1"))
        clerk_page = clerk.get(county.url + "/clerk", timeout=5).text
        assert service_request_id in clerk_page and "7号楼电梯" in clerk_page
        assert wait_for(lambda: service_request_id in requests.get(status_url, timeout=5).text)

        token = re.search(r'name="csrf_token" value="([^"]+)"', clerk_page).group(1)
        saved = clerk.post(f"{county.url}/clerk/{service_request_id}", timeout=5, allow_redirects=False,
                           data={"csrf_token": token, "status": "closed", "status_notes": "电梯已修好", "agency_responsible": "物业"})
        assert saved.status_code == 302
        page = wait_for(lambda: (lambda text: text if "电梯已修好" in text else None)(requests.get(status_url, timeout=5).text))
        current = page.split('aria-current="step"')[1].split("</li>")[0]
        assert "已办结" in current and "电梯已修好" in current
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        kiosk.stop()
        county.stop()
