"""Many kiosks draining into one reference county, on SQLite and on PostgreSQL: throughput, and proof
that every request arrived exactly once.

    .venv/bin/python -m bench.county_scale [--kiosks 200] [--requests 500] [--parallel 8]
                                           [--backends sqlite,postgresql] [--bare 10000]

Each kiosk is a real kiosk database (its own folder, data key and SQLite file) with its requests
bulk-inserted as ``bench/sync_drain.py`` does, drained by the real sync engine (``sync/engine.py``
over ``HttpTransport``) into one county server (``python -m county.serve``, a real process on
127.0.0.1), ``--parallel`` kiosks at a time, each in a process of its own. The county drops the
connection after storing 1 % of posts and answers 1 % with a 500 before storing (``COUNTY_FAULTS``),
so kiosks retry, ask the county by UUID before sending again, and exactly once is shown under faults.
The kiosks' backoff is cut to a fraction of a second (``Settings.base_delay``) so retries happen
within the run; everything else is the engine as a kiosk runs it (durable ``in_flight`` before each
post, status pulled after each run).

The limit beside it, measured in the same run: the same number of processes posting the same form
over one keep-alive session each, nothing else, into a fresh county of the same kind.

Exactly once, checked at the end of each backend from both sides: the county holds exactly
kiosks × requests requests, each kiosk UUID once, none missing, none extra, no re-post it had to
de-duplicate; every kiosk request is ``accepted`` with the id the county holds for its UUID.

Bounded: every HTTP call has a timeout, each kiosk stops after 50 runs or its deadline, the whole
backend after ``--deadline`` seconds; only 127.0.0.1 and a Unix socket are used.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync_drain import queue  # noqa: E402
from tests.conftest import LiveCounty  # noqa: E402

FAULTS = {"seed": 13, "drop_rate": 0.01, "error_rate": 0.01}
KEY = "demo-kiosk-key"
MAX_RUNS = 50  # engine runs per kiosk before it gives up (each run tries every due request once)


@dataclass
class Drained:
    kiosk: str
    seconds: float
    runs: int
    sent: int
    accepted: int
    retried: int
    left: int  # requests not accepted when the kiosk stopped


def make_kiosks(work: Path, kiosks: int, per_kiosk: int) -> list[Path]:
    """``kiosks`` kiosk folders, each with ``per_kiosk`` queued requests (setup, not timed)."""
    folders = []
    for k in range(kiosks):
        folder = work / f"kiosk-{k:03d}"
        queue(folder, per_kiosk, kiosk_id=f"kiosk-{k:03d}")
        folders.append(folder)
    return folders


def drain_kiosk(folder: Path, county_url: str, deadline: float) -> Drained:
    """Run one kiosk's sync engine until everything is accepted (or it gives up), as its worker would."""
    from core import outbox
    from core.crypto import load_keyring
    from core.db import connect
    from sync.engine import Settings, SyncEngine
    from sync.open311 import HttpTransport, Open311Client

    db = connect(folder / "kiosk.sqlite3", keyring=load_keyring(folder))
    transport = HttpTransport(timeout=10, connect_timeout=3)
    engine = SyncEngine(db, Open311Client(county_url, KEY, "demo-county", transport),
                        Settings(kiosk_id=folder.name, base_delay=0.2, max_delay=1.0))
    start = time.perf_counter()
    runs = sent = accepted = retried = 0
    try:
        while runs < MAX_RUNS and time.monotonic() < deadline:
            report = engine.run("bench")
            runs, sent, accepted, retried = runs + 1, sent + report.sent, accepted + report.accepted, retried + report.retrying
            if not outbox.current_in(db, outbox.UNSENT, limit=1):
                break
            time.sleep(0.2 if not report.unreachable else 1.0)  # the backoff's shortest wait
        left = len(outbox.current_in(db, outbox.UNSENT))
    finally:
        transport.close()
        db.close()
    return Drained(folder.name, time.perf_counter() - start, runs, sent, accepted, retried, left)


def drain_all(folders: list[Path], county_url: str, parallel: int, deadline_seconds: float,
              processes: bool = True) -> tuple[float, list[Drained]]:
    """Drain every kiosk, ``parallel`` at once; (wall seconds, each kiosk's figures)."""
    deadline = time.monotonic() + deadline_seconds
    pool = (ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("fork")) if processes
            else ThreadPoolExecutor(parallel))
    start = time.perf_counter()
    with pool:
        futures = [pool.submit(drain_kiosk, f, county_url, deadline) for f in folders]
        drained = [f.result(timeout=deadline_seconds + 60) for f in futures]
    return time.perf_counter() - start, drained


def _bare_share(county_url: str, count: int) -> None:
    form = {"api_key": KEY, "jurisdiction_id": "demo-county", "service_code": "repairs", "address_string": "社区服务中心",
            "description": "什么坏了？ 楼道灯", "attribute[what]": "light", "attribute[where]": "3号楼2单元",
            "attribute[danger]": "no", "attribute[kiosk_hash]": "h"}
    with requests.Session() as session:
        for _ in range(count):
            answer = session.post(county_url + "/requests.json", data={**form, "attribute[kiosk_uuid]": str(uuid.uuid4())},
                                  timeout=10)
            assert answer.status_code == 200, answer.text[:200]


