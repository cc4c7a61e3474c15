"""The outcomes wall (/outcomes) as a wall page: on the centre's 1920×1080 screen, read from three
metres, in real Chromium. Every visible word is at least 48 px, the page fits the screen without
scrolling and fills it (no wide empty margins), axe finds nothing, it reloads itself, and its time
bars say what they measure in a resident's words ("半数请求在2天内办完"), not as a median in hours.

Chromium asks a made-up origin; each request is answered in-process by the Flask test client of an
app seeded with tests/test_outcomes.py's histories and its clock set to the end of November 2026, so
the figures are the ones worked out by hand there."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from kiosk.db import get_db

from .conftest import LOCALES
from .test_accessibility import AXE, TAGS
from .test_outcomes import seed

WALL = {"width": 1920, "height": 1080}
ACCEPT = {"zh_Hans_CN": "zh-CN", "zh_Hant_TW": "zh-TW", "en": "en"}
# The time bars of the seeded November: the county finished half within 10 hours... in words, per locale
TIME_WORDS = {
    "zh_Hans_CN": [r"半数请求在\d+ ?\S+内办完", r"九成请求在\d+ ?\S+内办完", r"半数请求在\d+ ?\S+内确认解决", r"九成请求在\d+ ?\S+内确认解决"],
    "zh_Hant_TW": [r"半數請求在\d+ ?\S+內辦完", r"九成請求在\d+ ?\S+內辦完", r"半數請求在\d+ ?\S+內確認解決", r"九成請求在\d+ ?\S+內確認解決"],
    "en": [r"Half of requests finished within \d+ \w+", r"Nine in ten finished within \d+ \w+",
           r"Half confirmed solved within \d+ \w+", r"Nine in ten confirmed solved within \d+ \w+"],
}

# Every visible text's computed size; the page's size against the screen; how much of the screen the text spans.
LOOK = """
() => {
  const sizes = [];
  let left = Infinity, right = 0, top = Infinity, bottom = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim()) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    const r = range.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.width < 1 || r.height < 1 || s.visibility === 'hidden') continue;
    sizes.push([node.textContent.trim().slice(0, 40), parseFloat(s.fontSize)]);
    left = Math.min(left, r.left); right = Math.max(right, r.right); top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
  }
  for (const bar of document.querySelectorAll('svg')) {
    const r = bar.getBoundingClientRect(); right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
  }
  const root = document.documentElement;
  return {sizes, left, right, top, bottom, scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth,
          refresh: document.documentElement.dataset.refreshSeconds,
          script: !!document.querySelector('script[src*="wall"]'),
          times: [...document.querySelectorAll('#wall-times ~ .wall__bars .wall__bar-label')].map(e => e.innerText.trim())};
}
"""


@pytest.fixture
def november(app):
    with app.app_context():
        seed(get_db())
    app.config["CLOCK"] = lambda: datetime(2026, 11, 30, 12, tzinfo=timezone.utc)  # the last 30 days: 1–30 November
    return app


def served_by(app, locale: str):
    """A Playwright route handler answering every request from the app's test client."""
    client = app.test_client()

    def handle(route):
        url = urlsplit(route.request.url)
        answer = client.get(url.path + (f"?{url.query}" if url.query else ""), headers={"Accept-Language": ACCEPT[locale]})
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        route.fulfill(status=answer.status_code, headers=headers, body=answer.get_data())

    return handle


@pytest.mark.browser
def test_the_wall_is_readable_from_three_metres_on_one_screen(browser, november, tmp_path):
    problems = []
    for locale in LOCALES:
        context = browser.new_context(viewport=WALL, bypass_csp=True)  # CSP would block injecting axe
        context.route("http://wall.test/**", served_by(november, locale))
        page = context.new_page()
        try:
            page.goto("http://wall.test/outcomes")
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready")
            seen = page.evaluate(LOOK)
            page.screenshot(path=str(tmp_path / f"wall-{locale}.png"))
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        finally:
            context.close()
        problems += [f"{locale}: axe {v['id']}: {v['help']}" for v in result["violations"]]
        problems += [f"{locale}: {size}px: {text}" for text, size in seen["sizes"] if size < 48]
        if seen["scrollHeight"] > WALL["height"] or seen["scrollWidth"] > WALL["width"]:
            problems.append(f"{locale}: scrolls: {seen['scrollWidth']}x{seen['scrollHeight']}")
        # fills the screen: text and bars from near one edge to near the other, top to bottom
        if seen["left"] > 0.05 * WALL["width"] or seen["right"] < 0.9 * WALL["width"]:
            problems.append(f"{locale}: text spans only {seen['left']:.0f}–{seen['right']:.0f} px of the width")
        if seen["top"] > 0.08 * WALL["height"] or seen["bottom"] < 0.85 * WALL["height"]:
            problems.append(f"{locale}: text spans only {seen['top']:.0f}–{seen['bottom']:.0f} px of the height")
        if not seen["script"] or not seen["refresh"] or not 60 <= int(seen["refresh"]) <= 600:
            problems.append(f"{locale}: no refresh of every few minutes: {seen['refresh']}")
        words = TIME_WORDS[locale]
        if len(seen["times"]) != len(words) or not all(re.fullmatch(w, t) for w, t in zip(words, seen["times"])):
            problems.append(f"{locale}: the time bars say {seen['times']}")
        if any(re.search(r"median|p90|中位|\d+\s*h\b", t) for t in seen["times"]):
            problems.append(f"{locale}: a time bar speaks in statistics: {seen['times']}")
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_the_wall_reloads_itself_while_nobody_uses_it(browser, november, monkeypatch):
    from kiosk import outcomes_views

    monkeypatch.setattr(outcomes_views, "WALL_REFRESH_SECONDS", 1)
    loads = []
    handle = served_by(november, "zh_Hans_CN")

    def counting(route):
        if urlsplit(route.request.url).path == "/outcomes":
            loads.append(route.request.url)
        handle(route)

    context = browser.new_context(viewport=WALL)
    context.route("http://wall.test/**", counting)
    page = context.new_page()
    try:
        page.goto("http://wall.test/outcomes")
        for _ in range(8):  # someone moving the mouse over it for 2 s: no reload under their hand
            page.mouse.move(100 + _ * 10, 100)
            page.wait_for_timeout(250)
        assert len(loads) == 1, loads
        page.wait_for_timeout(2500)  # left alone: it reloads
        assert len(loads) >= 2, loads
    finally:
        context.close()
