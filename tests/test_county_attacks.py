"""The reference county against what strangers tried on it (issue 19, item 7), each on a real county
process on 127.0.0.1: many wrong clerk passwords at once, a session cookie copied before logging
out, a chunked body past the cap, and the county's folder and database on disk."""
from __future__ import annotations

import re
import socket
import sqlite3
import stat
import threading
from collections import Counter

import requests

from bench.county_logins import NAME, checked, peak_mb, wrong_logins
from county import accounts

from .conftest import LiveCounty

FORM = (b"api_key=demo-kiosk-key&service_code=repairs&address_string=x&attribute%5Bwhat%5D=light"
        b"&attribute%5Bwhere%5D=3&attribute%5Bdanger%5D=no&description=chunked")
CAP = 256 * 1024


def test_forty_wrong_passwords_at_once_hash_at_most_five_and_memory_stays_bounded(tmp_path):
    county = LiveCounty(tmp_path / "county").start()
    try:
        county.add_clerk(NAME)
        before = peak_mb(county.process.pid)
        answers = wrong_logins(county, 40)
        after = peak_mb(county.process.pid)
        hashed = checked(county)
        failures = county.query("SELECT COUNT(*) FROM login_failures WHERE name = ?", [NAME])[0][0]
    finally:
        county.stop()
    counts = Counter(answers)
    assert 1 <= counts[422] <= accounts.MAX_FAILURES_PER_NAME, counts  # was 40: every one checked
    assert counts[429] + counts[503] == 40 - counts[422], counts         # the others refused unchecked
    assert after - before < 150, f"peak RSS {before:.0f} -> {after:.0f} MB"  # was 1.2 GB: 40 scrypt hashes of 32 MiB at once
    assert hashed == counts[422], (hashed, counts)  # the county's own log: a password checked is a wrong answer
    assert failures == hashed  # a try refused as busy (503) is not counted; every one checked is


def test_a_cookie_copied_before_logging_out_opens_nothing_after(tmp_path):
    county = LiveCounty(tmp_path / "county").start()
    try:
        password = county.add_clerk("li.clerk")
        browser, other = county.clerk_session("li.clerk", password), county.clerk_session("li.clerk", password)
        copied = browser.cookies["county_session"]
        page = browser.get(county.url + "/clerk", timeout=5)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert browser.post(county.url + "/clerk/logout", data={"csrf_token": token}, timeout=5,
                            allow_redirects=False).status_code == 302
        replayed = requests.get(county.url + "/clerk", cookies={"county_session": copied}, timeout=5, allow_redirects=False)
        assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/clerk/login")
        # The clerk's other browser (her phone, say) stays logged in: only the session logged out ends.
        assert other.get(county.url + "/clerk", timeout=5, allow_redirects=False).status_code == 200
    finally:
        county.stop()


def chunked_post(port: int, body: bytes, extra_headers: bytes = b"") -> bytes:
    """``body`` posted to /requests.json in 64 KiB chunks over a raw socket; the county's answer (status line and all).

    The body is sent from a thread of its own while the answer is read, so a county that answers
    before reading everything (as it should) is heard even if it stops reading."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)

    def send() -> None:
        try:
            sock.sendall(b"POST /requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n" + extra_headers + b"\r\n")
            for i in range(0, len(body), 65536):
                chunk = body[i:i + 65536]
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the county stopped reading and closed: expected for a body over the cap
            pass

    sender = threading.Thread(target=send)
    sender.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or not re.search(rb"\]\s*$", answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    sender.join(timeout=20)
    sock.close()
    return answer


def test_a_chunked_body_over_the_cap_is_refused_and_nothing_is_stored(tmp_path):
    # Fields each within their limits (100 fields of 3,900 characters are "any other field", allowed
    # up to 4,000), about 390 KB in all: only the body's cap can refuse it.
    over = FORM + b"".join(b"&pad%d=%s" % (i, b"y" * 3900) for i in range(100))
    assert len(over) > CAP
    county = LiveCounty(tmp_path / "county").start()
    try:
        refused = chunked_post(county.port, over)
        smuggled = chunked_post(county.port, over, b"Content-Length: 200\r\n")  # a small length beside the chunks
        assert county.requests() == []
        fits = chunked_post(county.port, FORM + b"&pad=" + b"y" * 3900)  # chunked under the cap is still served
        held = county.requests()
    finally:
        county.stop()
    for answer in (refused, smuggled):
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"request too large: at most 262144 bytes" in answer
    assert fits.startswith(b"HTTP/1.1 200"), fits[:300]
    assert len(held) == 1


def modes(folder) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.name.startswith("county.sqlite3")}


def test_the_county_started_on_its_own_keeps_its_folder_and_database_to_itself(tmp_path):
    county = LiveCounty(tmp_path / "county")
    county.instance.mkdir(mode=0o755)  # as an operator's mkdir (or the log file's) leaves it; the umask is 022
    county.start()
    try:
        assert requests.post(county.url + "/requests.json", data=FORM, timeout=5,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
        folder, files = stat.S_IMODE(county.instance.stat().st_mode), modes(county.instance)
    finally:
        county.stop()
    assert folder == 0o700, oct(folder)
    assert files == {"county.sqlite3": 0o600}, {name: oct(mode) for name, mode in files.items()}
    # Its WAL and shared-memory index, which live only while a connection is open, get the file's mode.
    with sqlite3.connect(county.database) as conn:
        conn.execute("UPDATE requests SET status = status")
        while_open = modes(county.instance)
    assert set(while_open) == {"county.sqlite3", "county.sqlite3-wal", "county.sqlite3-shm"}, while_open
    assert set(while_open.values()) == {0o600}, {name: oct(mode) for name, mode in while_open.items()}
    # A database an older county left readable by all is made private at the next start.
    county.database.chmod(0o644)
    county.instance.chmod(0o755)
    county.start()
    county.stop()
    after = modes(county.instance)
    assert "county.sqlite3" in after and set(after.values()) == {0o600}, {name: oct(mode) for name, mode in after.items()}
    assert stat.S_IMODE(county.instance.stat().st_mode) == 0o700
