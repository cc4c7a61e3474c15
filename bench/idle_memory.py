"""The whole kiosk at rest: what the web app, its speech process and the sync service hold in memory.

    .venv/bin/python -m bench.idle_memory [ROUNDS]

Started as deploy/systemd's units start them, on a fresh instance with the demo catalogue:
``flask --app kiosk init-db`` (as install.sh does, once), then ``python -m kiosk.serve``
(kiosk-web) and ``python -m sync.process`` (kiosk-sync), the sync service pointed at a
reference county on loopback (the county is not part of the kiosk: its memory is not counted). The start page
is asked for, then its audio (``/voice/<key>``: nothing is pre-rendered here), which makes the web
app start its speech process, a child of the web process. Then everything is left alone for a
while and each process of the kiosk — the two services and all their descendants — is read:

- RSS (``VmRSS``): every page a process has in memory, including the shared libraries and the
  interpreter each process maps (counted once per process, so the sum overstates);
- PSS (``Pss`` in ``/proc/<pid>/smaps_rollup``): each shared page divided among the processes that
  map it, so the sum is what the kiosk really costs the box;
- USS (``Private_Clean + Private_Dirty``): what would be freed if that process alone went away.

PSS also shares pages out to any other process on the machine that maps the same files (another
kiosk from the same venv, a test run): a few MB of spread on a shared machine; USS does not move.

Against the issue's limit: the whole kiosk idle under 120 MB. ``ROUNDS`` (default 3) fresh starts,
each reported, then the spread; twice: with this venv as it is, and as a box has it. ``make bench``
needs the test extras, whose OpenCV brings numpy, and sqlite_utils imports numpy whenever it can
(for numpy column types the kiosk never uses): about 11 MB in every process of the kiosk. A box
(``make setup``: ``pip install -e .``) has no numpy; the second pass hides it (a ``numpy`` module on
``PYTHONPATH`` that raises ImportError, as a missing one does) to measure what the box runs.
"""
from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveCounty, free_port  # noqa: E402

LIMIT_MB = 120.0
SETTLE_S = 8.0  # left alone this long after the last request, sampled every second


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from each thread's list of children)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            kids = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except FileNotFoundError:
            continue
        for kid in map(int, kids):
            found += [kid, *children(kid)]
    return found


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of one process, in MB, and what it runs."""
    rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    rollup = dict((k, int(v.split()[0])) for k, v in (line.split(":", 1) for line in
                  Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]))
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return {"rss": rss / 1024, "pss": rollup["Pss"] / 1024,
            "uss": (rollup["Private_Clean"] + rollup["Private_Dirty"]) / 1024, "cmd": cmd}


def one_round(work: Path, hide_numpy: bool) -> dict[str, dict]:
    instance = work / "instance"
    county = LiveCounty(work / "county").start()
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_COUNTY_URL": county.url, "PYTHONUNBUFFERED": "1"}
    if hide_numpy:
        (work / "no-numpy").mkdir()
        (work / "no-numpy" / "numpy.py").write_text('raise ImportError("numpy is not installed on the box")\n')
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(work / "no-numpy")])
    flask = [sys.executable, "-m", "flask", "--app", "kiosk"]
    subprocess.run([*flask, "catalogue", "load"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "init-db"], env=env, cwd=ROOT, check=True, capture_output=True)  # as install.sh does
    log = (work / "services.log").open("ab")
    web = subprocess.Popen([sys.executable, "-m", "kiosk.serve", "--host", "127.0.0.1", "--port", str(port)],
                           env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    # kiosk-sync's ExecStart
    sync = subprocess.Popen([sys.executable, "-m", "sync.process"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        with requests.Session() as browser:
            for _ in range(200):  # up to 20 s
                try:
                    page = browser.get(url + "/", timeout=2)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the kiosk did not start")
            # Slow speech: pre-rendered prompts (static/audio/, from `make run`) are at normal speed
            # only, so the page's audio is made now, by the speech process.
            settings = browser.get(url + "/speech", timeout=5).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
            browser.post(url + "/speech", data={"csrf_token": token, "speed": "slow"}, timeout=5)
            page = browser.get(url + "/", timeout=5)
            src = re.search(r'id="speech-audio" controls preload="none" src="([^"]+)"', page.text)
            assert src, "the start page has no audio"
            audio = browser.get(url + src.group(1), timeout=60)
            assert audio.status_code == 200 and audio.content, (audio.status_code, audio.text[:200])
        speech = children(web.pid)
        assert speech, "no speech process under the web process"
        samples = []
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            time.sleep(1.0)
            processes = {"web": web.pid, "sync": sync.pid}
            for n, kid in enumerate(children(web.pid)):
                processes[f"web child {n + 1}"] = kid
            for n, kid in enumerate(children(sync.pid)):
                processes[f"sync child {n + 1}"] = kid
            samples.append({name: memory(pid) for name, pid in processes.items()})
        return samples[-1]
    finally:
        # Anything left under the services (the speech process ends by itself when the web app goes;
        # on the box systemd stops the whole control group): stopped here by their pids, after the rest.
        left = children(web.pid) + children(sync.pid)
        for process in (sync, web):
            process.terminate()
        for process in (sync, web):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in left:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        county.stop()
        log.close()


def main(rounds: int = 3) -> None:
    print(f"CPython {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for hide_numpy, setting in ((False, "this venv (test extras: numpy present)"), (True, "as on a box (no numpy)")):
        totals: dict[str, list[float]] = {"rss": [], "pss": [], "uss": []}
        print(f"\n=== {setting}")
        for n in range(rounds):
            with tempfile.TemporaryDirectory() as folder:
                found = one_round(Path(folder), hide_numpy)
            print(f"round {n + 1}:")
            for name, m in found.items():
                print(f"  {name:<12} RSS {m['rss']:6.1f} MB  PSS {m['pss']:6.1f} MB  USS {m['uss']:6.1f} MB  {m['cmd'][:80]}")
            for key in totals:
                totals[key].append(sum(m[key] for m in found.values()))
            print(f"  {'kiosk':<12} RSS {totals['rss'][-1]:6.1f} MB  PSS {totals['pss'][-1]:6.1f} MB  "
                  f"USS {totals['uss'][-1]:6.1f} MB")
        for key, label in (("rss", "RSS (shared pages counted in each process)"), ("pss", "PSS (shared pages shared out)")):
            values = totals[key]
            median = statistics.median(values)
            print(f"{setting}: whole kiosk idle, {label}: median {median:.1f} MB (min {min(values):.1f}, "
                  f"max {max(values):.1f}, {len(values)} starts); limit {LIMIT_MB:.0f} MB: ratio {median / LIMIT_MB:.2f}x "
                  f"{'met' if median < LIMIT_MB else 'MISSED'}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
