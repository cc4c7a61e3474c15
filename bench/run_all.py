"""Benchmarks of the resident pages, printed as ratios against limits measured in the same run.

    make bench            (or: .venv/bin/python -m bench.run_all)

1. Start page (GET /) vs. the same server sending a static file of the same size, 1 and 20 clients.
2. Submit (POST /request/check: validate, save in one fsync'd transaction, redirect) vs. a bare
   sqlite3 commit of one row with synchronous=FULL in WAL mode, 1 and 20 clients/threads.

Figures are requests (or commits) per second and 95th-percentile latency. Not a test: nothing here
passes or fails; the numbers go to docs/performance.md with their date.
"""
from __future__ import annotations

import http.client
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveKiosk  # noqa: E402  (the same real server the tests use)

DURATION = 4.0  # seconds per measurement


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def run_clients(clients: int, make_worker) -> tuple[float, float]:
    """Run ``clients`` threads, each calling its worker until time is up; return (ops/s, p95 ms)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = time.perf_counter() + DURATION
    workers = [make_worker(i) for i in range(clients)]

    def loop(i):
        work, own = workers[i], latencies[i]
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            if not work():
                break
            own.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    flat = [x for own in latencies for x in own]
    return len(flat) / elapsed, p95(flat) * 1000


def getter(port: int, path: str, headers: dict):
    def make(_):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def work():
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            return True
        return work
    return make


class Resident:
    """A keep-alive connection with its own cookies, walked to the check page of a service."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Language": "zh-CN"}
        body = None
        if form is not None:
            from urllib.parse import urlencode
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response.status, text

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", path)[1]).group(1)

    def prepare(self) -> str:
        """Answer a repairs request up to the check page; return the token to confirm it with."""
        token = self.token("/services/repairs")
        for path, form in (("/services/repairs", {}), ("/request/questions/what", {"answer": "light"}),
                           ("/request/questions/where", {"answer": "3号楼2单元"}),
                           ("/request/questions/danger", {"answer": "no"}), ("/request/contact", {"contact": "centre"})):
            status, _ = self.request("POST", path, {"csrf_token": token, **form})
            assert status == 302, (path, status)
        return token


def submit_only(port: int, clients: int) -> tuple[float, float]:
    """Time only the confirm POSTs: each client prepares a draft, waits at a barrier, confirms."""
    latencies: list[float] = []
    lock = threading.Lock()
    rounds = 0
    start_all = time.perf_counter()
    busy = 0.0
    while time.perf_counter() - start_all < DURATION:
        residents = [Resident(port) for _ in range(clients)]
        tokens = [r.prepare() for r in residents]
        barrier = threading.Barrier(clients)
        round_times: list[float] = []

        def confirm(r, t):
            barrier.wait()
            t0 = time.perf_counter()
            status, _ = r.request("POST", "/request/check", {"csrf_token": t})
            assert status == 302, status
            with lock:
                latencies.append(time.perf_counter() - t0)
                round_times.append(time.perf_counter())

        threads = [threading.Thread(target=confirm, args=(r, t)) for r, t in zip(residents, tokens)]
        t_start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        busy += max(round_times) - t_start
        rounds += 1
    return len(latencies) / busy, p95(latencies) * 1000


def raw_commits(clients: int) -> tuple[float, float]:
    """The floor for a durable save: one-row commits with synchronous=FULL in WAL, same disk."""
    folder = Path(tempfile.mkdtemp())  # same file system as the kiosk's database below
    path = folder / "raw.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    setup.close()

    def make(_):
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")

        def work():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", ["x" * 400])
            conn.execute("COMMIT")
            return True
        return work
    try:
        return run_clients(clients, make)
    finally:
        shutil.rmtree(folder)


def main() -> None:
    instance = Path(tempfile.mkdtemp())
    kiosk = LiveKiosk(instance / "instance").start()
    static_copy = ROOT / "static" / "bench-start-copy.html"
    try:
        headers = {"Accept-Language": "zh-CN"}
        conn = http.client.HTTPConnection("127.0.0.1", kiosk.port)
        conn.request("GET", "/", headers=headers)
        page = conn.getresponse().read()
        static_copy.write_bytes(page)
        print(f"start page: {len(page)} bytes; static copy of the same size served by the same server")
        rows = []
        for clients in (1, 20):
            page_rate, page_p95 = run_clients(clients, getter(kiosk.port, "/", headers))
            file_rate, file_p95 = run_clients(clients, getter(kiosk.port, "/static/" + static_copy.name, headers))
            rows.append(("start page", clients, page_rate, page_p95, "static file", file_rate, file_p95, 3.0))
            save_rate, save_p95 = submit_only(kiosk.port, clients)
            raw_rate, raw_p95 = raw_commits(clients)
            rows.append(("submit", clients, save_rate, save_p95, "raw FULL commit", raw_rate, raw_p95, 2.0))
        print(f"\n{'what':<11} {'clients':>7} {'req/s':>8} {'p95 ms':>7} | {'limit':<16} {'ops/s':>8} {'p95 ms':>7} | "
              f"{'time ratio':>10} {'p95 ratio':>9} {'goal':>5}")
        for what, clients, rate, lat, limit, lrate, llat, goal in rows:
            ratio = lrate / rate
            print(f"{what:<11} {clients:>7} {rate:>8.0f} {lat:>7.2f} | {limit:<16} {lrate:>8.0f} {llat:>7.2f} | "
                  f"{ratio:>9.2f}x {lat / llat:>8.2f}x {'≤' + str(goal) + 'x':>5} {'met' if ratio <= goal else 'MISSED'}")
    finally:
        static_copy.unlink(missing_ok=True)
        kiosk.stop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
