"""Speech timings, as ratios to running espeak-ng directly on the same text in the same run.

    .venv/bin/python -m bench.voice

1. A cached prompt: time to first byte over HTTP from the kiosk (goal < 100 ms after the tap).
2. A new ticket's audio, rendered on demand (goal < 300 ms).
3. Pre-rendering every prompt (``flask voice build``), and the voice worker's RSS.

All of it espeak-ng's: the subprocesses are told the neural voice lives in a folder that does not
exist (``KIOSK_VOICE_HOME``), so they never start it. The neural voice has its own bench,
bench/voice_neural.py.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.speech.cache import SpeechCache  # noqa: E402
from engines.speech.text import spell_ticket  # noqa: E402
from engines.speech.voices import VOICES  # noqa: E402
from engines.speech.synthesiser import Synthesiser  # noqa: E402
from tests.conftest import LiveKiosk  # noqa: E402


def espeak_direct(text: str, voice: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], check=True)
    return time.perf_counter() - start


def first_byte(port: int, path: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - start
    response.read()
    conn.close()
    return elapsed


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    work = Path(tempfile.mkdtemp())
    no_neural = str(work / "no-neural-voice")  # never created: espeak-ng speaks everything
    try:
        # 1. cached prompt over HTTP (the start page's audio, pre-rendered into static/audio)
        kiosk = LiveKiosk(work / "kiosk", KIOSK_VOICE_HOME=no_neural).start()
        subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "voice", "build", "--speed", "normal"],
                       env=kiosk.env, cwd=ROOT, check=True, capture_output=True)
        conn = http.client.HTTPConnection("127.0.0.1", kiosk.port)
        conn.request("GET", "/", headers={"Accept-Language": "zh-CN"})
        page = conn.getresponse().read().decode()
        src = re.search(r'id="speech-audio" controls preload="none" src="([^"]+)"', page).group(1)
        cached = [first_byte(kiosk.port, src) for _ in range(30)]
        text = "您需要办什么事？请点一个图标。"
        direct = [espeak_direct(text, VOICES["mandarin"], work / "d.wav") for _ in range(10)]
        kiosk.stop()

        # 2. a new ticket's audio, on demand, through the worker and the cache (Opus included)
        cache = SpeechCache(work / "audio", Synthesiser())
        cache.get("预热", "mandarin")  # the worker process is started once, at the kiosk's start
        on_demand, direct_ticket = [], []
        for n in range(20):
            words = spell_ticket(f"C{n:04d}", "mandarin", f"{(n * 37) % 10000:04d}")
            start = time.perf_counter()
            cache.get(words, "mandarin")
            on_demand.append(time.perf_counter() - start)
            direct_ticket.append(espeak_direct(words, VOICES["mandarin"], work / "t.wav"))
        worker_rss = rss_kb(cache.synthesiser.pid)
        cache.synthesiser.close()

        # 3. pre-render everything from scratch, both speeds
        audio = ROOT / "static" / "audio"
        backup = work / "audio-backup"
        if audio.exists():
            shutil.move(str(audio), backup)
        try:
            env = {**os.environ, "KIOSK_INSTANCE_PATH": str(work / "build"), "KIOSK_VOICE_HOME": no_neural}
            subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "catalogue", "load"], env=env, cwd=ROOT,
                           check=True, capture_output=True)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "voice", "build"], env=env, cwd=ROOT,
                           check=True, capture_output=True)
            build = time.perf_counter() - start
            files = list(audio.iterdir())
            size = sum(f.stat().st_size for f in files)
        finally:
            shutil.rmtree(audio, ignore_errors=True)
            if backup.exists():
                shutil.move(str(backup), audio)

        p95 = lambda xs: statistics.quantiles(xs, n=20)[18]  # noqa: E731
        print(f"cached prompt, time to first byte: median {statistics.median(cached) * 1000:.1f} ms, p95 {p95(cached) * 1000:.1f} ms"
              f" (goal < 100 ms); espeak-ng -w on a short sentence: {statistics.median(direct) * 1000:.1f} ms;"
              f" ratio {statistics.median(cached) / statistics.median(direct):.2f}x")
        print(f"new ticket audio on demand: median {statistics.median(on_demand) * 1000:.1f} ms, p95 {p95(on_demand) * 1000:.1f} ms"
              f" (goal < 300 ms); espeak-ng -w on the same text: {statistics.median(direct_ticket) * 1000:.1f} ms;"
              f" ratio {statistics.median(on_demand) / statistics.median(direct_ticket):.2f}x")
        print(f"pre-render every prompt, both speeds: {build:.1f} s for {len(files)} files, {size / 1e6:.1f} MB")
        print(f"voice worker peak RSS: {worker_rss / 1024:.1f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