def bare_loop(county_url: str, count: int, parallel: int) -> float:
    """The limit: ``parallel`` processes posting ``count`` requests in all, one keep-alive session each."""
    shares = [count // parallel + (1 if i < count % parallel else 0) for i in range(parallel)]
    start = time.perf_counter()
    with ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("fork")) as pool:
        for future in [pool.submit(_bare_share, county_url, n) for n in shares]:
            future.result(timeout=1800)
    return time.perf_counter() - start


def exactly_once(county: LiveCounty, folders: list[Path]) -> dict:
    """Both sides' accounts of every request: what the county holds against what each kiosk sent."""
    from core import outbox
    from core.db import connect

    held = county.query("SELECT kiosk_uuid, service_request_id FROM requests")
    by_uuid = {u: sid for u, sid in held}
    expected: set[str] = set()
    wrong_id = not_accepted = 0
    for folder in folders:
        db = connect(folder / "kiosk.sqlite3", read_only=True)
        try:
            uuids = dict(db.execute("SELECT id, uuid FROM requests").fetchall())  # {request id: its UUID}
            expected |= set(uuids.values())
            accepted = {r["request_id"]: json.loads(r["data"]).get("service_request_id")
                        for r in outbox.current_in(db, outbox.AT_COUNTY)}
        finally:
            db.close()
        not_accepted += len(set(uuids) - set(accepted))
        wrong_id += sum(1 for rid, sid in accepted.items() if by_uuid.get(uuids[rid]) != sid)
    return {"held": len(held), "distinct_uuids": len(by_uuid), "expected": len(expected),
            "missing": len(expected - set(by_uuid)), "extra": len(set(by_uuid) - expected),
            "duplicated": len(held) - len(by_uuid), "duplicate_posts": county.duplicate_posts(),
            "not_accepted_on_kiosks": not_accepted, "kiosk_ids_differing": wrong_id}


def proven(counts: dict) -> bool:
    return (counts["held"] == counts["expected"] == counts["distinct_uuids"] and counts["missing"] == counts["extra"]
            == counts["duplicated"] == counts["duplicate_posts"] == counts["not_accepted_on_kiosks"]
            == counts["kiosk_ids_differing"] == 0)


def run_backend(work: Path, backend: str, database_url, args) -> dict:
    """One backend: the bare limit, then every kiosk drained; the figures and the exactly-once counts."""
    bare_url = database_url() if database_url else None
    bare_county = LiveCounty(work / f"{backend}-county-bare", database_url=bare_url).start()
    try:
        bare = bare_loop(bare_county.url, args.bare, args.parallel)
    finally:
        bare_county.stop()

    folders = make_kiosks(work / f"{backend}-kiosks", args.kiosks, args.requests)
    url = database_url() if database_url else None
    county = LiveCounty(work / f"{backend}-county", FAULTS, database_url=url).start()
    try:
        wall, drained = drain_all(folders, county.url, args.parallel, args.deadline)
        counts = exactly_once(county, folders)
    finally:
        county.stop()
    total = args.kiosks * args.requests
    return {"backend": backend, "wall": wall, "throughput": total / wall, "bare_throughput": args.bare / bare,
            "sent": sum(d.sent for d in drained), "retried": sum(d.retried for d in drained),
            "runs": sum(d.runs for d in drained), "slowest_kiosk": max(d.seconds for d in drained), "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--requests", type=int, default=500, help="queued requests per kiosk")
    parser.add_argument("--parallel", type=int, default=8, help="kiosks draining at once (processes)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--bare", type=int, default=10_000, help="posts in the bare keep-alive loop (the limit)")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds a backend's drain may take at most")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="county-scale-"))
    results, ok = [], True
    postgres = None
    try:
        for backend in args.backends.split(","):
            if backend == "postgresql":
                from tests.postgres import LocalPostgres

                postgres = postgres or LocalPostgres().start()
                database_url = postgres.create_database
            elif backend == "sqlite":
                database_url = None
            else:
                raise SystemExit(f"unknown backend {backend!r}")
            result = run_backend(work, backend, database_url, args)
            results.append(result)
            ok = ok and proven(result["counts"])
            report(result, args)
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def report(r: dict, args) -> None:
    c = r["counts"]
    total = args.kiosks * args.requests
    print(f"county on {r['backend']}: {args.kiosks} kiosks x {args.requests} requests = {total} on loopback,"
          f" {args.parallel} kiosks at once, faults {json.dumps(FAULTS)}")
    print(f"  drain: {r['wall']:7.1f} s wall, {r['throughput']:6.0f} requests/s"
          f"  (bare keep-alive POST loop, {args.parallel} at once: {r['bare_throughput']:6.0f} posts/s;"
          f" drain / bare {r['throughput'] / r['bare_throughput']:.2f})")
    print(f"  posts sent {r['sent']} for {total} requests ({r['sent'] - total} again after a fault), {r['retried']} retry"
          f" waits, {r['runs']} engine runs, slowest kiosk {r['slowest_kiosk']:.1f} s")
    verdict = "EXACTLY ONCE" if proven(c) else "NOT EXACTLY ONCE"
    print(f"  {verdict}: county holds {c['held']} ({c['distinct_uuids']} distinct kiosk UUIDs) of {c['expected']};"
          f" missing {c['missing']}, extra {c['extra']}, duplicated {c['duplicated']}, re-posts de-duplicated"
          f" {c['duplicate_posts']}; kiosk requests not accepted {c['not_accepted_on_kiosks']},"
          f" with an id other than the county's {c['kiosk_ids_differing']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
