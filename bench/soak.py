"""A soak (issue 19, item 16): N resident journeys through Chromium in kiosk mode against the kiosk.

    .venv/bin/python -m bench.soak [N]        (default 1000; make bench runs it inside the 1 GB cap)

The screen is started as the box starts it: ``deploy/chromium-kiosk.sh`` itself (a fresh profile, the
centre's language, every kiosk flag), with ``$CHROMIUM`` a small wrapper that adds only what a bench
needs: ``--headless=new`` (there is no display here), a window of the touchscreen's size, and
``--remote-debugging-port`` on 127.0.0.1, which Playwright's ``connect_over_cdp`` drives
(``--no-sandbox`` too where the bench runs as root: Chromium refuses root without it; the box runs it
as its own user). The kiosk is ``python -m kiosk.serve`` (kiosk-web's command) on a fresh instance
with the demo catalogue.

One journey = the start page → a service (each of the demo catalogue's in turn) → every question →
about you → contact → check → confirm → the receipt → Finish → the start page, tapped as a resident
taps (tests/browser.py). Each journey's receipt and start page must be drawn: the screen's own signal
(``GET /screen/drawn``, kiosk/screen.py) must say so, and a screenshot of the start page must show the
kiosk's colours (its header band and its text, as the boot test reads qemu's screen), not a white or
an error page.

Memory, at the start (after the first journey: the browser's caches and the kiosk's warm) and at
the end, median of three samples a second apart, as it is and again after a garbage collection and a
memory-pressure signal (CDP: what the browser keeps; a leak grows it, uncollected garbage does not),
each time on a freshly loaded start page (what the idle reset leaves after a visit; it also empties the
bench's own DevTools network buffer, which grows by every response's body while Playwright is attached
and the pages are swapped in by htmx — about 0.3 MB a journey that the box, with no debugger, has not): RSS and PSS (``bench.idle_memory.memory``) of every
browser process (the launcher's descendants and anything using its profile, crashpad included) and
of the kiosk (the web process and its speech process). The goal: growth of browser + kiosk ≤ 50 MB
over the journeys, and no white screen. Growth is judged on OWN, the PSS of anonymous and shared-memory
pages (heaps, and what Chromium's processes share among themselves): PSS and USS both count the
Chromium binary's file pages, which they share out with every other Chromium on the machine, so on a
shared machine they move by a hundred MB as other people's browsers come and go, with nothing changed
in this one. Headless Chromium draws in software, without the GPU
process and the compositor a screen has, so its own figure is not the box's; its growth is the point.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.idle_memory import children, memory  # noqa: E402
from tests.browser import SERVICES, Resident, complete_service  # noqa: E402
from tests.conftest import LiveKiosk, free_port  # noqa: E402

LIMIT_MB = 50.0
SIZE = (1080, 1920)  # the touchscreen, portrait
#: The kiosk's own colours (static/css/kiosk.css), as deploy/boot_test_vm.py reads them off the screen.
KIOSK_PANEL, KIOSK_TEXT = (243, 242, 241), (11, 12, 12)


def kiosk_colours(png: bytes) -> tuple[float, float]:
    """The share of the screenshot in the kiosk's header-band colour and in its text colour."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]  # BGR → RGB
    pixels = image.reshape(-1, 3)
    return (float(np.all(pixels == KIOSK_PANEL, axis=1).mean()), float(np.all(pixels == KIOSK_TEXT, axis=1).mean()))


def drawn_since(url: str, since: float, start_page: bool, timeout: float = 10.0) -> bool:
    """Whether the screen's signal says a page (the start page) was drawn after ``since`` (monotonic)."""
    key = "start_page_seconds_ago" if start_page else "drawn_seconds_ago"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ago = requests.get(url + "/screen/drawn", timeout=5).json()[key]
        if ago is not None and ago <= time.monotonic() - since:
            return True
        time.sleep(0.1)
    return False


def own_memory(pid: int) -> float:
    """MB of anonymous and shared-memory pages (PSS): the heaps, and what Chromium's processes share
    among themselves. A leak grows these; the binary's and the libraries' file pages, shared with every
    other process on the machine that maps them, are left out."""
    rollup = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return (int(rollup["Pss_Anon"].split()[0]) + int(rollup["Pss_Shmem"].split()[0])) / 1024


def browser_pids(launcher: int, profile: Path) -> list[int]:
    found = {launcher, *children(launcher)}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if str(profile).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.add(int(entry))
            except OSError:
                pass
    return sorted(found)


