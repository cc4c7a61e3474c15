"""Drain 10,000 queued requests to the reference county on loopback, then to the same county in strict
mode (a county like the ones nobody here wrote, issue 21: coordinates required, no service definitions,
no attributes taken, so the requests go as words alone).

    .venv/bin/python -m bench.sync_drain [COUNT] [reference|strict]   (both when not named)

Prints, for each county, the drain's wall time as a ratio to a bare keep-alive POST loop of the same
number of the same requests against the same county in the same run (goal ≤ 1.5×), and the sync service's peak
RSS against the same worker started on an empty queue (goal: growth < 10 MB; it was 20 MB before the
status pull was streamed a batch at a time). The worker is started as deploy/systemd starts it
(``python -m sync.process --once``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveCounty  # noqa: E402

GROWTH_LIMIT_MB = 10.0
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


#: The centre's place as deploy/install.sh writes it (a strict county needs the coordinates).
CENTRE = {"KIOSK_CENTRE_LAT": "31.2304", "KIOSK_CENTRE_LONG": "121.4737", "KIOSK_COUNTY_LOCATION": "coordinates"}
MODES = {"reference": "", "strict": "1"}  # the county's strict-mode flags (county/strict.py; "1": all)


def queue(instance: Path, count: int, kiosk_id: str = "bench") -> None:
    """A kiosk database with ``count`` saved, queued repairs requests (bulk-inserted: setup, not timed)."""
    from tests.big_kiosk import new_kiosk

    db = new_kiosk(instance)  # with the instance's own data key, as the kiosk would make it
    keyring = db.keyring
    now = "2026-11-23T08:00:00+00:00"
    # Sealed as the kiosk seals them, so the worker's start-up has nothing to re-seal.
    from core.wording import Centre, Place, compose, reference

    given = {"what": "light", "where": "3号楼2单元", "danger": "no"}
    answers = json.dumps(given, ensure_ascii=False)
    # ... each with its wording, composed as a save composes it (core/wording.py)
    centre = Centre(Place("社区服务中心", CENTRE["KIOSK_CENTRE_LAT"], CENTRE["KIOSK_CENTRE_LONG"]))
    worded = compose(db, centre, service_code="repairs", answers=given, ticket="B000000", uuid="000000").to_json()
    with db.conn:
        db.conn.executemany(
            "INSERT INTO requests (id, uuid, ticket, check_code, service_code, locale, answers, content_hash, requested_at,"
            " monotonic_ns, kiosk_id, wording) VALUES (?, ?, ?, '0000', 'repairs', 'zh_Hans_CN', ?, ?, ?, 0, ?, ?)",
            [(i, made, f"B{i:06d}", keyring.seal(answers, "requests.answers"), f"h{i}", now, kiosk_id,
              keyring.seal(worded.replace("B000000-000000", reference(f"B{i:06d}", made)), "requests.wording"))
             for i, made in ((i, str(uuid.uuid4())) for i in range(1, count + 1))])
        db.conn.executemany("INSERT INTO request_personal (request_id, data) VALUES (?, ?)",
                            [(i, keyring.seal('{"contact": "centre"}', "request_personal.data")) for i in range(1, count + 1)])
        db.conn.executemany("INSERT INTO request_events (request_id, state, at) VALUES (?, 'queued', ?)",
                            [(i, now) for i in range(1, count + 1)])
    db.close()


def worker(instance: Path, county_url: str) -> tuple[float, int]:
    """Run ``python -m sync.process --once``; return (seconds, peak RSS in kB)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_COUNTY_URL": county_url, **CENTRE}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "sync.process", "--once"],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(out.stdout.strip().splitlines()[-1])


def bare_loop(county_url: str, count: int, strict: bool) -> float:
    """The limit: the same POSTs, one keep-alive session, nothing else (to a strict county as the kiosk
    sends to it: words and the centre's coordinates, no attributes)."""
    session = requests.Session()
    form = {"api_key": "demo-kiosk-key", "jurisdiction_id": "demo-county", "service_code": "repairs",
            "address_string": "社区服务中心", "lat": CENTRE["KIOSK_CENTRE_LAT"], "long": CENTRE["KIOSK_CENTRE_LONG"],
            "description": "什么坏了？ 楼道灯\n在哪里？ 3号楼2单元\n社区服务中心受理号：B000001-3F9C2A"}
    if not strict:
        form.update({"attribute[what]": "light", "attribute[where]": "3号楼2单元", "attribute[danger]": "no", "attribute[kiosk_hash]": "h"})
    start = time.perf_counter()
    for _ in range(count):
        extra = {} if strict else {"attribute[kiosk_uuid]": str(uuid.uuid4())}
        response = session.post(county_url + "/requests.json", data={**form, **extra}, timeout=10)
        assert response.status_code == 200, response.text
    return time.perf_counter() - start


def measure(count: int, mode: str, work: Path) -> None:
    strict = MODES[mode]
    empty_county = LiveCounty(work / f"county-empty-{mode}", strict=strict).start()
    queue(work / f"empty-{mode}", 0)
    _, idle_rss = worker(work / f"empty-{mode}", empty_county.url)
    empty_county.stop()

    bare_county = LiveCounty(work / f"county-bare-{mode}", strict=strict).start()
    bare = bare_loop(bare_county.url, count, bool(strict))
    bare_county.stop()

    queue(work / f"kiosk-{mode}", count)
    county = LiveCounty(work / f"county-{mode}", strict=strict).start()
    drain, peak_rss = worker(work / f"kiosk-{mode}", county.url)
    held = len(county.requests())
    county.stop()
    assert held == count, f"county holds {held}, expected {count}"

    print(f"{count} requests on loopback, {mode} county")
    print(f"bare keep-alive POST loop: {bare:7.1f} s  ({count / bare:6.0f} req/s)")
    print(f"sync service drain:         {drain:7.1f} s  ({count / drain:6.0f} req/s)  ratio {drain / bare:.2f}x  (goal <= 1.5x)")
    growth = (peak_rss - idle_rss) / 1024
    print(f"worker peak RSS: {peak_rss / 1024:.1f} MB, on an empty queue {idle_rss / 1024:.1f} MB: "
          f"growth {growth:.1f} MB, ratio {growth / GROWTH_LIMIT_MB:.2f}x (goal < {GROWTH_LIMIT_MB:.0f} MB: "
          f"{'met' if growth < GROWTH_LIMIT_MB else 'MISSED'})")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    modes = sys.argv[2:] or list(MODES)
    work = Path(tempfile.mkdtemp())
    try:
        for mode in modes:
            measure(count, mode, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
