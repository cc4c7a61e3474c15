"""The neural Mandarin voice (Kokoro-82M, issue 22): its build's time and memory, and Read aloud to sound.

    .venv/bin/python -m bench.voice_neural

Needs the neural voice installed (``make voice``); without it, says so and stops.

1. ``flask voice build --speed normal --locale zh_Hans_CN`` on a fresh instance with the demo catalogue,
   into an empty static/audio (the old one is moved aside and back, as bench/voice.py does). Every 0.5 s
   the resident memory (VmRSS, VmHWM in /proc/PID/status) of the neural voice's process
   (``engines.speech.neural_child``), of the flask build and of the whole process tree is sampled; the
   peaks are printed beside kiosk-voice's MemoryMax (read from its unit file) and the box's 1 GB. CPU seconds per second
   of speech: the voice process's CPU time over the length of what it made, read without decoding
   (the clip WAVs' frame counts; the .opus prompts' last granule position, those whose OpusHead says
   24 kHz input being the neural voice's, espeak-ng's 22.05 kHz). The other locale and the slow speed
   are extrapolated from it, not run (the full build takes too long for a bench).
2. In real Chromium at kiosk size (1080×1920, touch), Accept-Language zh-CN: tap Read aloud on the start
   page (its audio a pre-rendered neural .opus file) and time from the tap's touchstart to the
   ``<audio id="speech-audio">``'s ``playing`` event, in the page's own clock; 20 times, each in a new
   browser context (nothing cached: the file is fetched), then 20 times more reloading in one context
   (the file cached, as on the box's screen after the first time). Goal 150 ms. Then a request is filed
   through the pages and its receipt's Read aloud timed the same way, 20 reloads: that audio is assembled
   at /voice/<key> from the neural clips for each request (goal 200 ms). Playwright's tap is a real touch,
   so it counts as the user's gesture: Chromium runs without any autoplay flag.
3. The first play of a receipt whose resident typed words (``repairs``: where, typed), each in a new visit
   (a new browser context, so nothing of it is in the kiosk's memory or the browser's cache): its typed
   words are said by espeak-ng and joined to the clips at that first play (goal 200 ms, as the receipt's).

Not a test: the figures go to docs/performance.md with their date.
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engines.speech import neural  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, KIOSK_SIZE, LiveKiosk  # noqa: E402

PAGE_GOAL = 0.150
TICKET_GOAL = 0.200
VOICE_MEMORY_MAX = int(re.search(r"^MemoryMax=(\d+)M", (ROOT / "deploy/systemd/kiosk-voice.service.in").read_text(),
                                 re.M).group(1))  # MB: kiosk-voice's MemoryMax
BOX = 1024  # MB
CLK = os.sysconf("SC_CLK_TCK")


# --- part 1: the build --------------------------------------------------------------------------------------

def _status(pid: int) -> dict[str, int]:
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime
    except (OSError, IndexError):
        return 0.0


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


class Sampler(threading.Thread):
    """Every 0.5 s: the RSS of the build's process tree, its neural voice process(es) and the build itself."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.done = root, threading.Event()
        self.peak = {"flask_hwm": 0, "flask_rss": 0, "voice_hwm": 0, "voice_rss": 0, "tree_rss": 0}
        self.voice_cpu: dict[int, float] = {}
        self.samples = 0

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            for pid in _tree(self.root):
                status = _status(pid)
                total += status.get("VmRSS", 0)
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if pid == self.root:
                    kind = "flask"
                elif b"engines.speech.neural_child" in command:
                    kind = "voice"
                    self.voice_cpu[pid] = max(self.voice_cpu.get(pid, 0.0), _cpu(pid))
                else:
                    continue
                self.peak[f"{kind}_hwm"] = max(self.peak[f"{kind}_hwm"], status.get("VmHWM", 0))
                self.peak[f"{kind}_rss"] = max(self.peak[f"{kind}_rss"], status.get("VmRSS", 0))
            self.peak["tree_rss"] = max(self.peak["tree_rss"], total)
            self.samples += 1
            self.done.wait(0.5)


