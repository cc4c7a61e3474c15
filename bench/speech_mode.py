"""Speech mode (issue 24) in real Chromium on the real kiosk server: key to first sound, and keys to
file a repair beside the taps it takes with sight.

    .venv/bin/python -m bench.speech_mode

Key to first sound is the key's own event time to the ``playing`` event of the item's first clip
(static/js/speech_mode.js records both), against the issue's limits: 150 ms for a pre-rendered item,
300 ms for one assembled from clips (a ticket spelled from single characters). The start page's items,
the words and the characters are pre-rendered first, as ``flask voice build`` does (only these, to
keep the run short); the receipt's fixed sentences are pre-rendered too, her own answer is not (it is
said on demand). "Moved onto" is Up/Down (the neighbours were prefetched); "touched" is a tap on an item
far from the last one (nothing prefetched). Not a test: the numbers go to docs/performance.md.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import complete_service, Resident  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, KIOSK_SIZE, LiveKiosk  # noqa: E402
from tests.test_speech_mode_browser import Listener, translate  # noqa: E402

PRE_RENDERED_MS, ASSEMBLED_MS = 150.0, 300.0


def prerender(instance: Path, paths: list[str]) -> int:
    """Render the item texts of ``paths`` (and the words and characters) into the public cache."""
    os.environ["KIOSK_INSTANCE_PATH"] = str(instance)
    from flask import session  # noqa: F401
    from kiosk import create_app
    from kiosk.speech_mode import build_texts
    from kiosk.voice_views import cache_for

    app = create_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    pages = [client.get(p, follow_redirects=True).get_data(as_text=True) for p in paths]
    with app.app_context():
        texts = build_texts(app, pages, "zh_Hans_CN")
    cache = cache_for(app, private=False)
    for text in texts:
        cache.get(text, "mandarin", "normal")
    cache.synthesiser.close()
    return len(texts)


def first_sound(page, start: int) -> list[tuple[float, str]]:
    return page.evaluate(f"""() => kioskSpeech.log.slice({start}).filter(e => e.key && e.firstSound && e.urls && e.urls.length)
        .map(e => [e.firstSound - e.key, e.urls[0].indexOf('/static/') >= 0 ? 'static' : 'on demand', e.parts && e.parts.some(p => p.s) ? 'spelled' : 'words'])""")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        kiosk = LiveKiosk(Path(folder) / "instance").start()
        try:
            count = prerender(Path(folder) / "instance", ["/", "/services/repairs", "/status"])
            print(f"pre-rendered {count} texts of the start, service and status pages, the words and characters")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", has_touch=True)
                page = context.new_page()
                ears = Listener(page, kiosk.url)
                page.goto(kiosk.url + "/")
                page.wait_for_load_state()
                ears.press("ArrowDown")
                page.wait_for_timeout(1500)
                start = ears.entries()
                for key in ["ArrowDown"] * 15 + ["ArrowUp"] * 10:
                    ears.press(key)
                    page.wait_for_timeout(400)
                moved = first_sound(page, start)
                start = ears.entries()
                tiles = page.locator("main .tiles a")
                for n in (5, 0, 6, 1, 4, 2, 3, 0, 5, 1):  # taps far apart: nothing prefetched
                    box = tiles.nth(n).bounding_box()
                    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                    page.wait_for_timeout(500)
                touched = first_sound(page, start)

                # keys to file a repair, fewest possible (Next goes straight to a page's main button)
                page.goto(kiosk.url + "/")
                page.wait_for_load_state()
                ears.keys = 0
                ears.press("ArrowDown")
                ears.until("公共设施报修")
                ears.enter_to_new_page()
                ears.press("PageDown")
                ears.enter_to_new_page()
                ears.until("楼道灯")
                ears.enter_to_new_page()
                while ears.press("ArrowDown")["role"] != "field":
                    pass
                for digit in "302":
                    ears.press(digit)
                ears.press("Enter")
                ears.enter_to_new_page()
                while ears.path.startswith("/request/questions/"):
                    while not (ears.press("ArrowDown")["role"] == "button" and page.evaluate("document.activeElement.name") == "answer"):
                        pass
                    ears.enter_to_new_page()
                ears.until(translate("A worker will contact me here at the centre"))
                ears.enter_to_new_page()
                ears.press("PageDown")
                ears.enter_to_new_page()
                keys = ears.keys
                start = ears.entries()
                for _ in range(12):  # the receipt, item by item: the ticket and code spelled from clips
                    ears.press("ArrowDown")
                    page.wait_for_timeout(700)
                receipt = first_sound(page, start)

                sighted = Resident(context.new_page(), kiosk.url, True)
                sighted.open("/")
                taps = complete_service(sighted, "repairs", "zh_Hans_CN")["taps"] + 1  # +1: the service's tile
                browser.close()
        finally:
            kiosk.stop()

    def report(name: str, times: list[float], limit: float) -> None:
        if not times:
            print(f"{name}: none measured")
            return
        worst = max(times)
        median = statistics.median(times)
        print(f"{name}: median {median:.0f} ms, worst {worst:.0f} ms over {len(times)}; limit {limit:.0f} ms: "
              f"ratio {worst / limit:.2f}x")

    report("key to first sound, pre-rendered item moved onto", [t for t, kind, _ in moved if kind == "static"], PRE_RENDERED_MS)
    report("touch to first sound, pre-rendered item, nothing prefetched", [t for t, kind, _ in touched if kind == "static"], PRE_RENDERED_MS)
    report("key to first sound, receipt's ticket and code spelled from clips", [t for t, _, s in receipt if s == "spelled"], ASSEMBLED_MS)
    report("key to first sound, receipt's other items (on demand, prefetched)", [t for t, k, s in receipt if k == "on demand"], ASSEMBLED_MS)
    print(f"keys to file a repair in speech mode: {keys}; taps with sight: {taps}")


if __name__ == "__main__":
    main()
