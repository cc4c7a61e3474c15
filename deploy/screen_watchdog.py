"""The touchscreen's watchdog (issue 19, item 16): restart the browser when the screen has stopped drawing.

Run by kiosk-screen-watchdog.timer every 20 s (as root: it restarts a unit). Each run:

1. kiosk-screen not active (stopped, starting, a box installed with --no-screen): nothing to do;
   systemd itself restarts a browser that exits (Restart=always).
2. It asks the kiosk, on loopback, when its screen last drew a page (``GET /screen/drawn``,
   kiosk/screen.py; every kiosk page on the box's screen beats every 15 s while it is shown). The
   kiosk does not answer: nothing to do, a white screen then is the web's fault, and kiosk-web is
   restarted by systemd; the kiosk's clock starts again when it is back.
3. Quiet time = the shortest of: since the last beat, since the kiosk started, since kiosk-screen
   started. So a screen that was just (re)started, or that waits for a kiosk that was just restarted,
   has the whole ``--stale`` time (120 s) to draw: that is the grace.
4. A browser still loading is not restarted: on a busy box (the first boot, when the spoken prompts
   are made) its first page may take longer than ``--stale``, and a restart throws its progress away.
   So a screen that has *not drawn once since it started* and whose processes (kiosk-screen's main
   process and all below it: cage, Chromium) used at least ``--loading-cpu`` of one core since the
   last look (20 s ago) is loading: it gets up to ``--first-draw`` seconds (600 s) before it is
   restarted. A frozen browser uses no CPU (SIGSTOPped, or hung waiting): restarted after ``--stale``
   as before; so is one that has drawn since it started and then stopped, busy or not. The bar, a
   fifth of a core: a loading Chromium takes most of a core (kiosk-voice yields it, its slice's low
   CPU weight); one that waits on nothing takes under 1 % on a box, 5-7 % under emulation (the boot
   test, 2026-12-07: a first browser whose network service had crashed at its start, idle, never to
   draw; restarted, the next drew in 20 s).
5. Quiet for ``--stale`` seconds or more: ``systemctl restart kiosk-screen``, unless the back-off
   says wait: after k restarts in a row with no page drawn in between, the next one waits
   ``stale * 2**k`` seconds after the last (4, 8, 16 … minutes, at most ``--max-wait``, an hour), so a
   screen that cannot come back (a broken display) is not restarted every two minutes for ever. A
   beat after a restart ends the streak.

Standard library only; prints one line a run for the journal. The state (the streak, and the
screen's CPU time at the last look) is a small JSON file in ``--state`` (``/run/kiosk-screen-watchdog``: forgotten at a reboot, as it should be).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def unit_state(systemctl: str, unit: str) -> tuple[str, float | None, int]:
    """(ActiveState, seconds since the unit last became active, MainPID) from ``systemctl show``."""
    done = subprocess.run([systemctl, "show", unit, "-p", "ActiveState", "-p", "ActiveEnterTimestampMonotonic",
                           "-p", "MainPID"], capture_output=True, text=True, timeout=30)
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    entered = int(values.get("ActiveEnterTimestampMonotonic") or 0)
    main_pid = int(values.get("MainPID") or 0)
    # systemd's monotonic clock is CLOCK_MONOTONIC, as time.monotonic() is on Linux
    return values.get("ActiveState", "unknown"), (time.monotonic() - entered / 1e6) if entered else None, main_pid


def tree_cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float | None:
    """CPU seconds used by ``pid`` and every process below it (utime + stime, and the children's it
    has reaped), from /proc/*/stat; None when there is no such process. Chromium moves itself into
    a scope of its own (app-org.chromium.Chromium-N.scope), so not a cgroup: the process tree."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        # after "pid (comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17), counted from 1
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = sum(int(x) for x in fields[11:15])
    if pid not in ticks:
        return None
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += ticks.get(current, 0)
        todo.extend(children.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


def read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(path)


def check(url: str, unit: str, stale: float, max_wait: float, state_file: Path, systemctl: str,
          first_draw: float = 600.0, loading_cpu: float = 0.2) -> str:
    """One look; returns what was decided (one line), restarting the unit when it must."""
    active, screen_up, main_pid = unit_state(systemctl, unit)
    if active != "active":
        return f"{unit} is {active}: nothing to do"
    state = read_state(state_file)
    # the screen's CPU time now, and its share of one core since the last look at the same process
    cpu, seen = tree_cpu_seconds(main_pid) if main_pid else None, time.monotonic()
    before = state.get("cpu") if isinstance(state.get("cpu"), dict) else {}
    busy = None  # share of one core since the last look; None: no earlier look at this process
    if cpu is not None and before.get("pid") == main_pid and 0 < seen - float(before.get("at", 0)) < 300:
        busy = max(cpu - float(before.get("seconds", 0)), 0.0) / (seen - float(before["at"]))
    state["cpu"] = {"pid": main_pid, "seconds": cpu, "at": seen} if cpu is not None else {}
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            signal = json.loads(answer.read().decode())
    except (OSError, ValueError) as error:
        write_state(state_file, state)
        return f"the kiosk does not answer ({error}): not the screen's fault, nothing to do"
    drawn = signal.get("drawn_seconds_ago")
    clocks = [x for x in (drawn, signal.get("kiosk_up_seconds"), screen_up) if x is not None]
    quiet = min(clocks) if clocks else 0.0
    now = time.time()
    streak, last = int(state.get("streak", 0)), float(state.get("last", 0))
    busy_text = f", its processes busy {busy:.0%} of a core" if busy is not None else ""
    if quiet < stale:
        if streak and drawn is not None and now - drawn > last:  # a page drawn since the last restart
            state.update(streak=0)
            write_state(state_file, state)
            return f"the screen drew {drawn:.0f} s ago: back after {streak} restart(s), back-off reset"
        write_state(state_file, state)
        what = f"drew {drawn:.0f} s ago" if drawn is not None else "has not drawn yet"
        return f"the screen {what}; quiet {quiet:.0f} s < {stale:.0f} s{busy_text}: fine"
    # the browser has not drawn once since it started (its last page, if any, is older than it)
    never_drawn = screen_up is not None and (drawn is None or drawn >= screen_up)
    if never_drawn and busy is not None and busy >= loading_cpu and quiet < first_draw:
        write_state(state_file, state)
        return (f"the screen has not drawn since it started {quiet:.0f} s ago, but it is loading (its processes "
                f"used {busy:.0%} of a core since the last look, >= {loading_cpu:.0%}): waiting, up to "
                f"{first_draw:.0f} s")
    if streak:
        wait = min(stale * 2 ** streak, max_wait)
        if now - last < wait:
            write_state(state_file, state)
            return (f"the screen has not drawn for {quiet:.0f} s; {streak} restart(s) in a row did not help: "
                    f"waiting ({now - last:.0f} s of {wait:.0f} s) before the next")
    done = subprocess.run([systemctl, "restart", "--no-block", unit], capture_output=True, text=True, timeout=60)
    state.update(streak=streak + 1, last=now, cpu={})
    write_state(state_file, state)
    drawn_text = f"{drawn:.0f} s ago" if drawn is not None else "never since the kiosk started"
    return (f"RESTART: the screen has not drawn for {quiet:.0f} s (last page drawn {drawn_text}{busy_text}): "
            f"systemctl restart {unit} (restart {streak + 1} in a row) -> exit {done.returncode} {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/screen/drawn")
    parser.add_argument("--unit", default="kiosk-screen")
    parser.add_argument("--stale", type=float, default=120.0, help="seconds without a drawn page before a restart")
    parser.add_argument("--first-draw", type=float, default=600.0,
                        help="seconds a browser that has not drawn since it started may keep loading (busy)")
    parser.add_argument("--loading-cpu", type=float, default=0.2,
                        help="the share of one core its processes must use between looks to count as loading")
    parser.add_argument("--max-wait", type=float, default=3600.0, help="the longest back-off between restarts")
    parser.add_argument("--state", type=Path, default=Path("/run/kiosk-screen-watchdog/state.json"))
    parser.add_argument("--systemctl", default="systemctl")
    args = parser.parse_args(argv)
    print(check(args.url, args.unit, args.stale, args.max_wait, args.state, args.systemctl, args.first_draw,
                args.loading_cpu), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
