"""Benchmarks of the resident pages, printed as ratios against limits measured in the same run.

    make bench            (or: .venv/bin/python -m bench.run_all)

1. Start page (GET /, no session) and a question page (GET with a resident's own session and draft)
   vs. the same server sending a static file of the same size (through WhiteNoise, as every static
   file is sent), 1 and 20 clients.
2. Submit (POST /request/check: validate, save in one fsync'd transaction, redirect) vs. its floor:
   one static-file round trip plus one row committed with synchronous=FULL (the kiosk's own write
   discipline, nothing else), 1 and 20 at once; submits and floors alternate in bursts of the same
   size, so both wait in the same line for the same disk (submit_and_floors).

Each on a new kiosk and on one with 100,000 stored requests. The goal (issue 13) is on the p95
ratio: at most 3x. `make bench` runs this inside a 1 GB memory cap (bench/cap.py). Figures are
requests (or commits) per second and 95th-percentile latency. Not a test: nothing here passes or
fails; the numbers go to docs/performance.md with their date.
"""
from __future__ import annotations

import http.client
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import connect, write_transaction  # noqa: E402
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
        # the service's page carries a token that needs no session (kiosk.security.session_less_form);
        # the visit's own pages, once it has started, the visit's
        status, _ = self.request("POST", "/services/repairs", {"csrf_token": self.token("/services/repairs")})
        assert status == 302, ("/services/repairs", status)
        token = self.token("/request/questions/what")
        for path, form in (("/request/questions/what", {"answer": "light"}),
                           ("/request/questions/where", {"answer": "3号楼2单元"}),
                           ("/request/questions/danger", {"answer": "no"}), ("/request/contact", {"contact": "centre"})):
            status, _ = self.request("POST", path, {"csrf_token": token, **form})
            assert status == 302, (path, status)
        return token


def burst(actions) -> tuple[list[float], float]:
    """Run every action at once (one thread each, released together by a barrier): their latencies
    and the time from the release to the last one done."""
    latencies: list[float] = []
    ends: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(actions) + 1)

    def run(action):
        barrier.wait()
        t0 = time.perf_counter()
        action()
        with lock:
            latencies.append(time.perf_counter() - t0)
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    barrier.wait()
    released = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, max(ends) - released


class Floor:
    """What a durable submit cannot do without: one round trip for a static file of the page's size
    from the same server, then one row committed with ``synchronous=FULL`` (an fsync) through the
    kiosk's own write discipline (core.db: WAL, ``BEGIN IMMEDIATE``, the process's writers queue)."""

    def __init__(self, port: int, path: str, database: Path):
        self.get = getter(port, path, {"Accept-Language": "zh-CN"})(0)
        self.get()  # the keep-alive connection is open before the clock starts, as a resident's is
        self.db = connect(database)

    def __call__(self) -> None:
        self.get()
        with write_transaction(self.db, durable=True):
            self.db.execute("INSERT INTO t (body) VALUES (?)", ["x" * 400])


def submit_and_floors(port: int, clients: int, flask_path: str, file_path: str) -> list[tuple[float, float]]:
    """Durable submits and their floors, measured in the same shape and at the same time.

    Each round, ``clients`` residents are walked to the check page (not timed), then three bursts run
    in turn, each ``clients`` at once: the residents confirm; as many floors through the Flask static
    route; as many through WhiteNoise. The order of the three changes every round, so a slow spell
    of the disk falls on each alike. Returns (per second, p95 ms) for the submit and each floor.
    """
    folder = Path(tempfile.mkdtemp())  # the same file system as the kiosk's database
    raw = folder / "raw.sqlite3"
    setup = connect(raw)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    setup.close()
    floors = {"flask": [Floor(port, flask_path, raw) for _ in range(clients)],
              "file": [Floor(port, file_path, raw) for _ in range(clients)]}
    latencies: dict[str, list[float]] = {"submit": [], "flask": [], "file": []}
    spans = dict.fromkeys(latencies, 0.0)

    def confirm(resident: Resident, token: str) -> None:
        status, _ = resident.request("POST", "/request/check", {"csrf_token": token})
        assert status == 302, status

    try:
        started, rounds = time.perf_counter(), 0
        while time.perf_counter() - started < 3 * DURATION:
            residents = [Resident(port) for _ in range(clients)]
            tokens = [r.prepare() for r in residents]
            actions = {"submit": [lambda r=r, t=t: confirm(r, t) for r, t in zip(residents, tokens)], **floors}
            kinds = list(actions)
            for kind in kinds[rounds % 3:] + kinds[:rounds % 3]:
                got, span = burst(actions[kind])
                latencies[kind] += got
                spans[kind] += span
            rounds += 1
        return [(len(latencies[k]) / spans[k], p95(latencies[k]) * 1000) for k in ("submit", "flask", "file")]
    finally:
        shutil.rmtree(folder)


