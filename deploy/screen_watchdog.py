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
4. Quiet for ``--stale`` seconds or more: ``systemctl restart kiosk-screen``, unless the back-off
   says wait: after k restarts in a row with no page drawn in between, the next one waits
   ``stale * 2**k`` seconds after the last (4, 8, 16 … minutes, at most ``--max-wait``, an hour), so a
   screen that cannot come back (a broken display) is not restarted every two minutes for ever. A
   beat after a restart ends the streak.

Standard library only; prints one line a run for the journal. The state (the streak) is a small JSON
file in ``--state`` (``/run/kiosk-screen-watchdog``: forgotten at a reboot, as it should be).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def unit_state(systemctl: str, unit: str) -> tuple[str, float | None]:
    """(ActiveState, seconds since the unit last became active) from ``systemctl show``."""
    done = subprocess.run([systemctl, "show", unit, "-p", "ActiveState", "-p", "ActiveEnterTimestampMonotonic"],
                          capture_output=True, text=True, timeout=30)
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    entered = int(values.get("ActiveEnterTimestampMonotonic") or 0)
    # systemd's monotonic clock is CLOCK_MONOTONIC, as time.monotonic() is on Linux
    return values.get("ActiveState", "unknown"), (time.monotonic() - entered / 1e6) if entered else None


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


def check(url: str, unit: str, stale: float, max_wait: float, state_file: Path, systemctl: str) -> str:
    """One look; returns what was decided (one line), restarting the unit when it must."""
    active, screen_up = unit_state(systemctl, unit)
    if active != "active":
        return f"{unit} is {active}: nothing to do"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            signal = json.loads(answer.read().decode())
    except (OSError, ValueError) as error:
        return f"the kiosk does not answer ({error}): not the screen's fault, nothing to do"
    drawn = signal.get("drawn_seconds_ago")
    clocks = [x for x in (drawn, signal.get("kiosk_up_seconds"), screen_up) if x is not None]
    quiet = min(clocks) if clocks else 0.0
    now = time.time()
    state = read_state(state_file)
    streak, last = int(state.get("streak", 0)), float(state.get("last", 0))
    if quiet < stale:
        if streak and drawn is not None and now - drawn > last:  # a page drawn since the last restart
            write_state(state_file, {"streak": 0, "last": last})
            return f"the screen drew {drawn:.0f} s ago: back after {streak} restart(s), back-off reset"
        what = f"drew {drawn:.0f} s ago" if drawn is not None else "has not drawn yet"
        return f"the screen {what}; quiet {quiet:.0f} s < {stale:.0f} s: fine"
    if streak:
        wait = min(stale * 2 ** streak, max_wait)
        if now - last < wait:
            return (f"the screen has not drawn for {quiet:.0f} s; {streak} restart(s) in a row did not help: "
                    f"waiting ({now - last:.0f} s of {wait:.0f} s) before the next")
    done = subprocess.run([systemctl, "restart", "--no-block", unit], capture_output=True, text=True, timeout=60)
    write_state(state_file, {"streak": streak + 1, "last": now})
    drawn_text = f"{drawn:.0f} s ago" if drawn is not None else "never since the kiosk started"
    return (f"RESTART: the screen has not drawn for {quiet:.0f} s (last page drawn {drawn_text}): "
            f"systemctl restart {unit} (restart {streak + 1} in a row) -> exit {done.returncode} {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/screen/drawn")
    parser.add_argument("--unit", default="kiosk-screen")
    parser.add_argument("--stale", type=float, default=120.0, help="seconds without a drawn page before a restart")
    parser.add_argument("--max-wait", type=float, default=3600.0, help="the longest back-off between restarts")
    parser.add_argument("--state", type=Path, default=Path("/run/kiosk-screen-watchdog/state.json"))
    parser.add_argument("--systemctl", default="systemctl")
    args = parser.parse_args(argv)
    print(check(args.url, args.unit, args.stale, args.max_wait, args.state, args.systemctl), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