def opus_seconds(path: Path) -> tuple[int, float]:
    """(input rate from OpusHead, seconds from the last page's granule position less pre-skip), no decoding."""
    data = path.read_bytes()
    head = data.find(b"OpusHead")
    preskip, rate = struct.unpack_from("<HI", data, head + 10)
    last = data.rfind(b"OggS")
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return rate, max(granule - preskip, 0) / 48000


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def build(kiosk: LiveKiosk, audio: Path, log: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kiosk", "voice", "build",
                                    "--speed", "normal", "--locale", "zh_Hans_CN"],
                                   env=kiosk.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        sampler = Sampler(process.pid)
        sampler.start()
        code = process.wait()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code:
        raise SystemExit(f"voice build failed ({code}): " + log.read_text(errors="replace")[-2000:])
    neural_prompts, plain_prompts = [], []
    for path in audio.glob("*.opus"):
        rate, length = opus_seconds(path)
        (neural_prompts if rate == 24000 else plain_prompts).append(length)
    clips = [wav_seconds(path) for path in (audio / "clips").glob("*.wav")]
    return {"seconds": seconds, "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "voice_cpu": sum(sampler.voice_cpu.values()), "voice_processes": len(sampler.voice_cpu),
            "peak": sampler.peak, "samples": sampler.samples, "neural": neural_prompts, "plain": plain_prompts,
            "clips": clips, "size": sum(p.stat().st_size for p in audio.rglob("*") if p.is_file()),
            "log": log.read_text(errors="replace").strip().splitlines()}


# --- part 2: Read aloud to sound, in Chromium ----------------------------------------------------------------

TIMER = """() => {
  const audio = document.querySelector('#speech-audio');
  const button = document.querySelector('.js-speech-play');
  window.__speech = {};
  button.addEventListener('touchstart', e => { window.__speech.tap = e.timeStamp; }, {capture: true, once: true});
  audio.addEventListener('playing', () => { window.__speech.playing = performance.now(); }, {once: true});
  return audio.getAttribute('src');
}"""


def tap_to_sound(page) -> tuple[float, str]:
    """Tap Read aloud on the open page; seconds from the touch to the audio's ``playing`` event, and its src."""
    page.wait_for_selector(".js-speech-play:not([hidden])")
    src = page.evaluate(TIMER)
    page.locator(".js-speech-play").tap()
    page.wait_for_function("() => window.__speech.playing !== undefined", timeout=20_000)
    took = page.evaluate("() => window.__speech.playing - window.__speech.tap")
    page.evaluate("() => document.querySelector('#speech-audio').pause()")
    return took / 1000, src