class SessionGetter:
    """A resident part-way through a request: their own cookies, a question page asked again and again."""

    def __init__(self, port: int):
        self.resident = Resident(port)
        self.resident.prepare()
        self.path = "/request/questions/where"

    def __call__(self) -> bool:
        status, _ = self.resident.request("GET", self.path)
        assert status == 200, status
        return True


def measure(kiosk: LiveKiosk, label: str) -> list[tuple]:
    """Every ratio of one kiosk (its database as it is), 1 and 20 clients.

    Two static floors, both the same server sending a file of the page's size: through the Flask
    app's own static route (what every request pays for the framework: the yardstick the goal was
    set against, 3.3-4.3x when it was set) and through WhiteNoise in front of it (how static files
    are sent now: the transport alone).
    """
    headers = {"Accept-Language": "zh-CN"}
    rows = []
    FLASK_COPY.write_bytes(STATIC_COPY.read_bytes())  # written after the start: WhiteNoise does not know it
    for clients in (1, 20):
        flask_rate, flask_p95 = run_clients(clients, getter(kiosk.port, "/static/" + FLASK_COPY.name, headers))
        file_rate, file_p95 = run_clients(clients, getter(kiosk.port, "/static/" + STATIC_COPY.name, headers))
        floors = (flask_rate, flask_p95, file_rate, file_p95)
        page_rate, page_p95 = run_clients(clients, getter(kiosk.port, "/", headers))
        rows.append((label, "start page", clients, page_rate, page_p95, *floors))
        ask_rate, ask_p95 = run_clients(clients, lambda _: SessionGetter(kiosk.port))
        rows.append((label, "question page", clients, ask_rate, ask_p95, *floors))
        (save_rate, save_p95), flask_floor, file_floor = submit_and_floors(
            kiosk.port, clients, "/static/" + FLASK_COPY.name, "/static/" + STATIC_COPY.name)
        rows.append((label, "submit", clients, save_rate, save_p95, *flask_floor, *file_floor))
    FLASK_COPY.unlink(missing_ok=True)
    return rows


STATIC_COPY = ROOT / "static" / "bench-start-copy.html"
FLASK_COPY = ROOT / "static" / "bench-start-copy-flask.html"
GOAL = 3.0


def clean_up(work: Path) -> None:
    """Remove the static copies (and their gzipped twins) and the bench's work folder."""
    for copy in (STATIC_COPY, FLASK_COPY):
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".gz").unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


def start_kiosk(instance: Path) -> LiveKiosk:
    """The real kiosk, started after the static copy exists (WhiteNoise learns its files at start)."""
    kiosk = LiveKiosk(instance).start()
    conn = http.client.HTTPConnection("127.0.0.1", kiosk.port)
    conn.request("GET", "/", headers={"Accept-Language": "zh-CN"})
    page = conn.getresponse().read()
    if not STATIC_COPY.exists() or STATIC_COPY.stat().st_size != len(page):
        STATIC_COPY.write_bytes(page)
        kiosk.stop()
        kiosk = LiveKiosk(instance).start()
    print(f"[{instance.parent.name}] start page {len(page)} bytes; static copies of the same size from the same server")
    return kiosk


def main() -> None:
    from bench.sync_drain import queue

    work = Path(tempfile.mkdtemp())
    rows = []
    try:
        for label, stored in (("new kiosk", 0), ("100k stored", 100_000)):
            instance = work / label.replace(" ", "-") / "instance"
            if stored:
                started = time.perf_counter()
                queue(instance, stored)
                print(f"[{label}] {stored} requests stored in {time.perf_counter() - started:.0f} s")
            kiosk = start_kiosk(instance)
            try:
                rows += measure(kiosk, label)
            finally:
                kiosk.stop()
        print("\np95 in ms; the floor of 'submit' is a static round trip plus a synchronous=FULL commit of one row, "
              "in bursts alternating with the submits'")
        print(f"{'database':<12} {'what':<14} {'clients':>7} {'req/s':>6} {'p95':>7} | {'Flask static':>12} {'ratio':>6} "
              f"{'goal':>5} | {'WhiteNoise':>10} {'ratio':>6}")
        for label, what, clients, rate, lat, flask_rate, flask_p95, file_rate, file_p95 in rows:
            ratio = lat / flask_p95
            print(f"{label:<12} {what:<14} {clients:>7} {rate:>6.0f} {lat:>7.2f} | {flask_p95:>12.2f} {ratio:>5.2f}x "
                  f"{'met' if ratio <= GOAL else 'MISSED':>5} | {file_p95:>10.2f} {lat / file_p95:>5.2f}x")
    finally:
        clean_up(work)


if __name__ == "__main__":
    main()
