"""Twenty workers' phones polling the list of residents waiting, as their pages do: what it costs the box.

    make bench            (or: .venv/bin/python -m bench.help_calls)

The real kiosk (waitress, its own process). First a resident page's p95 with nobody polling; then 20
logged-in workers each asking for the live list every 2 s (the page's htmx poll) for 20 s while the
same resident page is measured again; the kiosk process's RSS before and after; how long after a
call is made the first poll shows it. Ratios: resident p95 with polling against without; RSS
growth against a 20 MB allowance. Not a test: the numbers go to docs/performance.md.
"""
from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveKiosk  # noqa: E402

WORKERS = 20
POLL = 2.0
SECONDS = 20.0
GROWTH_ALLOWANCE_MB = 20.0
PASSWORD = "bench-password-1"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Browser:
    """One client with its own cookies, as a phone's browser would have (the session's and the open
    forms' ``kiosk_form``: a login answer sets both)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode() if form else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if body:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=sent)
        reply = self.connection.getresponse()
        text = reply.read().decode()
        for line in reply.headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";")[0].partition("=")
            if value:
                self.cookies[name.strip()] = value
            else:  # an emptied cookie: the browser forgets it
                self.cookies.pop(name.strip(), None)
        return reply.status, text

    def log_in(self, name: str) -> None:
        _, page = self.request("GET", "/worker/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/worker/login", {"login": name, "password": PASSWORD, "csrf_token": token})
        assert status == 302, status


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def resident_page(port: int, until: float) -> list[float]:
    client, times = Browser(port), []
    while time.monotonic() < until:
        started = time.perf_counter()
        client.request("GET", "/services/repairs")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        kiosk = LiveKiosk(Path(folder) / "instance", KIOSK_WORKER_LOGIN_LIMIT="1000 per hour",
                          KIOSK_WORKER_LOGIN_CLIENT_LIMIT="1000 per hour")
        for n in range(WORKERS):
            subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "workers", "add", f"w{n}", "--password-stdin"],
                           input=PASSWORD + "\n", env=kiosk.env, cwd=ROOT, capture_output=True, text=True, check=True)
        kiosk.start()
        try:
            pid = kiosk.process.pid
            quiet = resident_page(kiosk.port, time.monotonic() + 5)
            started_rss = rss_mb(pid)
            phones = [Browser(kiosk.port) for _ in range(WORKERS)]
            for n, phone in enumerate(phones):
                phone.log_in(f"w{n}")
                phone.request("GET", "/worker/calls")
            before = rss_mb(pid)
            stop = time.monotonic() + SECONDS
            seen_after: list[float] = []
            called_at: list[float] = []
            polls: list[float] = []

            def poll(phone: Browser, offset: float) -> None:
                time.sleep(offset)
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    _, part = phone.request("GET", "/worker/calls", headers={"HX-Request": "true", "HX-Target": "help-calls"})
                    polls.append((time.perf_counter() - started) * 1000)
                    if called_at and not seen_after and "calls__call" in part:
                        seen_after.append(time.monotonic() - called_at[0])
                    time.sleep(POLL)

            threads = [threading.Thread(target=poll, args=(phone, POLL * n / WORKERS)) for n, phone in enumerate(phones)]
            for thread in threads:
                thread.start()
            time.sleep(SECONDS / 2)
            screen = Browser(kiosk.port)
            called_at.append(time.monotonic())
            screen.request("POST", "/help/call", {"from": "/services/repairs"})
            busy = resident_page(kiosk.port, stop)
            for thread in threads:
                thread.join()
            after = rss_mb(pid)
        finally:
            kiosk.stop()
    print(f"resident page p95: {p95(quiet):.1f} ms alone, {p95(busy):.1f} ms with {WORKERS} workers polling every "
          f"{POLL:.0f} s: ratio {p95(busy) / p95(quiet):.2f}x")
    print(f"a poll: median {statistics.median(polls):.1f} ms, p95 {p95(polls):.1f} ms over {len(polls)} polls")
    print(f"kiosk RSS after resident pages {started_rss:.1f} MB; after {WORKERS} logins (argon2id, 19 MiB each) "
          f"{before:.1f} MB (+{before - started_rss:.1f})")
    print(f"kiosk RSS with {WORKERS} workers logged in: {before:.1f} MB, after {SECONDS:.0f} s of polling {after:.1f} MB "
          f"(+{after - before:.1f}); allowance {GROWTH_ALLOWANCE_MB:.0f} MB: ratio {(after - before) / GROWTH_ALLOWANCE_MB:.2f}x")
    print(f"a call first seen by a polling worker {seen_after[0]:.2f} s after it was made (limit 3 s)" if seen_after
          else "no poll saw the call")


if __name__ == "__main__":
    main()
