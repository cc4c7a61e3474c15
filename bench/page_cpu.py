"""The kiosk server's own CPU time per request: the start page, a question page and the Flask-static
floor of bench/run_all.py, one keep-alive client at a time.

    .venv/bin/python -m bench.page_cpu            (N=3000 to ask more often)

Latency on a machine other work shares swings by a factor of two between runs; the server process's
user+system time per request (read from /proc, Linux only) moves far less, so it is the steadier
guide to what a change saved. Same pages, same resident (a draft, a session cookie, zh-CN) as
bench/run_all.py; three rounds each, the least reported. Not a test: figures go to
docs/performance.md.
"""
from __future__ import annotations

import http.client
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_all import FLASK_COPY, STATIC_COPY, Resident, clean_up, start_kiosk  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User plus system time of a process so far (``/proc/<pid>/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    count = int(os.environ.get("N", "1500"))
    work = Path(tempfile.mkdtemp())
    kiosk = start_kiosk(work / "page-cpu" / "instance")
    try:
        FLASK_COPY.write_bytes(STATIC_COPY.read_bytes())  # after the start: WhiteNoise does not know it
        resident = Resident(kiosk.port)
        resident.prepare()
        conn = http.client.HTTPConnection("127.0.0.1", kiosk.port, timeout=30)

        def plain(path: str) -> None:
            conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)

        cases = {"Flask static": lambda: plain("/static/" + FLASK_COPY.name), "start page": lambda: plain("/"),
                 "question page": lambda: resident.request("GET", "/request/questions/where")}
        for _ in range(100):  # warm: every cache the pages keep
            for ask in cases.values():
                ask()
        rounds: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(3):
            for name, ask in cases.items():
                before = cpu_seconds(kiosk.process.pid)
                for _ in range(count // 3):
                    ask()
                rounds[name].append((cpu_seconds(kiosk.process.pid) - before) / (count // 3) * 1000)
        floor = min(rounds["Flask static"])
        for name, spent in rounds.items():
            print(f"{name:<14} server CPU {min(spent):.2f} ms/request ({min(spent) / floor:.2f}x Flask static);"
                  f" rounds {' '.join(f'{x:.2f}' for x in spent)}")
    finally:
        kiosk.stop()
        clean_up(work)


if __name__ == "__main__":
    main()