def by_kind(launcher: int, profile: Path) -> str:
    """The browser's OWN memory by kind of process (browser, renderer, gpu-process, utility …)."""
    kinds: dict[str, list[float]] = {}
    for pid in browser_pids(launcher, profile):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()  # Chromium rewrites it with spaces
            kind = next((a.split(b"=", 1)[1].decode() for a in cmd if a.startswith(b"--type=")), "browser")
            if kind == "utility":
                kind = next((a.split(b"=", 1)[1].decode().split(".")[-1] for a in cmd
                             if a.startswith(b"--utility-sub-type=")), kind)
            kinds.setdefault(kind, []).append(own_memory(pid))
        except (OSError, KeyError, StopIteration):
            continue
    return ", ".join(f"{k} {sum(v):.0f}" + (f" ({len(v)})" if len(v) > 1 else "") for k, v in sorted(kinds.items()))


def sample(kiosk_pid: int, launcher: int, profile: Path) -> dict[str, dict[str, float]]:
    """RSS, PSS and OWN (MB) of the browser and of the kiosk, median of three samples a second apart."""
    rounds = []
    for _ in range(3):
        parts = {}
        for name, pids in (("browser", browser_pids(launcher, profile)), ("kiosk", [kiosk_pid, *children(kiosk_pid)])):
            total = {"rss": 0.0, "pss": 0.0, "own": 0.0, "processes": 0}
            for pid in pids:
                try:
                    m = memory(pid)
                except (OSError, AttributeError):
                    continue  # gone meanwhile
                total["rss"] += m["rss"]
                total["pss"] += m["pss"]
                total["own"] += own_memory(pid)
                total["processes"] += 1
            parts[name] = total
        rounds.append(parts)
        time.sleep(1)
    return {name: {key: statistics.median(r[name][key] for r in rounds) for key in ("rss", "pss", "own", "processes")}
            for name in ("browser", "kiosk")}


def settled(page, kiosk_pid: int, launcher: int, profile: Path) -> tuple[dict, dict]:
    """(as it is, after a garbage collection and a memory-pressure signal): the second is what the
    browser really keeps, which a leak grows; the first also holds garbage not yet collected."""
    raw = sample(kiosk_pid, launcher, profile)
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Memory.simulatePressureNotification", {"level": "critical"})
    cdp.detach()
    time.sleep(2)
    return raw, sample(kiosk_pid, launcher, profile)