def read_aloud(kiosk: LiveKiosk, rounds: int = 20) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser import SERVICES, Resident, complete_service

    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cold = []
            for _ in range(rounds):  # a new context each time: the file is fetched from the kiosk
                context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN")
                page = context.new_page()
                page.goto(kiosk.url + "/")
                took, src = tap_to_sound(page)
                cold.append(took)
                context.close()
            found["start, not cached"] = (cold, src)
            context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN")
            page = context.new_page()
            warm = []
            for _ in range(rounds + 1):  # the first fills the browser's cache
                page.goto(kiosk.url + "/")
                warm.append(tap_to_sound(page)[0])
            found["start, cached"] = (warm[1:], src)
            context.close()

            context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN")
            page = context.new_page()
            resident = Resident(page, kiosk.url, js=True)
            resident.open("/")
            code = next(iter(SERVICES))
            ticket = complete_service(resident, code, "zh_Hans_CN")
            receipt = page.url
            plain, took_all = [], []
            for _ in range(rounds):
                with page.expect_response(lambda r: "/voice/" in r.url, timeout=20_000) as answer:
                    took, src = tap_to_sound(page)
                plain.append(answer.value.headers.get("x-speech-plain"))
                took_all.append(took)
                page.goto(receipt)
            found[f"receipt ({code}, ticket {ticket['ticket']})"] = (took_all, f"{src}, X-Speech-Plain {set(plain)}")
            context.close()

            plain, firsts = [], []
            for _ in range(max(5, rounds // 4)):  # each a new visit: filing takes a while, so fewer rounds
                context = browser.new_context(viewport=KIOSK_SIZE, has_touch=True, locale="zh-CN")
                page = context.new_page()
                resident = Resident(page, kiosk.url, js=True)
                resident.open("/")
                complete_service(resident, "repairs", "zh_Hans_CN")
                with page.expect_response(lambda r: "/voice/" in r.url, timeout=20_000) as answer:
                    took, src = tap_to_sound(page)
                plain.append(answer.value.headers.get("x-speech-plain"))
                firsts.append(took)
                context.close()
            found["receipt with typed words (repairs), first play in a new visit"] = (
                firsts, f"{src}, X-Speech-Plain {set(plain)}")
        finally:
            browser.close()
    return found


def main() -> None:
    if not neural.installed():
        raise SystemExit(f"the neural voice is not installed in {neural.default_home()} (make voice): nothing to measure")
    work = Path(tempfile.mkdtemp())
    audio = ROOT / "static" / "audio"
    backup = work / "audio-backup"
    kiosk = None
    bench_start = time.perf_counter()
    if audio.exists():
        shutil.move(str(audio), backup)
    try:
        kiosk = LiveKiosk(work / "kiosk")  # loads the demo catalogue
        made = build(kiosk, audio, work / "build.log")
        kiosk.start()
        timings = read_aloud(kiosk)
    finally:
        if kiosk is not None:
            kiosk.stop()
        shutil.rmtree(audio, ignore_errors=True)
        if backup.exists():
            shutil.move(str(backup), audio)
        shutil.rmtree(work, ignore_errors=True)

    mb = lambda kb: kb / 1024  # noqa: E731
    peak = made["peak"]
    speech = sum(made["neural"]) + sum(made["clips"])
    n_neural, n_clips = len(made["neural"]), len(made["clips"])
    print("1. flask voice build --speed normal --locale zh_Hans_CN (fresh instance, demo catalogue, empty static/audio)")
    for line in made["log"]:
        print(f"   build says: {line}")
    print(f"   {made['seconds']:.1f} s wall, {made['cpu']:.1f} s CPU (build and all its children);"
          f" {n_neural} Mandarin prompts in the neural voice ({sum(made['neural']):.0f} s of speech),"
          f" {len(made['plain'])} espeak-ng prompts (Cantonese), {n_clips} clips ({sum(made['clips']):.0f} s);"
          f" {made['size'] / 1e6:.1f} MB on disk")
    print(f"   neural voice process(es): {made['voice_processes']}, {made['voice_cpu']:.1f} s CPU ="
          f" {made['voice_cpu'] / speech:.2f} s CPU per second of speech,"
          f" {made['voice_cpu'] / (n_neural + n_clips):.2f} s CPU per prompt or clip")
    print(f"   peak memory ({made['samples']} samples, every 0.5 s): neural voice VmHWM {mb(peak['voice_hwm']):.0f} MB"
          f" (VmRSS sampled {mb(peak['voice_rss']):.0f} MB) = {mb(peak['voice_hwm']) / VOICE_MEMORY_MAX:.2f}x kiosk-voice's"
          f" MemoryMax {VOICE_MEMORY_MAX} MB; flask build VmHWM {mb(peak['flask_hwm']):.0f} MB;"
          f" whole build tree {mb(peak['tree_rss']):.0f} MB = {mb(peak['tree_rss']) / BOX:.2f}x the box's {BOX} MB")
    per_prompt = made["voice_cpu"] / (n_neural + n_clips)
    print(f"   extrapolated, not run: zh_Hant_TW's Mandarin prompts and receipt sentences (as many again) add"
          f" ~{per_prompt * (n_neural + n_clips) / 60:.0f} min of voice CPU; the slow speed (Kokoro 0.8, 1.25x the"
          f" speech) ~{per_prompt * 1.25 * (n_neural + n_clips) / 60:.0f} min per locale: both speeds, both Chinese"
          f" locales ~{per_prompt * 2.25 * 2 * (n_neural + n_clips) / 60:.0f} min of voice CPU on one core")

    p95 = lambda xs: statistics.quantiles(xs, n=20)[18]  # noqa: E731
    print("2. Read aloud → playing, Chromium 1080×1920 touch, zh-CN (touchstart.timeStamp → performance.now() at 'playing')")
    for name, (took, src) in timings.items():
        goal = TICKET_GOAL if name.startswith("receipt") else PAGE_GOAL
        print(f"   {name}: median {statistics.median(took) * 1000:.0f} ms, p95 {p95(took) * 1000:.0f} ms,"
              f" max {max(took) * 1000:.0f} ms over {len(took)}; ratio to the {goal * 1000:.0f} ms goal"
              f" {statistics.median(took) / goal:.2f}x median, {p95(took) / goal:.2f}x p95  [{src}]")
    print(f"bench took {time.perf_counter() - bench_start:.0f} s")


if __name__ == "__main__":
    main()
