"""`make bench` runs every benchmark inside a memory cap (bench/cap.py): check that the cap holds."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def capped(memory: str, megabytes: int) -> subprocess.CompletedProcess:
    grab = f"b = bytearray({megabytes} * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('held')"
    return subprocess.run([sys.executable, "-m", "bench.cap", "--memory", memory, "--", sys.executable, "-c", grab],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_process_inside_the_cap_cannot_take_more():
    small = capped("200M", 40)
    if "NO MEMORY CAP" in small.stdout:
        pytest.skip("no cgroup can be made on this machine; bench/cap.py says so in every figure")
    assert small.returncode == 0 and "held" in small.stdout and "peak memory" in small.stdout
    big = capped("200M", 400)
    assert big.returncode != 0 and "held" not in big.stdout
