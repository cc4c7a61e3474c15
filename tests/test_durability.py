"""A request is saved once its receipt is shown: kill -9 the server right then, restart, and it is there."""
import re
import sqlite3

import pytest
import requests

from core.crypto import load_keyring

from .conftest import LiveKiosk

pytestmark = pytest.mark.slow


def post(session, base, path, **data):
    page = session.get(base + path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.post(base + path, data={"csrf_token": token, **data})


def test_kill_9_right_after_the_receipt(tmp_path):
    kiosk = LiveKiosk(tmp_path / "instance").start()
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    base = kiosk.url
    try:
        post(session, base, "/services/repairs")
        post(session, base, "/request/questions/what", answer="water")
        post(session, base, "/request/questions/where", answer="5号楼地下室")
        post(session, base, "/request/questions/danger", answer="yes")
        post(session, base, "/request/contact", contact="none")
        receipt = post(session, base, "/request/check")
        assert receipt.status_code == 200 and "Your request is saved" in receipt.text
        ticket = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt.text).group(1)
        code = re.search(r'class="check-code"[^>]*>(\d{6})<', receipt.text).group(1)
    finally:
        kiosk.stop(kill=True)  # SIGKILL: no clean shutdown, no checkpoint
    assert kiosk.process.returncode == -9

    kiosk.start()
    try:
        status = requests.get(f"{base}/status/{ticket}?c={code}", headers={"Accept-Language": "en"}, timeout=10)
        assert status.status_code == 200
        assert "Report something broken" in status.text and "Saved on this kiosk" in status.text
    finally:
        kiosk.stop()
    db = sqlite3.connect(kiosk.database)
    row = db.execute("SELECT r.answers, e.state FROM requests r JOIN request_events e ON e.request_id = r.id "
                     "WHERE r.ticket = ?", [ticket]).fetchone()
    assert "5号楼地下室" not in row[0] and row[1] == "queued"  # sealed at rest ...
    assert "5号楼地下室" in load_keyring(kiosk.instance).open(row[0], "requests.answers")  # ... with the box's key
