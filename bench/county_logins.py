"""Many wrong clerk passwords at once for one name: how many the county hashes, and its peak memory.

    .venv/bin/python -m bench.county_logins [--tries 40] [--rounds 1]

A real county (``python -m county.serve``, a process of its own on 127.0.0.1) with one clerk. Each
try is a browser of its own (a ``requests`` session that first fetched the login page for its CSRF
token); all of them are released together by a barrier, each posting a wrong password for the same
name. Reported: the answers' status codes, how many passwords the county really checked (it logs
``clerk login: wrong password for …`` after each scrypt check, and only then), the rows left in
``login_failures`` and the county's peak resident memory (``VmHWM``) before and after.

Werkzeug's scrypt (N=2^15, r=8) needs 32 MiB for each password it checks: 40 at once on unbounded
threads is 1.3 GB. The county reserves a try in its database before it hashes (at most
``MAX_FAILURES_PER_NAME`` reserved per name) and hashes at most ``MAX_CONCURRENT_HASHES`` at a time.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveCounty  # noqa: E402

NAME = "li.clerk"


def peak_mb(pid: int) -> float:
    """A process's peak resident memory so far (``VmHWM``), in MB."""
    return int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def checked(county: LiveCounty, name: str = NAME) -> int:
    """How many wrong passwords for ``name`` the county has checked (hashed), from its log."""
    return county.log.read_text(errors="replace").count(f"clerk login: wrong password for {name!r}")


def wrong_logins(county: LiveCounty, tries: int, name: str = NAME) -> list[int]:
    """``tries`` wrong passwords for ``name``, posted at once by as many browsers; their status codes."""
    barrier = threading.Barrier(tries, timeout=30)
    answers: list = [None] * tries

    def one(i: int) -> None:
        with requests.Session() as browser:
            page = browser.get(county.url + "/clerk/login", timeout=10).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            barrier.wait()
            answers[i] = browser.post(county.url + "/clerk/login", timeout=60, allow_redirects=False,
                                      data={"csrf_token": token, "name": name, "password": f"wrong guess {i}"}).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers), "a try did not finish"
    return answers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="county-logins-") as folder:
            county = LiveCounty(Path(folder) / "county").start()
            try:
                county.add_clerk(NAME)
                before = peak_mb(county.process.pid)
                answers = wrong_logins(county, args.tries)
                after = peak_mb(county.process.pid)
                rows = county.query("SELECT COUNT(*) FROM login_failures WHERE name = ?", [NAME])[0][0]
                print(f"round {round_ + 1}: {args.tries} wrong passwords at once: answers {dict(sorted(Counter(answers).items()))},"
                      f" hashed {checked(county)}, failures kept {rows}; county peak RSS {before:.1f} MB before,"
                      f" {after:.1f} MB after (+{after - before:.1f} MB)", flush=True)
            finally:
                county.stop()


if __name__ == "__main__":
    main()