def start_browser(work: Path, url: str, port: int, started: list) -> Path:
    """The screen's launcher, its browser headless and on a debugging port; the process is put in
    ``started`` at once, so that the caller stops it whatever happens next."""
    import subprocess

    wrapper = work / "chromium"
    extra = ["--headless=new", f"--window-size={SIZE[0]},{SIZE[1]}", "--remote-debugging-address=127.0.0.1",
             f"--remote-debugging-port={port}", *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    wrapper.write_text("#!/bin/sh\nexec /usr/bin/chromium " + " ".join(extra) + ' "$@"\n')
    wrapper.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "CHROMIUM": str(wrapper), "KIOSK_SCREEN_LANGUAGE": "zh-CN"}
    log = (work / "chromium.log").open("ab")
    started.append(subprocess.Popen([str(ROOT / "deploy/chromium-kiosk.sh"), url + "/"], env=env, stdout=log,
                                    stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 120  # a busy machine: Chromium may take a while to listen
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/json/version", timeout=5)
            return work / ".kiosk-chromium"
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError("Chromium's debugging port did not answer: see " + str(work / "chromium.log"))


def main(journeys: int = 1000) -> int:
    from playwright.sync_api import sync_playwright

    codes = sorted(SERVICES)
    every = max(journeys // 10, 1)  # memory is read this often along the way, to show a trend
    print(f"soak: {journeys} journeys, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        kiosk = LiveKiosk(work / "instance")
        port = free_port()
        started: list = []
        white: list[str] = []
        try:
            kiosk.start()
            profile = start_browser(work, kiosk.url, port, started)
            process = started[0]
            with sync_playwright() as p:
                def connect():
                    attached = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                    shown = next(pg for c in attached.contexts for pg in c.pages if pg.url.startswith(kiosk.url))
                    shown.wait_for_load_state()
                    return attached, shown, Resident(shown, kiosk.url, js=True)

                def measure(trend: bool = False):
                    """Memory on a freshly loaded start page after a garbage collection; along the way
                    (``trend``) also what the page holds:
                    its JavaScript heap and Blink's counts of documents, nodes and event listeners (a page
                    that leaks grows them)."""
                    # A full load of the start page first, as the box's idle reset does after every visit a
                    # resident walks away from: it also empties the bench's own DevTools network buffer (while
                    # attached, Playwright's Network domain keeps every response's body in the renderer, and
                    # pages swapped in by htmx never clear it; the box has no debugger attached).
                    page.goto(kiosk.url + "/")
                    resident.settle()
                    figures = settled(page, kiosk.process.pid, process.pid, profile)
                    if trend:
                        cdp = page.context.new_cdp_session(page)
                        heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1024**2
                        dom = cdp.send("Memory.getDOMCounters")
                        cdp.detach()
                        now = figures[1]
                        print(f"  {n + 1} journeys, {time.monotonic() - began:.0f} s, {len(white)} not drawn; after GC: "
                              f"browser OWN {now['browser']['own']:.1f} MB ({now['browser']['processes']:.0f} processes: "
                              f"{by_kind(process.pid, profile)}; the page's JavaScript heap {heap:.1f}, "
                              f"{dom['documents']} documents, {dom['nodes']} nodes, {dom['jsEventListeners']} listeners), "
                              f"kiosk OWN {now['kiosk']['own']:.1f} MB", flush=True)
                    return figures

                browser, page, resident = connect()
                began = time.monotonic()
                if not drawn_since(kiosk.url, began - 60, start_page=True, timeout=30):
                    white.append("the first start page never said it had drawn")
                n = -1
                cold = measure()
                first = None
                for n in range(journeys):
                    code = codes[n % len(codes)]
                    complete_service(resident, code, "zh_Hans_CN")
                    arrived = time.monotonic()
                    if not drawn_since(kiosk.url, arrived - 0.5, start_page=False):
                        white.append(f"journey {n + 1} ({code}): the receipt did not say it had drawn")
                    resident.tap(page.locator("form[action='/receipt/done'] button"))
                    home = time.monotonic()
                    if resident.path != "/" or not drawn_since(kiosk.url, home - 0.5, start_page=True):
                        white.append(f"journey {n + 1} ({code}): the start page did not say it had drawn ({resident.path})")
                    panel, text = kiosk_colours(page.screenshot())
                    if panel < 0.02 or text < 0.005:
                        white.append(f"journey {n + 1} ({code}): the screenshot is not the start page "
                                     f"({panel:.1%} header band, {text:.1%} text)")
                    if n == 0:
                        first = measure()
                        print(f"start page colours: {panel:.1%} header band, {text:.1%} text", flush=True)
                    if (n + 1) % every == 0 and n + 1 < journeys:
                        measure(trend=True)
                end = measure(trend=True)
                elapsed = time.monotonic() - began
                browser.close()
        finally:
            left = [pid for pid in browser_pids(started[0].pid, work / ".kiosk-chromium")] if started else []
            for process in started:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except Exception:
                    process.kill()
            for pid in left:  # anything of this browser still there (by its pid, from its own profile)
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            kiosk.stop()
    rows = []
    for label, pair in (("cold (start page only)", cold), ("start (after journey 1)", first), (f"end (after journey {journeys})", end)):
        rows += [(label + ", as it is", pair[0]), (label + ", after GC", pair[1])]
    for label, figures in rows:
        b, k = figures["browser"], figures["kiosk"]
        print(f"{label:<40} browser RSS {b['rss']:6.1f} PSS {b['pss']:6.1f} OWN {b['own']:6.1f} MB "
              f"({b['processes']:.0f} processes); kiosk RSS {k['rss']:5.1f} PSS {k['pss']:5.1f} OWN {k['own']:5.1f} MB",
              flush=True)
    raw_growth = sum(end[0][part]["own"] - first[0][part]["own"] for part in ("browser", "kiosk"))
    pss_growth = sum(end[1][part]["pss"] - first[1][part]["pss"] for part in ("browser", "kiosk"))
    growth = {part: end[1][part]["own"] - first[1][part]["own"] for part in ("browser", "kiosk")}
    total = sum(growth.values())
    print(f"{journeys} journeys in {elapsed:.0f} s ({elapsed / journeys:.1f} s each); white or undrawn screens: "
          f"{len(white)}{': ' + '; '.join(white[:5]) if white else ''}")
    print(f"browser + kiosk over {journeys} journeys: OWN as it is (uncollected garbage included) {raw_growth:+.1f} MB; "
          f"PSS after GC {pss_growth:+.1f} MB (moves with other Chromiums on the machine sharing its pages)")
    print(f"memory growth over {journeys} journeys (OWN after GC, journey 1 → {journeys}): browser {growth['browser']:+.1f} MB, "
          f"kiosk {growth['kiosk']:+.1f} MB, together {total:+.1f} MB; limit {LIMIT_MB:.0f} MB: ratio "
          f"{max(total, 0) / LIMIT_MB:.2f}x {'met' if total <= LIMIT_MB and not white else 'MISSED'}")
    return 0 if total <= LIMIT_MB and not white else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:2])))
