"""Spoken answers and photos on the real kiosk server (issue 23, "Measured").

    .venv/bin/python -m bench.media [seconds]      (default 120: a two-minute spoken answer)

- **A spoken answer**: real headless Chromium at kiosk size on the kiosk's own screen (loopback), its
  fake microphone playing a sentence espeak-ng says (looped), records for ``seconds`` with the page's
  own recorder (MediaRecorder, WebM/Opus at 32 kbit/s), then Stop: the time from Stop to the recording
  ready to play (the ``data-ready-at`` the page writes) and to it playing after *Play it back* (the tap
  included); then *Continue* sends it: the upload's time, and the bytes the kiosk keeps for it (sealed,
  ``length(media.data)``) against the recording's own size.
- **A 4,000 × 3,000 photo** (a JPEG at quality 92 with a camera's amount of detail: noise over
  gradients, ~4–6 MB, GPS in its EXIF): :func:`core.media.shrink_photo`'s time on this machine (median
  of 5) and the bytes after; then the same photo posted from a phone's browser to ``/request/photos``
  through waitress (the upload and the shrink, median of 3).

Not a test: the numbers go to docs/performance.md.
"""
from __future__ import annotations

import io
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import media  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, KIOSK_SIZE, LiveKiosk  # noqa: E402

STOP_TO_PLAY_MS = 300.0


def photo_4000x3000() -> bytes:
    from PIL import Image

    base = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    noise = Image.effect_noise((4000, 3000), 60).convert("RGB")
    picture = Image.blend(base, noise, 0.35)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "PhoneModel X"
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 49.44), 3: "E", 4: (121.0, 28.0, 25.32)}
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def bench_photo(kiosk: LiveKiosk) -> None:
    import requests

    original = photo_4000x3000()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        jpeg, width, height = media.shrink_photo(original)
        times.append((time.perf_counter() - started) * 1000)
    print(f"photo 4000x3000: {len(original) / 1e6:.2f} MB in → {width}x{height}, {len(jpeg) / 1024:.0f} KB after;"
          f" shrink median {statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f})")
    posts = []
    for _ in range(3):
        phone = requests.Session()
        phone.headers["User-Agent"] = "bench phone"
        token = lambda page: re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # noqa: E731
        phone.post(kiosk.url + "/services/repairs", data={"csrf_token": token(phone.get(kiosk.url + "/services/repairs"))})
        data = {"csrf_token": token(phone.get(kiosk.url + "/request/photos"))}
        started = time.perf_counter()
        reply = phone.post(kiosk.url + "/request/photos", data=data, files={"photo": ("IMG_0001.JPG", original, "image/jpeg")},
                           allow_redirects=False)
        posts.append((time.perf_counter() - started) * 1000)
        assert reply.status_code in (302, 303), (reply.status_code, reply.text[:500])
    print(f"photo posted to /request/photos (upload over loopback + shrink + seal + save): median {statistics.median(posts):.0f} ms")


def bench_spoken(kiosk: LiveKiosk, seconds: float, folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import Resident

    wav = folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-s", "140", "-w", str(wav),
                    "楼道的灯坏了三天了，晚上看不见台阶，请派人来修一下。我住在三号楼二单元。"], check=True, capture_output=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN").new_page()
        resident = Resident(page, kiosk.url, js=True)
        resident.open("/services/feedback")
        resident.tap(page.locator("main form button[type=submit]").first)
        resident.tap(page.locator("button[name=answer][value=complaint]"))
        resident.tap(page.locator("button[name=answer][value=environment]"))
        page.locator("[data-rec-record]").click()
        page.wait_for_selector("[data-rec-stop]:not([hidden])")
        page.wait_for_timeout(int(seconds * 1000) - 300)
        page.locator("[data-rec-stop]").click()
        page.wait_for_selector("[data-recorder][data-recorded='1']", timeout=int(seconds * 1000) + 10_000)
        section = page.locator("[data-recorder]")
        ready = float(section.get_attribute("data-ready-at")) - float(section.get_attribute("data-stopped-at"))
        page.locator("[data-rec-play]").click()
        page.wait_for_selector("[data-recorder][data-playing-at]")
        playing = float(section.get_attribute("data-playing-at")) - float(section.get_attribute("data-stopped-at"))
        size = page.evaluate("document.querySelector('[data-recorder] input[type=file]').files[0].size")
        length = float(page.locator("[data-seconds]").input_value())
        started = time.perf_counter()
        resident.tap(page.locator("form .actions button[type=submit]").first)
        upload = (time.perf_counter() - started) * 1000
        browser.close()
    kept = sqlite3.connect(kiosk.instance / "kiosk.sqlite3").execute(
        "SELECT length(data), mime, seconds FROM media WHERE kind = 'audio' ORDER BY id DESC LIMIT 1").fetchone()
    verdict = "within" if playing <= STOP_TO_PLAY_MS else "OVER"
    print(f"spoken answer {length:.1f} s: recording {size / 1024:.0f} KB ({kept[1]}), kept sealed {kept[0] / 1024:.0f} KB;"
          f" Stop → ready to play {ready:.0f} ms, Stop → playing after the tap {playing:.0f} ms ({verdict} {STOP_TO_PLAY_MS:.0f} ms);"
          f" Continue with it (upload, check, seal, save, next page) {upload:.0f} ms")


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
    with tempfile.TemporaryDirectory() as folder:
        kiosk = LiveKiosk(Path(folder) / "instance").start()
        try:
            bench_photo(kiosk)
            bench_spoken(kiosk, seconds, Path(folder))
        finally:
            kiosk.stop()


if __name__ == "__main__":
    main()
