"""A receipt on paper: from *打印回执* to the printer's last byte, and what printing costs the web process.

    .venv/bin/python -m bench.printing

The real kiosk (waitress, its own process) with ``KIOSK_PRINTER=network:127.0.0.1:PORT``: a loopback
TCP printer (tests/fake_printer.py) that answers DLE EOT as a real one does and notes when the last
byte of each job arrives. For each of ten receipts (a request filed over HTTP, as the browser's forms
would), the time from sending the *Print the receipt* form to the printer's last byte; the first is
the process's first print (python-escpos imported then). The limit, measured in the same run: the
time the same kiosk takes to show that receipt page (GET, its QR code drawn as SVG), so the ratio says
how many receipt pages a print costs; and the kiosk's RSS before the first print and after the last
(python-escpos is imported at the first print only). Not a test: the numbers go to docs/performance.md.
"""
from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveKiosk  # noqa: E402
from tests.fake_printer import FakePrinter  # noqa: E402

RECEIPTS = 10
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Resident:
    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()

    def post(self, path: str, shown: str | None = None, **data) -> requests.Response:
        page = self.http.get(self.base + (shown or path), timeout=10).text
        token = TOKEN.search(page)
        return self.http.post(self.base + path, data={"csrf_token": token.group(1) if token else "", **data},
                              allow_redirects=False, timeout=30)

    def file_a_mediation(self) -> str:
        self.post("/services/mediation")
        self.post("/request/questions/about", answer="noise")
        self.post("/request/questions/details", answer="楼上每晚很吵")
        self.post("/request/contact", contact="centre")
        where = self.post("/request/check").headers["Location"]
        return where.rsplit("/", 1)[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, FakePrinter() as printer:
        kiosk = LiveKiosk(Path(folder) / "instance", KIOSK_PRINTER=printer.setting,
                          KIOSK_PRINT_LIMIT="100 per minute").start()
        try:
            prints, pages, rss = [], [], []
            for n in range(RECEIPTS):
                resident = Resident(kiosk.url)
                ticket = resident.file_a_mediation()
                started = time.perf_counter()
                resident.http.get(f"{kiosk.url}/receipt/{ticket}", timeout=10).raise_for_status()
                pages.append(time.perf_counter() - started)
                if n == 0:
                    rss.append(rss_mb(kiosk.process.pid))
                page = resident.http.get(f"{kiosk.url}/receipt/{ticket}", timeout=10).text
                token = TOKEN.search(page).group(1)
                started = time.perf_counter()
                answer = resident.http.post(f"{kiosk.url}/receipt/{ticket}/print", data={"csrf_token": token},
                                            allow_redirects=False, timeout=30)
                assert answer.status_code == 302, answer.status_code
                for _ in range(200):
                    if len(printer.jobs) > n:
                        break
                    time.sleep(0.01)
                assert len(printer.jobs) == n + 1, "the printer got no job"
                prints.append(printer.last_byte_at - started)
            rss.append(rss_mb(kiosk.process.pid))
        finally:
            kiosk.stop()
    warm = prints[1:]
    limit = statistics.median(pages)
    print(f"first print after start: {prints[0] * 1000:.0f} ms to the last byte (python-escpos imported then)")
    print(f"later prints: median {statistics.median(warm) * 1000:.0f} ms, worst {max(warm) * 1000:.0f} ms"
          f" ({len(warm)} receipts, {sum(len(j) for j in printer.jobs) // len(printer.jobs)} bytes each)")
    print(f"limit, same run: the receipt page itself, median {limit * 1000:.0f} ms")
    print(f"ratio: first print {prints[0] / limit:.1f}× the receipt page; later prints {statistics.median(warm) / limit:.2f}×")
    print(f"kiosk RSS: {rss[0]:.1f} MB before the first print, {rss[1]:.1f} MB after {RECEIPTS}"
          f" (+{rss[1] - rss[0]:.1f} MB: python-escpos and its list of printers)")


if __name__ == "__main__":
    main()
