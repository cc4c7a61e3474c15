"""What the kiosk's heartbeat costs: ``GET /health.json`` on loopback, 200 times, with a keep-alive client.

    .venv/bin/python -m bench.health [HISTORY]

Two databases: a kiosk's first weeks (1,000 requests behind it) and a long life (``HISTORY``
requests, 50,000 by default: five years at about 27 a day, with 100,000 sync runs). Both have the
same few requests waiting, in flight and quarantined. For each: the median and p95 of the JSON
endpoint against a static file of about the same size from the same server in the same run, the
figures alone computed in the process (``sync.health.check``), and the plan of every statement the
figures run (a SCAN of any table is a failure).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import connect  # noqa: E402
from tests.conftest import LiveKiosk  # noqa: E402

ROUNDS = 200


def build(instance: Path, history: int, sync_runs: int) -> None:
    """A kiosk database with ``history`` requests the county has closed (five events each) and 27
    still open: 20 queued, 1 in flight, 1 waiting to retry, 5 quarantined; and ``sync_runs`` runs,
    one in fifty with an error. Bulk-inserted (setup, not timed), sealed as the kiosk seals."""
    from tests.big_kiosk import new_kiosk

    db = new_kiosk(instance)
    keyring = db.keyring
    answers = keyring.seal(json.dumps({"what": "light", "where": "3号楼", "danger": "no"}, ensure_ascii=False),
                           "requests.answers")
    closed = ("queued", "in_flight", "accepted", "in_progress", "closed")
    open_ = ["queued"] * 20 + ["in_flight", "retry_wait"] + ["quarantined"] * 5
    total = history + len(open_)
    at = "2026-11-25T08:00:00+00:00"
    with db.conn:
        db.conn.executemany(
            "INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash, requested_at,"
            " monotonic_ns, kiosk_id) VALUES (?, ?, ?, '000000', 'repairs', 'zh_Hans_CN', ?, ?, ?, 0, 'bench')",
            [(i, str(uuid.uuid4()), f"B{i:06d}", answers, f"h{i}", at) for i in range(1, total + 1)])
        events = [(i, state, at, "{}") for i in range(1, history + 1) for state in closed]
        for n, state in enumerate(open_, start=history + 1):
            events += [(n, "queued", at, "{}")] + ([(n, "in_flight", at, "{}")] if state != "queued" else [])
            if state not in ("queued", "in_flight"):
                events.append((n, state, at, "{}"))
        db.conn.executemany("INSERT INTO request_events (request_id, state, at, data) VALUES (?, ?, ?, ?)", events)
        db.conn.executemany(
            "INSERT INTO sync_runs (trigger, started_at, finished_at, status_updates, clock_offset_seconds, error)"
            " VALUES ('status', ?, ?, 1, ?, ?)",
            [(at, at, 1.5 if i % 10 == 0 else None, "county unreachable" if i % 50 == 0 else None)
             for i in range(sync_runs)])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def timed(session: requests.Session, url: str) -> list[float]:
    for _ in range(20):  # warm up: connection, caches, the first page's compilation
        session.get(url).raise_for_status()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        session.get(url).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    return times


def in_process(instance: Path) -> tuple[list[float], dict[str, list[str]]]:
    from core.crypto import load_keyring
    from sync import health

    db = connect(instance / "kiosk.sqlite3", keyring=load_keyring(instance))
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    health.check(db, instance, instance / "kiosk.sqlite3")
    db.conn.set_trace_callback(None)
    plans = {sql: [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)] for sql in statements}
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        health.check(db, instance, instance / "kiosk.sqlite3")
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return times, plans


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def main(history: int = 50_000) -> None:
    print(f"CPython {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for name, requests_behind, runs in (("first weeks", 1_000, 2_000), ("long life", history, 100_000)):
        with tempfile.TemporaryDirectory() as folder:
            instance = Path(folder) / "instance"
            build(instance, requests_behind, runs)
            figures, plans = in_process(instance)
            scans = [sql for sql, plan in plans.items() if any(step.startswith("SCAN") for step in plan)]
            kiosk = LiveKiosk(instance).start()
            try:
                with requests.Session() as session:
                    size = len(session.get(kiosk.url + "/health.json").content)
                    endpoint = timed(session, kiosk.url + "/health.json")
                    static = timed(session, kiosk.url + "/static/css/print.css")
                    static_size = len(session.get(kiosk.url + "/static/css/print.css").content)
            finally:
                kiosk.stop()
            print(f"\n{name}: {requests_behind:,} requests behind, {runs:,} sync runs, "
                  f"{(instance / 'kiosk.sqlite3').stat().st_size / 1e6:.1f} MB")
            print(f"  /health.json ({size} B): median {statistics.median(endpoint):.2f} ms, p95 {p95(endpoint):.2f} ms")
            print(f"  static file ({static_size} B): median {statistics.median(static):.2f} ms, p95 {p95(static):.2f} ms"
                  f" -> {statistics.median(endpoint) / statistics.median(static):.1f}x")
            print(f"  sync.health.check alone: median {statistics.median(figures):.2f} ms, p95 {p95(figures):.2f} ms")
            print(f"  {len(plans)} statements, {len(scans)} scanning a table")
            for sql, plan in plans.items():
                print("   ", " ".join(sql.split())[:90], "->", "; ".join(plan) or "(no plan: a pragma)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
