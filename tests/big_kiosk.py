"""A kiosk database with a long life behind it: 100,000 requests, bulk-inserted in a few seconds.

For the tests and benches that ask how the kiosk behaves at scale (tests/test_query_plans.py,
bench/startup.py). The mix is a kiosk's fifth year: requests saved one every ~26 minutes for five
years up to now; the newest few hundred still open at the county, a handful queued, one in flight,
two waiting to retry, ten quarantined; everything closed more than 30 days ago purged as the nightly
purge leaves it (a stub, ``purged_at`` set); a resident's answer for one closed request in three (a
comment for one in ten), a worker's follow-up and a note for the county for each answer, and a sync
run every ten minutes for the last two years. Sealed as the kiosk seals (one sealed value reused: a
sealed value does not name its row), so nothing is left for a start-up to re-seal.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from core import tickets
from core.catalogue import DEMO_FILE
from core.actions.admin import load_catalogue
from core.clock import iso
from core.crypto import load_keyring
from core.db import connect, migrate

COUNTS = {"queued": 20, "in_flight": 1, "retry_wait": 2, "quarantined": 10, "in_progress": 300, "accepted": 600}
PATHS = {  # each state's events, in order
    "queued": ("queued",),
    "in_flight": ("queued", "in_flight"),
    "retry_wait": ("queued", "in_flight", "retry_wait"),
    "quarantined": ("queued", "in_flight", "quarantined"),
    "accepted": ("queued", "in_flight", "accepted"),
    "in_progress": ("queued", "in_flight", "accepted", "in_progress"),
    "closed": ("queued", "in_flight", "accepted", "in_progress", "closed"),
}
YEARS = 5


def _iso(seconds: str) -> str:
    """SQL for ``seconds`` since the epoch as core.clock.iso writes times, made by SQLite itself (a Python
    function called a million times would be most of the build)."""
    return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {seconds}, 'unixepoch')"


def new_kiosk(instance: Path) -> sqlite_utils.Database:
    """A kiosk's data folder made as the kiosk makes it: its own data key, the schema, the demo
    catalogue; returns the open database (carrying the keyring) for a bulk insert."""
    instance.mkdir(parents=True, exist_ok=True)
    db = connect(instance / "kiosk.sqlite3", keyring=load_keyring(instance))
    migrate(db)
    load_catalogue(db, json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    return db


def build(instance: Path, total: int = 100_000, now: datetime | None = None) -> dict:
    """Make ``instance`` (the kiosk's data folder, with its own data key) with ``total`` requests; return
    ``{"ids": {state: [request ids]}, "now": the build's now}``. The newest requests are the open ones."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    db = new_kiosk(instance)
    keyring = db.keyring
    answers = keyring.seal(json.dumps({"what": "light", "where": "3号楼2单元", "danger": "no"}, ensure_ascii=False),
                           "requests.answers")
    purged = keyring.seal("{}", "requests.answers")
    details = keyring.seal('{"contact": "phone", "phone": "13800000000"}', "request_personal.data")
    comment = keyring.seal("灯修好了，谢谢", "resident_answers.comment")
    step = 365 * YEARS * 86400 / total
    base = now.timestamp()
    open_states = [state for state, n in COUNTS.items() for _ in range(n)]
    states = ["closed"] * (total - len(open_states)) + open_states
    ids: dict[str, list[int]] = {state: [] for state in PATHS}
    plan = []
    for i, state in enumerate(states, start=1):
        saved = base - step * (total - i) - 3600
        ids[state].append(i)
        # The nightly purge has taken what the county closed (two days after saving) over 30 days ago.
        plan.append((i, state, saved, int(state != "closed" or saved + 2 * 86400 >= base - 30 * 86400)))
    conn = db.conn
    conn.create_function("ticket", 1, tickets.ticket_for, deterministic=True)
    # Setup, not the kiosk's discipline: no journal and a big page cache while the rows go in, WAL again after.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-100000")
    with conn:
        conn.execute("CREATE TEMP TABLE plan (i INTEGER PRIMARY KEY, state TEXT, saved REAL, kept INTEGER)")
        conn.executemany("INSERT INTO plan VALUES (?, ?, ?, ?)", plan)
        conn.execute("CREATE TEMP TABLE path (state TEXT, n INTEGER, event TEXT)")
        conn.executemany("INSERT INTO path VALUES (?, ?, ?)",
                         [(state, n, event) for state, events in PATHS.items() for n, event in enumerate(events)])
        conn.execute(
            f"""INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash,
                                     requested_at, monotonic_ns, kiosk_id, purged_at)
               SELECT i, lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                               || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                      ticket(i), printf('%06d', i % 1000000), 'repairs', 'zh_Hans_CN',
                      CASE WHEN kept THEN :answers ELSE :purged END, CASE WHEN kept THEN 'h' || i ELSE '' END,
                      {_iso('saved')}, 0, 'kiosk-1', CASE WHEN kept THEN NULL ELSE {_iso('saved + 33 * 86400')} END
               FROM plan ORDER BY i""", {"answers": answers, "purged": purged})
        conn.execute("INSERT INTO request_personal (request_id, data) SELECT i, ? FROM plan WHERE kept ORDER BY i", [details])
        conn.execute(
            f"""INSERT INTO request_events (request_id, state, at, data)
               SELECT p.i, path.event,
                      {_iso("CASE WHEN path.event = 'closed' THEN p.saved + 2 * 86400 ELSE p.saved + 60 * path.n END")},
                      CASE path.event
                        WHEN 'accepted' THEN json_object('service_request_id', 'C' || p.i)
                        WHEN 'in_progress' THEN json_object('service_request_id', 'C' || p.i, 'status', 'open',
                                                            'status_notes', '已派单')
                        WHEN 'closed' THEN json_object('service_request_id', 'C' || p.i, 'status', 'closed',
                                                       'status_notes', '已修好')
                        WHEN 'retry_wait' THEN json_object('attempt', 1, 'next_attempt_at',
                                                           {_iso('CASE WHEN p.i % 2 THEN :now - 60 ELSE :now + 3600 END')})
                        WHEN 'quarantined' THEN json_object('reason', 'unknown attribute', 'http_status', 400)
                        ELSE '{{}}' END
               FROM plan p JOIN path ON path.state = p.state ORDER BY p.i, path.n""", {"now": base})
        # A resident's answer about the close (the request's last event) of one closed request in three.
        conn.execute(
            f"""INSERT INTO resident_answers (request_id, event_id, solved, rating, comment, via, at)
               SELECT p.i, l.event_id, p.i % 7 != 0, p.i % 5 + 1, CASE WHEN p.i % 10 = 0 AND p.kept THEN :comment END,
                      'kiosk', {_iso('p.saved + 3 * 86400')}
               FROM plan p JOIN request_latest l ON l.request_id = p.i WHERE p.state = 'closed' AND p.i % 3 = 0
               ORDER BY p.i""", {"comment": comment})
        conn.execute(
            """INSERT INTO follow_ups (request_id, event_id, outcome, at, by_worker)
               SELECT request_id, event_id, 'told', at, 'alice' FROM resident_answers ORDER BY id""")
        conn.execute(
            """INSERT INTO county_notes (uuid, request_id, kind, fields, created_at, state, county_id, updated_at)
               SELECT lower(hex(randomblob(16))), request_id, 'answer', '{"solved": "yes"}', at,
                      CASE WHEN request_id < :recent THEN 'sent' ELSE 'queued' END, 'N' || request_id, at
               FROM resident_answers ORDER BY id""", {"recent": total - 2000})
        # A sync run every ten minutes for two years; one in ten read the county's clock, one in fifty failed.
        conn.execute(
            f"""WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n + 1 < :runs)
               INSERT INTO sync_runs (trigger, started_at, finished_at, status_updates, clock_offset_seconds, error)
               SELECT 'status', {_iso(':now - 600 * (:runs - n)')}, {_iso(':now - 600 * (:runs - n) + 2')}, 1,
                      CASE WHEN n % 10 = 0 THEN 1.5 END, CASE WHEN n % 50 = 0 THEN 'county unreachable' END FROM r""",
            {"runs": 2 * 365 * 24 * 6, "now": base})
        conn.execute("DROP TABLE plan")
        conn.execute("DROP TABLE path")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return {"ids": ids, "now": now}
