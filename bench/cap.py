"""Run a benchmark inside a 1 GB memory cap, as on the community centre's box.

    .venv/bin/python -m bench.cap [--memory 1G] -- COMMAND...

The box has 2 cores and 1 GB; a benchmark on a bigger machine must not borrow memory the box does
not have. The cap is a cgroup, made the first way that works here:

1. ``systemd-run --scope -p MemoryMax=… -p MemorySwapMax=0`` where systemd runs the machine;
2. a cgroup v2 folder of our own (``memory.max``, ``memory.swap.max``) where the unified hierarchy
   is writable;
3. a cgroup v1 memory folder (``memory.limit_in_bytes``, and ``memory.memsw.limit_in_bytes`` where
   swap accounting exists) — what a container without systemd has.

The command and everything it starts (servers, browsers, workers) run inside; at the end the
cgroup's peak use is printed beside the cap. With none of the three, it says so and runs uncapped,
so a reader of the figures knows. Two cores: the command is also pinned to CPUs 0 and 1.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


def _systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir() and shutil.which("systemd-run") is not None


def _v2_folder() -> Path | None:
    root = CGROUP if (CGROUP / "cgroup.controllers").exists() else CGROUP / "unified"
    if not (root / "cgroup.controllers").exists() or "memory" not in (root / "cgroup.controllers").read_text():
        return None
    return root


def _make(folder: Path, files: dict[str, str]) -> bool:
    try:
        folder.mkdir(exist_ok=True)
        for name, value in files.items():
            target = folder / name
            if target.exists():
                target.write_text(value)
            elif name in ("memory.max", "memory.limit_in_bytes"):
                return False
        return True
    except OSError:
        return False


def _peak(folder: Path) -> int | None:
    for name in ("memory.peak", "memory.max_usage_in_bytes"):
        path = folder / name
        if path.exists():
            return int(path.read_text().split()[0])
    return None


def _pin(command: list[str]) -> list[str]:
    cores = sorted(os.sched_getaffinity(0))[:2]
    return ["taskset", "-c", ",".join(map(str, cores)), *command] if shutil.which("taskset") else command


def run(command: list[str], limit: int) -> int:
    name = f"kiosk-bench-{os.getpid()}"
    command = _pin(command)
    if _systemd_running():
        print(f"[cap] systemd-run scope, MemoryMax={limit // 1024**2} MB, 2 cores", flush=True)
        return subprocess.call(["systemd-run", "--scope", "--quiet", f"--unit={name}", "-p", f"MemoryMax={limit}",
                                "-p", "MemorySwapMax=0", *command])
    candidates = []
    v2 = _v2_folder()
    if v2 is not None:
        candidates.append(("cgroup v2", v2 / name, {"memory.max": str(limit), "memory.swap.max": "0"}))
    candidates.append(("cgroup v1", CGROUP / "memory" / name,
                       {"memory.limit_in_bytes": str(limit), "memory.memsw.limit_in_bytes": str(limit)}))
    for kind, folder, files in candidates:
        if not _make(folder, files):
            continue
        print(f"[cap] {kind} {folder}, memory limit {limit // 1024**2} MB, 2 cores", flush=True)
        try:
            child = subprocess.Popen(command, preexec_fn=lambda f=folder: (f / "cgroup.procs").write_text(str(os.getpid())))
            code = child.wait()
            peak = _peak(folder)
            if peak is not None:
                print(f"[cap] peak memory of everything inside: {peak / 1024**2:.0f} MB of {limit // 1024**2} MB", flush=True)
            return code
        finally:
            try:
                folder.rmdir()
            except OSError:
                pass
    print("[cap] NO MEMORY CAP could be set here (no systemd, no writable cgroup): the figures are uncapped",
          flush=True)
    return subprocess.call(command)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", default="1G")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    sys.exit(run(command, parse_size(args.memory)))


if __name__ == "__main__":
    main()
